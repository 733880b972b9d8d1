"""W&B semantics in the window (issue 8's GUI parts, issue 10 item 17's chips): tags and
TTL shown and edited, the TTL-expired cleanup filter, portfolio collections and their links,
`latest` movable and removable, alias chips dragged out of the versions table, the selected
chip highlighted. Real clicks and keys on a real demo store."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QDropEvent, QImage, QMouseEvent
from PySide6.QtWidgets import QApplication, QLabel

from artifact_gui.appcore.changes import Change
from artifact_gui.ui.confirm import ConfirmDialog
from artifact_gui.ui.editing import TtlDialog
from artifact_gui.ui.models.collection_tree import CollectionTreeModel
from artifact_gui.ui.models.version_table import ALIASES_ROLE, COLUMN, TAGS_ROLE, VersionTableModel
from artifact_gui.ui.tasks import TaskRunner
from artifact_gui.ui.versions import ALIAS_COLOR, TAG_COLOR, chip_rects
from tests.ui.conftest import select_artifact, wait_idle

DAY = 86400


def _click(qtbot, widget, pos=None):
    if pos is None:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    else:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def _click_indicator(qtbot, button):
    """A check box or radio button reacts where its indicator and label are, not across its width."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(8, button.height() // 2))


def _chip_rect(table, row, column, text):
    index = table.model().index(row, column)
    texts = index.data(TAGS_ROLE if column == COLUMN["Tags"] else ALIASES_ROLE)
    return dict(chip_rects(table.visualRect(index), tuple(texts), table.fontMetrics()))[text]


def _pixel(widget, point) -> QColor:
    image: QImage = widget.grab().toImage()
    return image.pixelColor(point)


def _shown(qtbot, window, parent, cls):
    def visible():
        return [w for w in parent.findChildren(cls) if w.isVisible()]

    qtbot.waitUntil(lambda: len(visible()) == 1, timeout=5000)
    return visible()[0]


def test_tags_are_chips_of_their_own_look_and_are_edited_through_operations(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    records = []
    window.session.changed.connect(records.append)
    tags = window.tabs.overview.tags
    _click(qtbot, tags.input)
    qtbot.keyClicks(tags.input, "bad/tag")
    assert tags.rule.isVisibleTo(tags) and not tags.add_button.isEnabled()
    tags.input.selectAll()
    qtbot.keyClicks(tags.input, "reviewed")
    qtbot.keyClick(tags.input, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.store.get_version("mnist-demo", "mnist-cnn", "v2").tags == ("reviewed",),
                    timeout=5000)
    qtbot.waitUntil(lambda: any(r.affects(Change.DETAILS) and window.tabs.version.id in r.version_ids
                                for r in records), timeout=5000)
    table, model = window.versions, window.versions_model
    qtbot.waitUntil(lambda: model.index(0, COLUMN["Tags"]).data(TAGS_ROLE) == ("reviewed",), timeout=5000)
    qtbot.waitUntil(lambda: tags.list.count() == 1 and tags.input.text() == "", timeout=5000)
    # A tag chip is square-cornered and of another hue than an alias chip.
    tag_chip = _chip_rect(table, 0, COLUMN["Tags"], "reviewed")
    alias_chip = _chip_rect(table, 1, COLUMN["Aliases"], "production")
    # The corner is filled: square (a rounded chip shows the row there). Row 0 is selected, so
    # its chips have a light edge, which tints that pixel a little.
    corner = _pixel(table.viewport(), tag_chip.topLeft() + QPoint(2, 2))
    assert max(abs(a - b) for a, b in zip(corner.getRgb(), TAG_COLOR.getRgb())) <= 16, corner.name()
    assert _pixel(table.viewport(), alias_chip.topLeft() + QPoint(1, 1)) != ALIAS_COLOR  # rounded
    assert _pixel(table.viewport(), QPoint(alias_chip.left() + 3, alias_chip.center().y())) == ALIAS_COLOR
    # Removing: select the chip, press Delete.
    _click(qtbot, tags.list.viewport(), tags.list.visualItemRect(tags.list.item(0)).center())
    qtbot.keyClick(tags.list, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.store.get_version("mnist-demo", "mnist-cnn", "v2").tags == (), timeout=5000)
    wait_idle(qtbot, window)


def test_the_sidebar_filter_matches_an_artifacts_tags(qtbot, window):
    window.store.update_collection("mnist-demo", "mnist-cnn", tags=["vision"])
    window.refresh()
    qtbot.waitUntil(lambda: window.sidebar.model.collection_for_key(("mnist-demo", "model", "mnist-cnn")).tags
                    == ("vision",), timeout=5000)
    _click(qtbot, window.sidebar.filter)
    with qtbot.waitSignal(window.sidebar.filterApplied, timeout=5000):
        qtbot.keyClicks(window.sidebar.filter, "VISION")
    assert window.sidebar.model.shown_artifact_count == 1
    assert window.sidebar.model.collections and "vision" in window.sidebar.model.index_for_key(
        ("mnist-demo", "model", "mnist-cnn")).data(Qt.ItemDataRole.ToolTipRole)
    wait_idle(qtbot, window)


def test_the_sidebar_filter_matches_the_tags_of_an_artifacts_versions(qtbot, window):
    checkpoint = window.store.list_versions("mnist-demo", "mnist-cnn-checkpoint")[-1]
    window.store.set_tags(checkpoint.id, ["nightly-run"])
    window.refresh()
    qtbot.waitUntil(lambda: "nightly-run" in window.sidebar.model.collection_for_key(
        ("mnist-demo", "checkpoint", "mnist-cnn-checkpoint")).version_tags, timeout=5000)
    _click(qtbot, window.sidebar.filter)
    with qtbot.waitSignal(window.sidebar.filterApplied, timeout=5000):
        qtbot.keyClicks(window.sidebar.filter, "nightly")
    assert window.sidebar.model.shown_artifact_count == 1
    wait_idle(qtbot, window)


def test_the_ttl_is_shown_and_set_in_days_never_or_inherited(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    overview = window.tabs.overview
    assert overview.fields["TTL"].text() == "inherited from the artifact: never"
    _click(qtbot, overview.change_ttl_button)
    dialog = _shown(qtbot, window, overview, TtlDialog)
    assert dialog.inherit.isChecked()
    _click(qtbot, dialog.days)
    dialog.days.selectAll()
    qtbot.keyClicks(dialog.days, "3")
    assert dialog.after.isChecked()
    qtbot.keyClick(dialog.days, Qt.Key.Key_Return)  # OK is the default button
    qtbot.waitUntil(lambda: window.store.get_version("mnist-demo", "mnist-cnn", "v2").ttl_seconds == 3 * DAY,
                    timeout=5000)
    assert not window.store.get_version("mnist-demo", "mnist-cnn", "v2").ttl_inherited
    qtbot.waitUntil(lambda: overview.fields["TTL"].text() == "expires in 3 days (3 days after creation)", timeout=5000)
    qtbot.waitUntil(lambda: window.versions_model.index(0, COLUMN["Expires"]).data() == "in 3 days", timeout=5000)
    _click(qtbot, overview.change_ttl_button)
    dialog = _shown(qtbot, window, overview, TtlDialog)
    assert dialog.after.isChecked() and dialog.days.value() == 3
    _click_indicator(qtbot, dialog.never)
    qtbot.keyClick(dialog.never, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: overview.fields["TTL"].text() == "never", timeout=5000)
    assert window.store.get_version("mnist-demo", "mnist-cnn", "v2").ttl_seconds is None
    wait_idle(qtbot, window)


def test_cleanup_offers_the_ttl_expired_filter_and_shows_expiry(qtbot, window):
    store = window.store
    versions = store.list_versions("mnist-demo", "mnist-cnn-checkpoint")
    expired = next(v for v in versions if v.version == "v0")
    store.set_ttl(expired.id, 1)
    store.set_ttl(next(v for v in versions if v.version == "v1").id, 30 * DAY)
    expires_at = store.get_version_by_id(expired.id).expires_at
    qtbot.waitUntil(lambda: time.time() > expires_at, timeout=5000)  # its TTL of 1 s runs out
    dialog = window.show_cleanup()
    model = dialog.candidates.model()
    qtbot.waitUntil(lambda: dialog.plan is not None and model.rowCount() > 1, timeout=5000)
    rows = {model.index(row, 0).data(): row for row in range(model.rowCount())}
    expires = lambda name: model.index(rows[name], 4).data()  # noqa: E731
    assert expires("mnist-demo/mnist-cnn-checkpoint:v0").startswith("expired ")
    assert expires("mnist-demo/mnist-cnn-checkpoint:v2") == "never"
    assert expires("mnist-demo/mnist-cnn-checkpoint:v1")[:4].isdigit()  # a date to come
    _click_indicator(qtbot, dialog.expired)
    qtbot.waitUntil(lambda: dialog.plan.criteria.expired and model.rowCount() == 1, timeout=5000)
    assert model.index(0, 0).data() == "mnist-demo/mnist-cnn-checkpoint:v0"
    assert "whose TTL expired" in dialog.summary.text()
    dialog.close()
    dialog.deleteLater()
    wait_idle(qtbot, window)


def test_a_portfolio_has_a_link_badge_and_its_links_go_to_their_source(qtbot, window):
    source = window.store.get_version("mnist-demo", "mnist-cnn", "production")
    window.store.link_version(source.id, "mnist-demo", "model-registry", aliases=["staging"])
    window.refresh()
    key = ("mnist-demo", "model", "model-registry")
    qtbot.waitUntil(lambda: window.sidebar.model.collection_for_key(key) is not None, timeout=5000)
    model = window.sidebar.model
    assert not model.index_for_key(key).data(Qt.ItemDataRole.DecorationRole).isNull()
    assert model.index_for_key(("mnist-demo", "model", "mnist-cnn")).data(Qt.ItemDataRole.DecorationRole) is None
    select_artifact(qtbot, window, *key)
    overview = window.tabs.overview
    qtbot.waitUntil(lambda: overview.go_to_source.isVisible(), timeout=5000)
    assert overview.fields["Source"].text() == source.qualified_name
    _click(qtbot, overview.go_to_source)
    qtbot.waitUntil(lambda: window.tabs.version is not None and window.tabs.version.id == source.id, timeout=10000)
    assert not overview.go_to_source.isVisible()
    wait_idle(qtbot, window)


def test_latest_is_dragged_from_the_table_to_another_row_with_undo(qtbot, window, monkeypatch):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    table = window.versions
    chip = _chip_rect(table, 0, COLUMN["Aliases"], "latest")
    target = table.visualRect(window.versions_model.index(2, 0)).center()  # v0

    def drop_on_target(drag):  # the system drag loop follows a real mouse; this headless test has none
        event = QDropEvent(QPointF(target), Qt.DropAction.MoveAction, drag.mimeData(), Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier)
        table.dropEvent(event)

    monkeypatch.setattr(table, "exec_drag", drop_on_target)
    qtbot.mousePress(table.viewport(), Qt.MouseButton.LeftButton, pos=chip.center())
    # A move with the button held (qtbot.mouseMove sends none with a button down):
    moved_to = QPointF(chip.center().x() + 30, chip.center().y() + 5)
    QApplication.sendEvent(table.viewport(), QMouseEvent(
        QEvent.Type.MouseMove, moved_to, table.viewport().mapToGlobal(moved_to), Qt.MouseButton.NoButton,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier))
    qtbot.mouseRelease(table.viewport(), Qt.MouseButton.LeftButton, pos=moved_to.toPoint())
    qtbot.waitUntil(lambda: window.store.get_version("mnist-demo", "mnist-cnn", "latest").version == "v0",
                    timeout=5000)
    qtbot.waitUntil(window.undo_button.isVisible, timeout=5000)
    assert window.statusBar().currentMessage() == \
        "Moved alias 'latest' from mnist-demo/mnist-cnn:v2 to mnist-demo/mnist-cnn:v0."
    _click(qtbot, window.undo_button)
    qtbot.waitUntil(lambda: window.store.get_version("mnist-demo", "mnist-cnn", "latest").version == "v2",
                    timeout=5000)
    wait_idle(qtbot, window)


def test_removing_latest_asks_and_says_the_newest_stands_in(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    wait_idle(qtbot, window)
    editor = window.tabs.overview.aliases
    latest = editor.list.item(0)
    assert latest.text() == "latest"
    _click(qtbot, editor.list.viewport(), editor.list.visualItemRect(latest).center())
    qtbot.keyClick(editor.list, Qt.Key.Key_Delete)
    dialog = _shown(qtbot, window, editor, ConfirmDialog)
    assert "newest version instead" in dialog.findChild(QLabel, "confirmQuestion").text()
    _click(qtbot, dialog.destroy_button)
    qtbot.waitUntil(lambda: "latest" not in window.store.get_version("mnist-demo", "mnist-cnn", "v2").aliases,
                    timeout=5000)
    assert window.store.get_version("mnist-demo", "mnist-cnn", "latest").version == "v2"  # stands in
    wait_idle(qtbot, window)


def test_a_selected_chip_is_brighter_and_ringed_not_dimmer(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    wait_idle(qtbot, window)
    chips = window.tabs.overview.aliases.list
    best = chips.item(1)
    rect = chips.visualItemRect(best)
    fill = rect.topLeft() + QPointF(8, rect.height() / 2).toPoint()
    before = _pixel(chips.viewport(), fill)
    _click(qtbot, chips.viewport(), rect.center())
    assert best.isSelected()
    after = _pixel(chips.viewport(), fill)
    assert after.lightness() > before.lightness()
    ring = _pixel(chips.viewport(), rect.center() - QPointF(0, rect.height() / 2 - 2).toPoint())
    assert ring != after  # the outline differs from the fill


def test_the_version_model_with_tags_and_ttl_passes_the_model_tester(qtbot, qtmodeltester, demo_store):
    version = demo_store.get_version("mnist-demo", "mnist-cnn", "v1")
    demo_store.set_tags(version.id, ["reviewed", "gold set"])
    demo_store.set_ttl(version.id, 3 * DAY)
    runner = TaskRunner()
    model = VersionTableModel(demo_store, runner)
    model.set_collection("mnist-demo", "mnist-cnn")
    qtbot.waitUntil(lambda: model.rowCount() == 3 and not model.is_loading, timeout=5000)
    qtmodeltester.check(model)
    assert model.index(1, COLUMN["Tags"]).data() == "reviewed, gold set"
    assert model.index(1, COLUMN["Expires"]).data() == "in 3 days"
    assert model.index(0, COLUMN["Expires"]).data() == "never"
    tree = CollectionTreeModel()
    demo_store.link_version(version.id, "mnist-demo", "registry")
    tree.set_collections(demo_store.list_collections())
    qtmodeltester.check(tree)
    runner.shutdown()
    runner.join(10)


def test_a_new_artifact_supersedes_the_version_requests_of_the_last(qtbot, demo_store):
    runner = TaskRunner()
    model = VersionTableModel(demo_store, runner)
    model.set_collection("mnist-demo", "mnist-cnn")
    first = runner.active_tasks
    model.set_collection("mnist-demo", "mnist-raw")
    assert len(first) == 1 and first[0].is_cancel_requested and first[0].muted
    qtbot.waitUntil(lambda: model.rowCount() == 3 and not model.is_loading and not runner.active_tasks, timeout=5000)
    assert model.version_at(0).name == "mnist-raw"
    runner.shutdown()
    runner.join(10)
