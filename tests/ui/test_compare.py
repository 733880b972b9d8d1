"""Compare: both digests per file, and a side-by-side diff of the changed text file clicked."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt

from tests.ui.conftest import select_artifact, select_row


def _compare_raw_v0_and_v2(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "dataset", "mnist-raw")
    select_row(window.versions, 0)
    window.versions.selectionModel().select(
        window.versions_model.index(2, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    dialog = window.compare_versions()
    qtbot.waitUntil(lambda: dialog.diff is not None, timeout=5000)
    return dialog


def _row_of(tree, path):
    return next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount()) if tree.topLevelItem(i).text(1) == path)


def test_both_digests_are_shown(qtbot, window):
    dialog = _compare_raw_v0_and_v2(qtbot, window)
    headers = [dialog.files.headerItem().text(c) for c in range(dialog.files.columnCount())]
    assert headers[-2:] == ["Digest in v0", "Digest in v2"]
    change = next(c for c in dialog.diff.changed if c.path == "README.txt")
    item = _row_of(dialog.files, "README.txt")
    assert (item.text(4), item.text(5)) == (change.old.digest, change.new.digest)
    assert change.old.digest != change.new.digest
    dialog.close()


def test_clicking_a_changed_text_file_shows_its_lines_side_by_side(qtbot, window):
    dialog = _compare_raw_v0_and_v2(qtbot, window)
    dialog.show()
    tree = dialog.files
    item = _row_of(tree, "README.txt")
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(item).center())
    qtbot.waitUntil(lambda: dialog.shown_diff is not None and dialog.shown_diff.path == "README.txt", timeout=5000)
    model = dialog.text_diff.diff_model
    assert dialog.shown_diff.refusal == "" and model.rowCount() == 1, dialog.diff_note.text()
    assert [model.index(0, c).data() for c in range(4)] == [
        "1", "Raw digits, collection batch 0.", "1", "Raw digits, collection batch 2."]
    assert model.index(0, 1).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert "1 line differs" in dialog.diff_note.text()
    image = _row_of(tree, "images/digit_0.png")
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(image).center())
    qtbot.waitUntil(lambda: dialog.shown_diff is not None and dialog.shown_diff.path == "images/digit_0.png",
                    timeout=5000)
    assert "not UTF-8 text" in dialog.diff_note.text() and model.rowCount() == 0
    dialog.close()


def test_text_diff_model_passes_the_model_tester(qtmodeltester, local_store):
    from artifact_gui.stores.compare import side_by_side
    from artifact_gui.ui.compare import TextDiffModel

    model = TextDiffModel("v0", "v1")
    model.set_rows(side_by_side(["a", "b"], ["a", "c", "d"]))
    qtmodeltester.check(model)
    assert model.headerData(1, Qt.Orientation.Horizontal) == "v0"


def test_the_summary_counts_one_metadata_key_in_the_singular(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "dataset", "mnist-processed")
    window.versions.selectAll()
    dialog = window.compare_versions()
    qtbot.waitUntil(lambda: dialog.diff is not None, timeout=5000)
    assert len(dialog.diff.metadata) == 1
    assert dialog.summary.text().endswith("; 1 metadata key differs.")
    dialog.close()
