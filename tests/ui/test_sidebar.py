"""The sidebar filter: fast at 10,000 artifacts, never changes what is open, natural order."""

from __future__ import annotations

from PySide6.QtCore import Qt

from artifact_gui.stores.base import CollectionInfo
from artifact_gui.ui.models.collection_tree import CollectionTreeModel, natural_key
from artifact_gui.ui.sidebar import CollectionSidebar
from tests.ui.conftest import select_artifact


def _collections(names, project="proj", type_="model"):
    return [CollectionInfo(i + 1, project, name, type_, "", 1, 0.0) for i, name in enumerate(names)]


def _type_in(qtbot, sidebar, text):
    with qtbot.waitSignal(sidebar.filterApplied, timeout=5000):
        qtbot.keyClicks(sidebar.filter, text)


def _shown_names(sidebar):
    proxy = sidebar.tree.model()
    names = []
    for p in range(proxy.rowCount()):
        project = proxy.index(p, 0)
        for t in range(proxy.rowCount(project)):
            type_ = proxy.index(t, 0, project)
            names += [proxy.index(a, 0, type_).data() for a in range(proxy.rowCount(type_))]
    return names


def test_names_sort_naturally(qtmodeltester):
    model = CollectionTreeModel()
    model.set_collections(_collections(["model-10", "model-2", "Model-1", "model-2b"]))
    qtmodeltester.check(model)
    type_ = model.index_for_key(("proj", "model"))
    assert [model.index(r, 0, type_).data() for r in range(model.rowCount(type_))] == [
        "Model-1", "model-2", "model-2b", "model-10"]
    assert natural_key("v9") < natural_key("v10")


def test_filter_narrows_incrementally_and_passes_the_model_tester(qtmodeltester):
    model = CollectionTreeModel()
    model.set_collections(_collections([f"artifact-{i}" for i in range(30)]) + _collections(["x"], "other", "data"))
    model.set_filter("ARTIFACT-1")
    assert model.shown_artifact_count == 11  # 1 and 10..19
    model.set_filter("artifact-12")
    assert model.shown_artifact_count == 1
    qtmodeltester.check(model)
    model.set_filter("other")  # a project's name lets all of its artifacts through
    assert model.shown_artifact_count == 1 and model.rowCount() == 1
    model.set_filter("")
    assert model.shown_artifact_count == 31


def test_filtering_keeps_the_open_artifact_and_the_expansion(qtbot, window):
    select_artifact(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    sidebar = window.sidebar
    opened = window.tabs.version
    dataset = sidebar.proxy.mapFromSource(sidebar.model.index_for_key(("mnist-demo", "dataset")))
    sidebar.tree.collapse(dataset)
    selections = []
    sidebar.collectionSelected.connect(selections.append)
    sidebar.filter.setFocus()
    _type_in(qtbot, sidebar, "raw")  # hides the open artifact
    assert _shown_names(sidebar) == ["mnist-raw"]
    assert sidebar.selected_collection.name == "mnist-cnn"
    assert window.tabs.version == opened and window.versions_model.collection == ("mnist-demo", "mnist-cnn")
    _type_in(qtbot, sidebar, "zzz")
    assert sidebar.no_match.isVisibleTo(sidebar) and sidebar.no_match.text() == "No artifacts match"
    assert not sidebar.tree.isVisibleTo(sidebar)
    with qtbot.waitSignal(sidebar.filterApplied, timeout=5000):
        qtbot.mouseClick(sidebar.filter, Qt.MouseButton.LeftButton)
        qtbot.keyClick(sidebar.filter, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(sidebar.filter, Qt.Key.Key_Backspace)
    assert not sidebar.no_match.isVisibleTo(sidebar)
    assert selections == []  # nothing was opened or closed by filtering
    assert sidebar.selected_key == ("mnist-demo", "model", "mnist-cnn")
    assert sidebar.tree.currentIndex().data() == "mnist-cnn"
    assert not sidebar.tree.isExpanded(sidebar.proxy.mapFromSource(sidebar.model.index_for_key(("mnist-demo", "dataset"))))
    assert sidebar.tree.isExpanded(sidebar.proxy.mapFromSource(sidebar.model.index_for_key(("mnist-demo", "model"))))
    assert window.tabs.version == opened


def test_a_burst_of_keys_filters_once(qtbot):
    sidebar = CollectionSidebar()
    qtbot.addWidget(sidebar)
    sidebar.set_collections(_collections([f"artifact-{i}" for i in range(10_000)]))
    applied = []
    sidebar.filterApplied.connect(applied.append)
    _type_in(qtbot, sidebar, "artifact-9999")
    assert applied == ["artifact-9999"]
    assert _shown_names(sidebar) == ["artifact-9999"]


def test_a_type_with_many_artifacts_shows_them_all_as_the_user_scrolls(qtbot):
    from PySide6.QtWidgets import QAbstractSlider

    from artifact_gui.ui.models.collection_tree import FETCH_BATCH

    sidebar = CollectionSidebar()
    qtbot.addWidget(sidebar)
    sidebar.resize(300, 500)
    sidebar.show()
    count = FETCH_BATCH * 3 + 7
    sidebar.set_collections(_collections([f"a{i}" for i in range(count)], "p", "t"))
    type_ = sidebar.proxy.mapFromSource(sidebar.model.index_for_key(("p", "t")))
    assert sidebar.tree.isExpanded(type_) and sidebar.proxy.rowCount(type_) < count
    def scrolled_to_the_end() -> bool:  # the view lays out the fetched rows between tries
        sidebar.tree.verticalScrollBar().triggerAction(QAbstractSlider.SliderAction.SliderToMaximum)
        return sidebar.proxy.rowCount(type_) == count

    qtbot.waitUntil(scrolled_to_the_end, timeout=5000)
    assert sidebar.select_key(("p", "t", f"a{count - 1}"))


def test_escape_in_the_filter_box_clears_it(qtbot):
    sidebar = CollectionSidebar()
    qtbot.addWidget(sidebar)
    sidebar.set_collections(_collections(["alpha", "beta"]))
    sidebar.show()
    _type_in(qtbot, sidebar, "alp")
    assert _shown_names(sidebar) == ["alpha"]
    sidebar.filter.setFocus()
    qtbot.waitUntil(sidebar.filter.hasFocus)
    with qtbot.waitSignal(sidebar.filterApplied, timeout=5000):
        qtbot.keyClick(sidebar.filter, Qt.Key.Key_Escape)
    assert sidebar.filter.text() == "" and _shown_names(sidebar) == ["alpha", "beta"]


def test_escape_in_the_tree_clears_a_filter_and_otherwise_passes_on(qtbot):
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    class Holder(QWidget):  # stands for the window: it sees an Escape the sidebar leaves alone
        def __init__(self):
            super().__init__()
            self.escapes = 0
            self.sidebar = CollectionSidebar(self)
            QVBoxLayout(self).addWidget(self.sidebar)

        def keyPressEvent(self, event):
            self.escapes += event.key() == Qt.Key.Key_Escape

    holder = Holder()
    qtbot.addWidget(holder)
    sidebar = holder.sidebar
    sidebar.set_collections(_collections(["alpha", "beta"]))
    holder.show()
    qtbot.waitExposed(holder)
    _type_in(qtbot, sidebar, "alp")
    assert sidebar.select_key(("proj", "model", "alpha"))
    sidebar.tree.setFocus()
    qtbot.waitUntil(sidebar.tree.hasFocus)
    with qtbot.waitSignal(sidebar.filterApplied, timeout=5000):
        qtbot.keyClick(sidebar.tree, Qt.Key.Key_Escape)
    assert sidebar.filter.text() == "" and _shown_names(sidebar) == ["alpha", "beta"]
    assert sidebar.tree.hasFocus() and sidebar.selected_key == ("proj", "model", "alpha")
    assert holder.escapes == 0
    qtbot.keyClick(sidebar.tree, Qt.Key.Key_Escape)  # no filter: Escape is not the sidebar's
    assert holder.escapes == 1 and sidebar.selected_key == ("proj", "model", "alpha")


def test_counts_have_thousands_separators_and_long_names_keep_their_ends(qtbot):
    sidebar = CollectionSidebar()
    qtbot.addWidget(sidebar)
    sidebar.set_collections([CollectionInfo(1, "proj", "big-history", "dataset", "", 50_000, 0.0)])
    project = sidebar.tree.model().index(0, 1)
    assert project.data() == "50,000"
    # Names that differ only at the end ("...-d0-result", "...-d1-result") stay told apart.
    assert sidebar.tree.textElideMode() == Qt.TextElideMode.ElideMiddle
