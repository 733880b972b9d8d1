"""Light, dark or the system's palette, on Qt's Fusion style."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from ..appcore.settings import THEMES  # noqa: F401 - declared with the theme setting


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, color in (
        (roles.Window, "#2b2b2b"), (roles.WindowText, "#e6e6e6"), (roles.Base, "#1f1f1f"),
        (roles.AlternateBase, "#272727"), (roles.ToolTipBase, "#333333"), (roles.ToolTipText, "#e6e6e6"),
        (roles.Text, "#e6e6e6"), (roles.Button, "#333333"), (roles.ButtonText, "#e6e6e6"),
        (roles.BrightText, "#ff5252"), (roles.Link, "#64b5f6"), (roles.Highlight, "#1e88e5"),
        (roles.HighlightedText, "#ffffff"), (roles.PlaceholderText, "#8a8a8a"), (roles.Mid, "#3c3c3c"),
    ):
        palette.setColor(role, QColor(color))
    for role in (roles.Text, roles.ButtonText, roles.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


def apply_theme(app: QApplication, theme: str = "system") -> None:
    if theme not in THEMES:
        raise ValueError(f"invalid theme {theme!r}: choose one of {', '.join(THEMES)}")
    app.setStyle("Fusion")
    if theme == "dark":
        app.setPalette(dark_palette())
    elif theme == "light":
        app.setPalette(app.style().standardPalette())
