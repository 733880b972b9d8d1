"""Every user setting, declared once (qutebrowser's configdata model): key, type, default,
allowed range or choices, label and description. The Settings dialog is built from this
list and the code reads values through it, so a value out of range never gets in."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import platformdirs

TRASH_RETENTION_KEY = "trash/retention_days"
THEME_KEY = "appearance/theme"
TRANSFERS_KEY = "transfers/concurrency"
DOWNLOAD_FOLDER_KEY = "download/folder"
THEMES = ("system", "light", "dark")


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any | Callable[[], Any]  # a callable is asked when the default is needed
    label: str
    description: str
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = field(default=())
    suffix: str = ""
    is_folder: bool = False
    check: Callable[[Any], str | None] | None = None  # why a value cannot be used, or None

    def problem(self, value: Any) -> str | None:
        return self.check(value) if self.check is not None else None

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default

    def coerce(self, value: Any) -> Any:
        """`value` (as stored: often a string) in this setting's type and range; the default
        when it is missing or cannot be read."""
        if value is None or value == "":
            return self.default_value()
        try:
            typed = self.type(value)
        except (TypeError, ValueError):
            return self.default_value()
        if self.choices and typed not in self.choices:
            return self.default_value()
        if self.minimum is not None:
            typed = max(self.minimum, typed)
        if self.maximum is not None:
            typed = min(self.maximum, typed)
        return typed


def _nearest_existing(path: str) -> str:
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def folder_problem(path: str) -> str | None:
    """Why files cannot be written to the folder `path`, or None when they can: it exists and
    takes new files, or it can be made. Asked by making (and removing) a folder where it would
    go, since permission bits do not tell (root, read-only mounts, /proc)."""
    if not os.path.isabs(path):
        return f"{path!r} is not a full path: start it with / (or ~ for your home folder)"
    existing = _nearest_existing(path)
    if not os.path.isdir(existing):
        return f"cannot use {path!r}: {existing!r} is a file, not a folder"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".artifact-gui-check-", dir=existing))
    except OSError as error:
        reason = error.strerror or str(error)
        if existing == os.path.normpath(path):
            return f"cannot write to {path!r}: {reason}"
        return f"cannot create {path!r}: no folder can be made in {existing!r} ({reason})"
    return None


SETTINGS: tuple[Setting, ...] = (
    Setting(DOWNLOAD_FOLDER_KEY, str, platformdirs.user_downloads_dir, "Download folder",
            "Where downloads go unless you choose another folder (versions under artifacts/<name>:vN).",
            is_folder=True, check=folder_problem),
    Setting(TRASH_RETENTION_KEY, int, 30, "Keep deleted versions in the Trash for",
            "Versions in the Trash longer than this are deleted for good when a window opens.",
            minimum=1, maximum=3650, suffix=" days"),
    Setting(THEME_KEY, str, "system", "Theme", "Window colours: the system's, light or dark.", choices=THEMES),
    Setting(TRANSFERS_KEY, int, 2, "Transfers at once", "Uploads and downloads that run at the same time.",
            minimum=1, maximum=16),
)
REGISTRY: dict[str, Setting] = {s.key: s for s in SETTINGS}
