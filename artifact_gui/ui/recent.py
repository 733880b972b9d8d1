"""The stores opened last, kept in the settings (newest first)."""

from __future__ import annotations

from PySide6.QtCore import QSettings

RECENT_STORES_KEY = "stores/recent"
MAX_RECENT = 10


def settings_list(settings: QSettings, key: str) -> list[str]:
    """A list of strings from the settings. `type=list`: an INI file gives a one-item list back,
    in the next process, as a plain string (which would be iterated letter by letter)."""
    return [item for item in settings.value(key, [], type=list) if isinstance(item, str)]


def recent_stores() -> list[str]:
    return settings_list(QSettings(), RECENT_STORES_KEY)


def remember_recent_store(location: str) -> list[str]:
    recent = [location] + [s for s in recent_stores() if s != location]
    QSettings().setValue(RECENT_STORES_KEY, recent[:MAX_RECENT])
    return recent[:MAX_RECENT]
