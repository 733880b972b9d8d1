"""A focus ring one can see in both themes (issue 10, item 12): the widget with the keyboard
focus gets a solid ring in a colour that stands out from the window, not Fusion's faint tint."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QLineEdit, QPushButton, QStyle, QStyleOptionButton, QStyleOptionFrame

from artifact_gui.ui.theme import FOCUS_RING_WIDTH, apply_theme, focus_ring_color


@pytest.fixture
def themed(qapp):
    """Applies a theme; the palette comes back afterwards (the focus-ring style stays, as it
    does in the application)."""
    original_palette = qapp.palette()
    yield lambda theme: apply_theme(qapp, theme)
    qapp.setPalette(original_palette)


def _render(widget, option, element, focused: bool) -> QImage:
    option.initFrom(widget)
    option.rect = QRect(0, 0, 120, 30)
    if focused:
        option.state |= QStyle.StateFlag.State_HasFocus
    else:
        option.state &= ~QStyle.StateFlag.State_HasFocus
    image = QImage(120, 30, QImage.Format.Format_ARGB32)
    image.fill(widget.palette().color(QPalette.ColorRole.Window))
    painter = QPainter(image)
    QApplication.style().drawPrimitive(element, option, painter, widget)
    painter.end()
    return image


def _ring_pixels(image: QImage, color: QColor) -> int:
    """Pixels within a small distance of the ring colour (antialiasing blends the edges)."""
    count = 0
    for y in range(image.height()):
        for x in range(image.width()):
            pixel = image.pixelColor(x, y)
            if abs(pixel.red() - color.red()) + abs(pixel.green() - color.green()) + \
                    abs(pixel.blue() - color.blue()) < 40:
                count += 1
    return count


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("kind", ["line edit", "button"])
def test_focused_widgets_get_a_solid_ring_that_stands_out(qtbot, themed, theme, kind):
    themed(theme)
    if kind == "line edit":
        widget, option, element = QLineEdit(), QStyleOptionFrame(), QStyle.PrimitiveElement.PE_FrameLineEdit
        option.lineWidth = 1
    else:
        widget, option, element = QPushButton("OK"), QStyleOptionButton(), QStyle.PrimitiveElement.PE_PanelButtonCommand
    qtbot.addWidget(widget)
    ring = focus_ring_color(widget.palette())
    focused = _ring_pixels(_render(widget, option, element, True), ring)
    unfocused = _ring_pixels(_render(widget, option, element, False), ring)
    # Around a 120x30 frame, a ring FOCUS_RING_WIDTH px wide covers most of its perimeter.
    assert focused - unfocused >= FOCUS_RING_WIDTH * (120 + 30), (focused, unfocused)
    window = widget.palette().color(QPalette.ColorRole.Window)
    assert abs(ring.lightness() - window.lightness()) >= 60, (ring.name(), window.name())


def focused_line_edit(qtbot, text: str) -> QLineEdit:
    """A line edit in a window of its own, shown and holding the focus."""
    edit = QLineEdit(text)
    qtbot.addWidget(edit)
    edit.show()
    qtbot.waitExposed(edit)
    edit.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    return edit


def test_the_ring_is_drawn_on_a_focused_widget_in_a_window(qtbot, themed):
    themed("light")
    edit = focused_line_edit(qtbot, "")
    ring = focus_ring_color(edit.palette())
    assert _ring_pixels(edit.grab().toImage(), ring) >= FOCUS_RING_WIDTH * (edit.width() + edit.height())


def test_the_ring_leaves_the_first_character_of_a_focused_field_clear(qtbot, themed):
    """The ring is drawn inside the field's frame; the text starts beyond it, so a path's
    leading '/' is not painted over (the tester read it as a cut path)."""
    themed("light")
    edit = focused_line_edit(qtbot, "/tmp/data")
    edit.end(False)  # the cursor away from the start
    image, middle = edit.grab().toImage(), edit.height() // 2
    ring, base = focus_ring_color(edit.palette()), edit.palette().color(QPalette.ColorRole.Base)

    def distance(x: int, y: int, color: QColor) -> int:
        pixel = image.pixelColor(x, y)
        return abs(pixel.red() - color.red()) + abs(pixel.green() - color.green()) + abs(pixel.blue() - color.blue())

    ring_inner = max(x for x in range(edit.width() // 4) if distance(x, middle, ring) < 40)
    rows = range(2 * FOCUS_RING_WIDTH + 1, edit.height() - 2 * FOCUS_RING_WIDTH - 1)  # inside the ring
    first_text = min(x for x in range(ring_inner + 1, edit.width()) for y in rows if distance(x, y, base) > 120)
    assert first_text - ring_inner >= 2, (ring_inner, first_text)


def test_chip_lists_are_a_tab_stop_only_with_chips_and_show_the_focused_chip(qtbot, window):
    from PySide6.QtCore import Qt

    from tests.ui.conftest import select_artifact, select_row, wait_idle

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    select_artifact(qtbot, window, "mnist-demo", "dataset", "mnist-raw")
    select_row(window.versions, 2)  # v0: no alias, no tag
    overview = window.tabs.overview
    qtbot.waitUntil(lambda: window.tabs.version is not None and window.tabs.version.version == "v0", timeout=5000)
    tab_bar = window.tabs.tabBar()
    tab_bar.setFocus()
    qtbot.keyClick(tab_bar, Qt.Key.Key_Tab)
    assert overview.aliases.input.hasFocus()  # no stop on an empty chip list nobody can see focused

    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    qtbot.waitUntil(lambda: overview.aliases.list.count() == 2, timeout=5000)
    tab_bar.setFocus()
    qtbot.keyClick(tab_bar, Qt.Key.Key_Tab)
    chips = overview.aliases.list
    assert chips.hasFocus() and chips.currentItem() is not None
    image = chips.grab().toImage()
    ring = focus_ring_color(chips.palette())
    assert _ring_pixels(image, ring) > 20, "the focused chip shows no focus ring"
    wait_idle(qtbot, window)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_error_lines_are_readable_in_both_themes(qtbot, themed, theme):
    from artifact_gui.ui.connect import ConnectDialog
    from artifact_gui.ui.tasks import TaskRunner

    from .conftest import contrast_ratio

    themed(theme)
    runner = TaskRunner()
    dialog = ConnectDialog(runner)
    qtbot.addWidget(dialog)
    dialog.url.setText("not a url")
    dialog.test()
    css = dialog.status.styleSheet()
    assert css.startswith("color: ")
    color = QColor(css.removeprefix("color: ").rstrip(";"))
    assert contrast_ratio(color, dialog.palette().color(QPalette.ColorRole.Window)) >= 4.5, (theme, css)
    runner.shutdown()
