"""Light, dark or the system's palette, on Qt's Fusion style, with a focus ring one can see."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QPalette, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleFactory

from ..appcore.settings import THEMES  # noqa: F401 - declared with the theme setting

FOCUS_RING_WIDTH = 2  # Fusion's own focus hint is a 1 px tint that is hard to see (issue 10, item 12)
# Framed widgets whose keyboard focus Fusion shows only by a faint tint of their frame.
_FRAMED_PRIMITIVES = (QStyle.PrimitiveElement.PE_FrameLineEdit, QStyle.PrimitiveElement.PE_PanelButtonCommand)
_FRAMED_CONTROLS = (QStyle.ComplexControl.CC_ComboBox, QStyle.ComplexControl.CC_SpinBox)


def focus_ring_color(palette: QPalette) -> QColor:
    """The palette's highlight, pushed away from the window colour so it stands out in both themes."""
    color = QColor(palette.color(QPalette.ColorRole.Highlight))
    window_is_dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return color.lighter(125) if window_is_dark else color.darker(125)


class FocusRingStyle(QProxyStyle):
    """Fusion, with a solid ring around whatever has the keyboard focus: text fields, buttons,
    combo and spin boxes, and the current item of a list or table."""

    def drawPrimitive(self, element, option, painter, widget=None) -> None:
        if element == QStyle.PrimitiveElement.PE_FrameFocusRect:
            self._ring(option, painter, inset=0)
            return
        super().drawPrimitive(element, option, painter, widget)
        if element in _FRAMED_PRIMITIVES and option.state & QStyle.StateFlag.State_HasFocus:
            self._ring(option, painter, inset=1)

    def subElementRect(self, element, option, widget=None) -> QRect:
        """A line edit's text starts clear of the ring drawn inside its frame: a leading '/'
        under the ring looked like a path cut at its start."""
        rect = super().subElementRect(element, option, widget)
        if element == QStyle.SubElement.SE_LineEditContents:
            return rect.adjusted(FOCUS_RING_WIDTH, 0, -FOCUS_RING_WIDTH, 0)
        return rect

    def drawComplexControl(self, control, option, painter, widget=None) -> None:
        super().drawComplexControl(control, option, painter, widget)
        if control in _FRAMED_CONTROLS and option.state & QStyle.StateFlag.State_HasFocus:
            self._ring(option, painter, inset=1)

    @staticmethod
    def _ring(option, painter, inset: int) -> None:
        half = FOCUS_RING_WIDTH / 2
        rect = QRectF(option.rect).adjusted(inset + half, inset + half, -inset - half, -inset - half)
        painter.save()
        painter.setRenderHint(painter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(focus_ring_color(option.palette), FOCUS_RING_WIDTH))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, 2, 2)
        painter.restore()


TEXT_CONTRAST = 4.5  # WCAG 2's least contrast for text


def relative_luminance(color: QColor) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio, from 1 (the same) to 21 (black on white)."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable_on(color: QColor, background: QColor, minimum: float = TEXT_CONTRAST) -> QColor:
    """`color`, made lighter on a dark background (darker on a light one) until text in it
    reaches `minimum` contrast: the hue stays, as far as it can."""
    dark_background = background.lightness() < 128
    for _step in range(40):  # 10 % a step: enough to reach white or black from any colour
        if contrast_ratio(color, background) >= minimum:
            break
        color = color.lighter(110) if dark_background else color.darker(110)
    return color


def error_css() -> str:
    """The colour of an error line, readable on the current palette: the light theme's dark
    red is 2.5:1 on the dark window, this lighter red 5:1."""
    window = QApplication.palette().color(QPalette.ColorRole.Window)
    return "color: #ff6b6b;" if window.lightness() < 128 else "color: #c62828;"


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
    if not isinstance(app.style(), FocusRingStyle):
        app.setStyle(FocusRingStyle(QStyleFactory.create("Fusion")))
    if theme == "dark":
        app.setPalette(dark_palette())
    elif theme == "light":
        app.setPalette(app.style().standardPalette())
