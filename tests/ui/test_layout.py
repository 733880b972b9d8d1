"""The window's layout at 1280x800: side panels never squeeze the main view out of its
columns, and the sidebar gives its room to the names (issue 10, item 13)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtWidgets import QLabel, QStyle, QStyleOptionViewItem

from artifact_gui.ui.models.version_table import ALIASES_COLUMN, ALIASES_ROLE, COLUMN
from artifact_gui.ui.theme import dark_palette
from artifact_gui.ui.versions import chip_rects

from .conftest import contrast_ratio, select_artifact, select_row, wait_idle


def _elided_sidebar_names(sidebar) -> list[str]:
    tree, metrics = sidebar.tree, sidebar.tree.fontMetrics()
    model, elided = tree.model(), []

    def walk(parent: QModelIndex) -> None:
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            name = model.data(index)
            # visualRect is the cell without the branch indentation; the text needs its
            # advance plus the delegate's small margins.
            if tree.visualRect(index).width() < metrics.horizontalAdvance(name) + 8:
                elided.append(name)
            walk(index)

    walk(QModelIndex())
    return elided


def _versions_table_fits(window) -> bool:
    table = window.versions
    header = table.horizontalHeader()
    return header.length() <= table.viewport().width() and table.horizontalScrollBar().maximum() == 0


def test_new_version_and_transfers_panels_leave_the_versions_columns_whole(qtbot, window, tmp_path):
    window.resize(1280, 800)
    select_artifact(qtbot, window, "mnist-demo", "checkpoint", "mnist-cnn-checkpoint")
    staged = tmp_path / "weights.bin"
    staged.write_bytes(b"w" * 100)
    window.start_staging(window.sidebar.selected_collection, [str(staged)])
    qtbot.waitUntil(lambda: window.staging.collection is not None, timeout=10000)
    window.transfer_dock.show()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.staging_dock.isVisible() and window.transfer_dock.isVisible())
    qtbot.waitUntil(lambda: _versions_table_fits(window), timeout=5000)
    assert _elided_sidebar_names(window.sidebar) == []
    # The panels keep readable minimums, and never take most of the window.
    assert window.staging_dock.width() >= window.staging_dock.minimumWidth() > 0
    assert window.staging_dock.width() <= 0.4 * window.width()
    assert window.transfer_dock.height() <= 0.3 * window.height()


def test_a_long_artifact_name_wraps_in_the_new_version_panel_instead_of_widening_it(qtbot, window, tmp_path):
    window.resize(1280, 800)
    staged = tmp_path / "data.csv"
    staged.write_text("a,b\n")
    window.start_staging(None, [str(staged)])
    window.staging.title.setText("New version of a-project-with-a-long-name/"
                                  "the-checkpoints-of-a-rather-large-language-model-trained-for-a-week (starting from v12)")
    qtbot.waitUntil(lambda: window.staging_dock.isVisible())
    assert window.staging.minimumSizeHint().width() < 0.4 * window.width()


def test_a_narrow_sidebar_shrinks_the_count_column_not_the_names(qtbot, window):
    metrics = window.sidebar.tree.fontMetrics()
    title_width = metrics.horizontalAdvance("Versions")
    window.main_splitter.setSizes([230, 1000])
    qtbot.waitUntil(lambda: window.sidebar.tree.header().sectionSize(1) < title_width)
    window.main_splitter.setSizes([600, 600])
    qtbot.waitUntil(lambda: window.sidebar.tree.header().sectionSize(1) >= title_width)


def test_the_first_window_shows_the_demo_versions_and_the_whole_overview(qtbot, window):
    window.resize(1280, 800)
    select_artifact(qtbot, window, "mnist-demo", "checkpoint", "mnist-cnn-checkpoint")
    wait_idle(qtbot, window)
    table = window.versions
    rows_shown = table.viewport().height() // table.rowHeight(0)
    assert rows_shown >= 6, f"only {rows_shown} version rows fit above the details"
    overview = window.tabs.overview
    assert overview.height() >= overview.sizeHint().height(), "the Overview needs a scroll bar"


def test_no_files_column_is_cut_at_1280_px(qtbot, window):
    window.resize(1280, 800)
    select_artifact(qtbot, window, "mnist-demo", "dataset", "mnist-processed")
    wait_idle(qtbot, window)
    files = window.tabs.files
    window.tabs.setCurrentWidget(files)
    qtbot.waitUntil(lambda: files.model.rowCount() > 0, timeout=5000)
    tree = files.tree
    assert tree.header().length() <= tree.viewport().width()
    assert tree.horizontalScrollBar().maximum() == 0


def test_the_new_version_panel_leaves_the_overview_fields_whole(qtbot, window, tmp_path):
    from PySide6.QtWidgets import QScrollArea

    window.resize(1280, 800)
    select_artifact(qtbot, window, "mnist-demo", "dataset", "mnist-raw")
    staged = tmp_path / "more.csv"
    staged.write_text("a,b\n")
    window.start_staging(window.sidebar.selected_collection, [str(staged)])
    qtbot.waitUntil(lambda: window.staging_dock.isVisible() and window.staging.is_settled, timeout=10000)
    wait_idle(qtbot, window)
    overview = window.tabs.overview
    fields = overview.findChild(QScrollArea, "overviewFields")
    # No sideways scrolling: the Remove buttons and the digest's Copy button stay in sight,
    # whatever the version shown (the digest's width differs, and so do the chips).
    for name, type_ in (("mnist-raw", "dataset"), ("mnist-cnn", "model"), ("mnist-cnn-checkpoint", "checkpoint")):
        select_artifact(qtbot, window, "mnist-demo", type_, name)
        qtbot.waitUntil(lambda: window.tabs.version is not None and window.tabs.version.name == name, timeout=5000)
        qtbot.waitUntil(lambda: fields.horizontalScrollBar().maximum() == 0, timeout=5000)
        for button in (overview.aliases.remove_button, overview.copy_digest):
            assert button.visibleRegion().boundingRect().width() == button.width(), (name, button.objectName())


def test_every_column_title_keeps_room_for_its_sort_arrow(qtbot, window):
    """Sorting by any column shows its arrow over the title's end unless the column has room
    for both ("Files" and "Expires" were covered)."""
    header = window.versions.horizontalHeader()
    assert header.sortIndicatorSection() == 0  # sorted by version from the start, so the arrow always shows
    for column in range(header.count() - 1):  # the last one stretches over what is left
        needed = header.sectionSizeFromContents(column).width()  # the title, its margins and the arrow
        assert header.sectionSize(column) >= needed, window.versions.model().headerData(
            column, Qt.Orientation.Horizontal)


def test_an_empty_new_version_panel_leaves_the_versions_columns_whole(qtbot, window):
    window.resize(1280, 800)
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    window.staging_dock.show()  # as Ctrl+Shift+N opens it
    qtbot.waitUntil(window.staging_dock.isVisible)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: _versions_table_fits(window), timeout=5000)


# --- the versions table's chip columns (issue: "latest …" beside an empty "Produced by") -----------

def _aliases_shown(table, row: int) -> tuple[tuple[str, ...], list[str]]:
    index = table.model().index(row, ALIASES_COLUMN)
    aliases = tuple(index.data(ALIASES_ROLE) or ())
    return aliases, [text for text, _rect in chip_rects(table.visualRect(index), aliases, table.fontMetrics())]


def test_the_aliases_column_widens_to_show_every_chip(qtbot, window):
    window.resize(1280, 800)
    select_artifact(qtbot, window, "mnist-demo", "report", "eval-report")
    table = window.versions
    aliases, shown = _aliases_shown(table, 0)
    assert len(aliases) >= 2  # latest, reviewed
    qtbot.waitUntil(lambda: _aliases_shown(table, 0)[1] == list(aliases), timeout=5000)
    assert _versions_table_fits(window)
    # The width came from "Produced by", which still shows its runs' names.
    produced_by = table.horizontalHeader().sectionSize(COLUMN["Produced by"])
    assert produced_by >= table.fontMetrics().horizontalAdvance("vivid-orchard-9") + 8


def test_chip_columns_give_their_room_back_for_an_artifact_with_fewer_chips(qtbot, window):
    window.resize(1280, 800)
    select_artifact(qtbot, window, "mnist-demo", "report", "eval-report")
    header = window.versions.horizontalHeader()
    qtbot.waitUntil(lambda: _aliases_shown(window.versions, 0)[1] == ["latest", "reviewed"], timeout=5000)
    wide = header.sectionSize(ALIASES_COLUMN)
    select_artifact(qtbot, window, "mnist-demo", "checkpoint", "mnist-cnn-checkpoint")  # "latest" only
    qtbot.waitUntil(lambda: header.sectionSize(ALIASES_COLUMN) < wide, timeout=5000)
    assert _aliases_shown(window.versions, 0)[1] == ["latest"]


def test_a_column_the_user_resized_keeps_its_width(qtbot, window):
    window.resize(1280, 800)
    header = window.versions.horizontalHeader()
    header.resizeSection(ALIASES_COLUMN, 230)  # as a drag of the header's edge does
    select_artifact(qtbot, window, "mnist-demo", "report", "eval-report")
    wait_idle(qtbot, window)
    assert header.sectionSize(ALIASES_COLUMN) == 230


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_alias_chips_stand_out_on_a_selected_row(qtbot, window, theme):
    """A blue chip on the blue selection all but vanished: its edge must differ from the
    selection at least as much as WCAG asks of a shape (3:1)."""
    table = window.versions
    if theme == "dark":
        table.setPalette(dark_palette())
    window.resize(1280, 800)
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    model = table.model()
    for row in range(model.rowCount()):
        select_row(table, row)
        qtbot.waitUntil(lambda: table.selected_versions() == [model.version_at(row)], timeout=5000)
        aliases = model.version_at(row).aliases
        index = model.index(row, ALIASES_COLUMN)
        chips = chip_rects(table.visualRect(index), tuple(aliases), table.fontMetrics())
        image = table.viewport().grab().toImage()
        version_cell = table.visualRect(model.index(row, 0))
        selection = image.pixelColor(version_cell.right() - 3, version_cell.center().y())
        for alias, chip in chips:
            edge = image.pixelColor(chip.center().x(), chip.top())
            assert contrast_ratio(edge, selection) >= 3, (theme, alias, edge.name(), selection.name())


# --- the New Version panel ---------------------------------------------------------------------------

# The app fits itself in the screen less a window frame (app.fit_to_available_screen): on a
# 1280 x 800 screen the window is 1264 px wide, or less.
WIDTH_ON_A_1280_SCREEN = 1264


def _stage_into_mnist_raw(qtbot, window, tmp_path) -> None:
    """Two dropped files in a folder, beside the base version's `images/…` entries."""
    folder = tmp_path / "dropfiles"
    folder.mkdir()
    for name in ("extra.csv", "notes.txt"):
        (folder / name).write_text(name)
    select_artifact(qtbot, window, "mnist-demo", "dataset", "mnist-raw")
    window.start_staging(window.sidebar.selected_collection, [str(folder)])
    qtbot.waitUntil(lambda: window.staging_dock.isVisible() and window.staging.is_settled, timeout=10000)
    wait_idle(qtbot, window)


def _shown_text(view, index) -> str:
    """The text a cell shows: its delegate's, elided as the style elides what does not fit."""
    option = QStyleOptionViewItem()
    option.initFrom(view)
    option.widget = view
    option.rect = view.visualRect(index)
    option.textElideMode = view.textElideMode()
    view.itemDelegateForIndex(index).initStyleOption(option, index)
    style = view.style()
    text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, option, view)
    margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
    return option.fontMetrics.elidedText(option.text, option.textElideMode, text_rect.width() - 2 * margin)


def _dock_width(qtbot, window, width: int) -> None:
    window.resizeDocks([window.staging_dock], [width], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: abs(window.staging_dock.width() - width) <= 2, timeout=5000)


def _narrowest_dock_width(window) -> int:
    """The least the panel can be dragged to: its minimum, or its content's if that is more."""
    dock = window.staging_dock
    return max(dock.minimumWidth(), dock.minimumSizeHint().width())


def test_new_version_entries_keep_their_file_names_in_sight(qtbot, window, tmp_path):
    """`dropfiles/…`, `images/…`, `images/…` could not be told apart: a path gives way in the
    middle, its file name stays, and the whole path is in the tooltip."""
    window.resize(WIDTH_ON_A_1280_SCREEN, 800)
    _stage_into_mnist_raw(qtbot, window, tmp_path)
    entries, model = window.staging.entries, window.staging.entries_model
    rows = [model.index(row, 0) for row in range(model.rowCount())]
    paths = [index.data() for index in rows]
    assert any(path.startswith("dropfiles/") for path in paths) and any(path.startswith("images/") for path in paths)
    shown = [_shown_text(entries, index) for index in rows]
    assert len(set(shown)) == len(shown), shown
    for path, text in zip(paths, shown):
        assert text.endswith(path.rsplit("/", 1)[-1]), (path, text)
    assert all(path in index.data(Qt.ItemDataRole.ToolTipRole) for path, index in zip(paths, rows))
    # At its narrowest the panel still tells the entries apart.
    _dock_width(qtbot, window, _narrowest_dock_width(window))
    shown = [_shown_text(entries, index) for index in rows]
    assert len(set(shown)) == len(shown), shown


def test_the_new_version_panel_leaves_the_main_area_without_a_sideways_scroll_bar(qtbot, window, tmp_path):
    from PySide6.QtWidgets import QScrollArea

    window.resize(WIDTH_ON_A_1280_SCREEN, 800)
    _stage_into_mnist_raw(qtbot, window, tmp_path)
    fields = window.tabs.overview.findChild(QScrollArea, "overviewFields")
    default_width = window.staging_dock.width()
    for width in (default_width, _narrowest_dock_width(window)):
        _dock_width(qtbot, window, width)
        qtbot.waitUntil(lambda: _versions_table_fits(window), timeout=5000)
        qtbot.waitUntil(lambda: fields.horizontalScrollBar().maximum() == 0, timeout=5000)


def test_an_invalid_alias_is_reported_beside_the_aliases_field(qtbot, window, tmp_path):
    window.resize(WIDTH_ON_A_1280_SCREEN, 800)
    _stage_into_mnist_raw(qtbot, window, tmp_path)
    panel = window.staging
    panel.aliases.setText("candidate, v9")
    shown = [label for label in panel.findChildren(QLabel) if "'v9'" in label.text() and label.isVisibleTo(panel)]
    assert len(shown) == 1 and not panel.log_button.isEnabled()
    field = panel.aliases.geometry().translated(panel.aliases.parentWidget().mapTo(panel, QPoint()))
    message = shown[0].geometry().translated(shown[0].parentWidget().mapTo(panel, QPoint()))
    assert 0 <= message.top() - field.bottom() < field.height(), "the message is not just below the Aliases field"
    assert message.left() >= field.left() - 1
    panel.aliases.setText("candidate")
    assert not any(label.isVisibleTo(panel) and "'v9'" in label.text() for label in panel.findChildren(QLabel))
