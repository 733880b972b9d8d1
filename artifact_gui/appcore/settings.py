"""Every user setting, declared once (qutebrowser's configdata model): key, type, default,
allowed range or choices, label and description. The Settings dialog is built from this
list and the code reads values through it, so a value out of range never gets in."""

from __future__ import annotations

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


SETTINGS: tuple[Setting, ...] = (
    Setting(DOWNLOAD_FOLDER_KEY, str, platformdirs.user_downloads_dir, "Download folder",
            "Where downloads go unless you choose another folder (versions under artifacts/<name>:vN).",
            is_folder=True),
    Setting(TRASH_RETENTION_KEY, int, 30, "Keep deleted versions in the Trash for",
            "Versions in the Trash longer than this are deleted for good when a window opens.",
            minimum=1, maximum=3650, suffix=" days"),
    Setting(THEME_KEY, str, "system", "Theme", "Window colours: the system's, light or dark.", choices=THEMES),
    Setting(TRANSFERS_KEY, int, 2, "Transfers at once", "Uploads and downloads that run at the same time.",
            minimum=1, maximum=16),
)
REGISTRY: dict[str, Setting] = {s.key: s for s in SETTINGS}
