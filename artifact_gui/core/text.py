"""Words for people: a count with its noun in the right number."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`counted(1, "version")` -> "1 version"; `counted(1200, "file")` -> "1,200 files".

    `plural` is for nouns that do not just take an "s" (`counted(2, "entry", "entries")`).
    """
    word = noun if count == 1 else (plural or f"{noun}s")
    return f"{count:,} {word}"
