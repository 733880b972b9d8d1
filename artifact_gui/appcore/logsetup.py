"""The window's log file: under the user's state folder (platformdirs), rotated, at the
level given by `--log-level`. Tokens never reach it (nothing logs request headers)."""

from __future__ import annotations

import logging
import logging.handlers
import os

import platformdirs

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LEVEL = "INFO"
LOG_BYTES = 1 << 20
LOG_BACKUPS = 3
_HANDLER_NAME = "artifact-gui-file"


def log_folder() -> str:
    """$ARTIFACT_GUI_STATE_DIR/log, or the platform's user state folder."""
    base = os.environ.get("ARTIFACT_GUI_STATE_DIR") or platformdirs.user_state_dir("artifact-gui")
    return os.path.join(base, "log")


def configure_logging(level: str = DEFAULT_LEVEL) -> str:
    """Send artifact_gui's log records at `level` and above to the log file; returns its path.
    Calling it again replaces the earlier file handler."""
    if level.upper() not in LEVELS:
        raise ValueError(f"invalid log level {level!r}: choose one of {', '.join(LEVELS)}")
    folder = log_folder()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "artifact-gui.log")
    logger = logging.getLogger("artifact_gui")
    for handler in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        logger.removeHandler(handler)
        handler.close()
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS,
                                                   encoding="utf-8")
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logging.getLogger("artifact_gui").info("logging at %s to %s", level.upper(), path)
    return path
