"""Errors shown in a message box. One function shows them all, so each reads as a sentence
however its message was written (messages start lower-case to be quoted inside others)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from ..core.text import sentence


def show_error(parent: QWidget | None, title: str, error: BaseException | str, advice: str = "") -> None:
    """A critical message box: `error` as a sentence, then `advice` (what to do) below it."""
    text = sentence(str(error))
    QMessageBox.critical(parent, title, f"{text}\n\n{advice}" if advice else text)
