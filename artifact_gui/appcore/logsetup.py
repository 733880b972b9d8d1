"""The window's log file: under the user's state folder (platformdirs), rotated, at the
level given by `--log-level`. Tokens never reach it (nothing logs request headers)."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys

import platformdirs

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LEVEL = "INFO"
LOG_BYTES = 1 << 20
LOG_BACKUPS = 3
_HANDLER_NAME = "artifact-gui-file"
_STDERR_HANDLER_NAME = "artifact-gui-stderr"
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def log_folder() -> str:
    """$ARTIFACT_GUI_STATE_DIR/log, or the platform's user state folder."""
    base = os.environ.get("ARTIFACT_GUI_STATE_DIR") or platformdirs.user_state_dir("artifact-gui")
    return os.path.join(base, "log")


def configure_logging(level: str = DEFAULT_LEVEL) -> str:
    """Send artifact_gui's log records at `level` and above to the log file; returns its path.
    Calling it again replaces the earlier file handler."""
    _check_level(level)
    folder = log_folder()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "artifact-gui.log")
    _install(logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS,
                                                  encoding="utf-8"), _HANDLER_NAME, level)
    logging.getLogger("artifact_gui").info("logging at %s to %s", level.upper(), path)
    return path


def configure_stderr_logging(level: str = DEFAULT_LEVEL) -> None:
    """Send artifact_gui's log records at `level` and above to stderr (the server's log)."""
    _check_level(level)
    _install(logging.StreamHandler(sys.stderr), _STDERR_HANDLER_NAME, level)


def _check_level(level: str) -> None:
    if level.upper() not in LEVELS:
        raise ValueError(f"invalid log level {level!r}: choose one of {', '.join(LEVELS)}")


def _install(handler: logging.Handler, name: str, level: str) -> None:
    """`handler` on the package logger, replacing an earlier one of the same name."""
    logger = logging.getLogger("artifact_gui")
    for old in [h for h in logger.handlers if h.get_name() == name]:
        logger.removeHandler(old)
        old.close()
    handler.set_name(name)
    handler.setFormatter(logging.Formatter(_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
