"""The Lineage tab: Fit shows every node, labels stay legible, edges avoid other nodes."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPalette, QPen, QTransform

import artifact_gui as ag
from artifact_gui.ui import MainWindow
from artifact_gui.ui.lineage import LineageTab, NodeItem, elided_label, node_style
from artifact_gui.ui.tasks import TaskRunner, TaskState
from tests.ui.conftest import contrast_ratio, select_artifact


def _open_lineage(qtbot, window, project, type_, name, hops=2):
    select_artifact(qtbot, window, project, type_, name)
    lineage = window.tabs.lineage
    lineage.hops.setValue(hops)
    window.tabs.setCurrentWidget(lineage)
    qtbot.waitUntil(lambda: len(lineage.scene.items_by_key) > 1 and not window.runner.active_tasks, timeout=10000)
    return lineage


def _all_nodes_visible(view) -> bool:
    viewport = QRectF(view.viewport().rect())
    return all(viewport.contains(QRectF(view.mapFromScene(item.sceneBoundingRect()).boundingRect()))
               for item in view.scene().items_by_key.values())


def _wide_pipeline(store, steps: int) -> None:
    """A chain of `steps` runs, each turning the previous step's output into a new one."""
    previous = None
    for step in range(steps):
        with ag.init("proj", job_type=f"step-{step}", store=store) as run:
            if previous is not None:
                run.use_artifact(previous)
            artifact = ag.Artifact(f"stage-{step}-with-a-rather-long-descriptive-name", "dataset")
            with artifact.new_file("x.txt") as f:
                f.write(str(step))
            previous = run.log_artifact(artifact)


def test_fit_shows_every_node_of_a_graph_wider_than_the_view(qtbot, local_store):
    _wide_pipeline(local_store, 9)
    window = MainWindow(local_store)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.sidebar.model.rowCount() > 0, timeout=10000)
    lineage = _open_lineage(qtbot, window, "proj", "dataset", "stage-4-with-a-rather-long-descriptive-name", hops=4)
    assert len(lineage.scene.items_by_key) == 17  # 9 versions and 8 runs
    view = lineage.view
    view.scale(3, 3)  # the user zoomed in, then asks for the whole graph
    assert not _all_nodes_visible(view)
    qtbot.mouseClick(lineage.fit_button, Qt.MouseButton.LeftButton)
    assert _all_nodes_visible(view)
    assert node_style(view.transform().m11()) == "compact"  # so names are drawn large enough to read
    view.grab()  # paints the compact style without a warning
    window.close()


def test_demo_graph_opens_fitted_at_1280_by_800(qtbot, window):
    window.resize(1280, 800)
    lineage = _open_lineage(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    assert _all_nodes_visible(lineage.view)
    window.resize(900, 600)  # stays fitted while the user has not zoomed
    assert _all_nodes_visible(lineage.view)


def test_node_names_are_elided_and_given_in_full_on_hover(qtbot, window):
    lineage = _open_lineage(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    centre = lineage.scene.items_by_key[f"version:{window.tabs.version.id}"]
    assert isinstance(centre, NodeItem)
    assert centre.toolTip().startswith("mnist-demo/mnist-cnn:v2\n")
    font = QFont()
    long_name = "a-very-long-artifact-name-that-does-not-fit-in-a-node:v12"
    shown = elided_label(long_name, font, 120)
    assert "…" in shown and shown.endswith(":v12") and QFontMetricsF(font).horizontalAdvance(shown) <= 120


def test_node_styles_by_zoom():
    assert [node_style(s) for s in (1.0, 0.8, 0.79, 0.2, 0.05)] == ["full", "full", "compact", "compact", "dot"]


def test_drawn_edges_do_not_pass_under_unrelated_nodes(qtbot, window):
    lineage = _open_lineage(qtbot, window, "mnist-demo", "dataset", "mnist-raw", hops=3)
    items = lineage.scene.items_by_key
    edges = [item for item in lineage.scene.items() if not isinstance(item, NodeItem)]
    assert edges
    for edge in edges:
        path = edge.path()
        start, end = path.pointAtPercent(0), path.elementAt(path.elementCount() - 1)
        ends = {key for key, item in items.items()
                if item.sceneBoundingRect().adjusted(-1, -1, 1, 1).contains(start)
                or item.sceneBoundingRect().adjusted(-1, -1, 1, 1).contains(end.x, end.y)}
        for key, item in items.items():
            if key in ends:
                continue
            inner = item.sceneBoundingRect().adjusted(4, 4, -4, -4)
            assert not any(inner.contains(path.pointAtPercent(i / 200)) for i in range(201)), key


def test_without_a_version_the_lineage_says_what_to_do(qtbot, window):
    lineage = _open_lineage(qtbot, window, "mnist-demo", "model", "mnist-cnn")
    assert window.sidebar.select_key(("mnist-demo", "model"))  # a type, not an artifact
    qtbot.waitUntil(lambda: lineage.version_id is None, timeout=5000)
    texts = [item.text() for item in lineage.scene.items() if hasattr(item, "text")]
    assert texts == ["Select a version to see the runs and versions around it."]
    assert not lineage.view.horizontalScrollBar().isVisible() and not lineage.scene.items_by_key


class _HeldLineage:
    """The store, except that the lineage of one version waits until the test lets it go:
    a deterministic way to have a load still running when the user selects another version."""

    def __init__(self, store, held_version_id: int):
        self.store, self.held_version_id = store, held_version_id
        self.entered, self.release = threading.Event(), threading.Event()

    def lineage(self, version_id, *hops):
        if version_id == self.held_version_id:
            self.entered.set()
            self.release.wait(30)
        return self.store.lineage(version_id, *hops)


def test_a_new_selection_cancels_the_lineage_load_it_replaces(qtbot, local_store):
    _wide_pipeline(local_store, 3)
    first, second = (int(local_store.get_version("proj", f"stage-{i}-with-a-rather-long-descriptive-name",
                                                 "latest").id) for i in (0, 2))
    held = _HeldLineage(local_store, first)
    runner = TaskRunner()
    submitted = []
    submit = runner.submit
    runner.submit = lambda *args, **kwargs: submitted.append(submit(*args, **kwargs)) or submitted[-1]  # a spy
    tab = LineageTab(held, runner)
    qtbot.addWidget(tab)
    try:
        tab.set_version(first)
        assert held.entered.wait(10)
        tab.set_version(second)
        assert submitted[0].is_cancel_requested  # superseded, not merely ignored when it returns
        held.release.set()
        qtbot.waitUntil(lambda: not runner.active_tasks, timeout=10000)
        assert submitted[0].state is TaskState.CANCELLED and submitted[1].state is TaskState.SUCCEEDED
        assert f"version:{second}" in tab.scene.items_by_key
    finally:
        held.release.set()
        runner.shutdown()
        assert runner.join(10)


def test_compact_node_names_are_readable_in_both_themes():
    from artifact_gui.ui.lineage import CLUSTER_COLOR, RUN_COLOR, VERSION_COLOR, label_color_on, node_color
    from artifact_gui.ui.theme import dark_palette

    for palette in (QPalette(), dark_palette()):
        for kind in ("run", "version", "cluster"):
            fill = node_color(kind, palette)
            assert contrast_ratio(fill, label_color_on(fill)) >= 4.5, (kind, fill.name())
    assert {RUN_COLOR.name(), VERSION_COLOR.name(), CLUSTER_COLOR.name()} == {
        node_color(kind, QPalette()).name() for kind in ("run", "version", "cluster")}


class _RecordingPainter:
    """Stands in for the QPainter of NodeItem.paint: keeps each text drawn, with the colour
    of the pen it was drawn in and the fill of the node under it."""

    def __init__(self, scale: float):
        self._transform = QTransform.fromScale(scale, scale)
        self._font, self._brush, self._pen = QFont(), QBrush(), None
        self._fill = None
        self.texts: list[tuple[str, QColor, QColor]] = []

    def worldTransform(self) -> QTransform:
        return self._transform

    def setRenderHint(self, *_args) -> None:
        pass

    def setBrush(self, brush) -> None:
        self._brush = QBrush(brush)

    def setPen(self, pen) -> None:
        self._pen = pen.color() if isinstance(pen, QPen) else pen if isinstance(pen, QColor) else None

    def drawRoundedRect(self, *_args) -> None:
        self._fill = self._brush.color()  # the node's body: the background of its text

    def drawRect(self, *_args) -> None:
        pass  # a version's accent bar, beside the text

    def font(self) -> QFont:
        return self._font

    def setFont(self, font: QFont) -> None:
        self._font = font

    def drawText(self, _rect, _flags, text: str) -> None:
        self.texts.append((text, self._pen, self._fill))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_text_of_a_node_is_readable_in_both_themes(qtbot, theme):
    """The small purple "run" under a run's name was 3.8:1 on the dark theme's near-black:
    every text a node draws, at full size and compact, must reach 4.5:1 on what it is drawn on."""
    from PySide6.QtWidgets import QStyleOptionGraphicsItem, QWidget

    from artifact_gui.stores.lineage_layout import DisplayNode
    from artifact_gui.ui.theme import dark_palette

    widget = QWidget()
    qtbot.addWidget(widget)
    widget.setPalette(QPalette() if theme == "light" else dark_palette())
    for kind, detail in (("run", "run"), ("version", "version"), ("cluster", "3 more versions")):
        node = DisplayNode(key=f"{kind}:1", kind=kind, label=f"a-{kind}", detail=detail)
        for centre in (False, True):
            for scale in (1.0, 0.5):  # drawn full, and compact
                painter = _RecordingPainter(scale)
                NodeItem(node, centre).paint(painter, QStyleOptionGraphicsItem(), widget)
                assert painter.texts, (kind, scale)
                for text, pen, fill in painter.texts:
                    ratio = contrast_ratio(pen, fill)
                    assert ratio >= 4.5, (theme, kind, centre, scale, text, pen.name(), fill.name(), round(ratio, 2))
