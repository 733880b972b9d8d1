"""Database URLs as people may see them: without their password."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def redacted(database_url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))
