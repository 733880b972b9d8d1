"""Words for people: a count with its noun in the right number, a message as a sentence."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`counted(1, "version")` -> "1 version"; `counted(1200, "file")` -> "1,200 files".

    `plural` is for nouns that do not just take an "s" (`counted(2, "entry", "entries")`).
    """
    word = noun if count == 1 else (plural or f"{noun}s")
    return f"{count:,} {word}"


_AGE_UNITS = (("year", 365 * 86_400), ("month", 30 * 86_400), ("day", 86_400), ("hour", 3_600))


def age_text(seconds: float) -> str:
    """How long ago, short enough for a table column: "just now", "4 min ago", "1 hour ago", "3 days ago".

    Every pane uses this one wording, so the versions table and the Overview never disagree.
    """
    if seconds < 60:
        return "just now"
    if seconds < 3_600:
        return f"{int(seconds // 60)} min ago"
    unit, length = next((unit, length) for unit, length in _AGE_UNITS if seconds >= length)
    return f"{counted(int(seconds // length), unit)} ago"


def sentence(message: str) -> str:
    """`message` as the start of a sentence: its first letter capital, the rest as written.

    Error messages are written to be quoted ("cannot open 'x': ..."); a dialog that shows
    one on its own starts it with a capital, and leaves names and paths inside untouched."""
    return message[:1].upper() + message[1:]
