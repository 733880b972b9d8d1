"""The Lineage tab: runs and versions around a version, in layers from left to right.

Layout is grandalf's Sugiyama (layering, crossing reduction, coordinates); it runs top to
bottom, so x and y are swapped. More than five siblings hanging off one node collapse into
a cluster node that expands on click, as W&B's lineage view does."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import SugiyamaLayout
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

from ..core.text import counted
from ..stores.base import LineageGraph, LineageNode, Store
from .tasks import TaskRunner

CLUSTER_AFTER = 5
NODE_WIDTH, NODE_HEIGHT = 210, 44
MIN_FIT_SCALE = 0.85  # below this labels stop being legible: scroll instead
LAYER_GAP, ROW_GAP = 56, 18
RUN_COLOR = QColor("#6a1b9a")
VERSION_COLOR = QColor("#1565c0")
CLUSTER_COLOR = QColor("#757575")
CENTRE_COLOR = QColor("#f9a825")


@dataclass(frozen=True)
class DisplayNode:
    key: str
    kind: str  # "run", "version" or "cluster"
    label: str
    detail: str
    hidden_count: int = 0


def visible_graph(graph: LineageGraph, centre_key: str, expanded: set[str]) -> tuple[list[DisplayNode], list[tuple[str, str]]]:
    """Collapse groups of more than CLUSTER_AFTER siblings (same kind, hanging off the same
    node on the side of the centre) into a cluster node unless the group was expanded."""
    nodes = {f"{n.kind}:{n.id}": n for n in graph.nodes}
    # Upstream edges point towards the centre, downstream edges away from it.
    towards_centre: dict[str, str] = {}
    for source, target in graph.edges:
        if nodes[source].depth < 0:
            towards_centre.setdefault(source, target)
        if nodes[target].depth > 0:
            towards_centre.setdefault(target, source)
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for key, anchor in towards_centre.items():
        side = "up" if nodes[key].depth < 0 else "down"
        groups[(anchor, nodes[key].kind, side)].append(key)
    hidden: set[str] = set()
    clusters: list[tuple[DisplayNode, str, str]] = []
    for (anchor, kind, side), members in groups.items():
        cluster_key = f"cluster:{anchor}:{kind}:{side}"
        if len(members) > CLUSTER_AFTER and cluster_key not in expanded:
            members.sort(key=lambda k: nodes[k].label)
            rest = members[CLUSTER_AFTER:]
            hidden.update(rest)
            noun = "run" if kind == "run" else "version"
            label = "+" + counted(len(rest), f"more {noun}", f"more {noun}s")
            node = DisplayNode(cluster_key, "cluster", label, "click to expand", len(rest))
            clusters.append((node, anchor, side))
    # Whatever is reachable from the centre without passing a hidden node stays.
    neighbours: dict[str, set[str]] = defaultdict(set)
    for source, target in graph.edges:
        if source not in hidden and target not in hidden:
            neighbours[source].add(target)
            neighbours[target].add(source)
    reachable, frontier = {centre_key}, [centre_key]
    while frontier:
        for other in neighbours[frontier.pop()]:
            if other not in reachable:
                reachable.add(other)
                frontier.append(other)
    project = nodes[centre_key].label.split("/", 1)[0] + "/"
    shown = [DisplayNode(key, n.kind, n.label.removeprefix(project), _detail(n))
             for key, n in nodes.items() if key in reachable]
    edges = [(s, t) for s, t in graph.edges if s in reachable and t in reachable]
    for node, anchor, side in clusters:
        if anchor in reachable:
            shown.append(node)
            edges.append((node.key, anchor) if side == "up" else (anchor, node.key))
    return shown, edges


def _detail(node: LineageNode) -> str:
    if node.kind == "run":
        return "run"
    return "this version" if node.depth == 0 else "version"


def layout(nodes: list[DisplayNode], edges: list[tuple[str, str]]) -> dict[str, QPointF]:
    """Top-left corner of each node, layers left to right, no overlaps. The graph is
    connected (everything shown is reachable from the centre), so it is laid out as one
    grandalf graph_core: grandalf's Graph() would look for components, in quadratic time."""
    vertices = {node.key: Vertex(node.key) for node in nodes}

    class _View:  # grandalf's sizes, in its top-to-bottom frame (so w and h swap)
        w, h = NODE_HEIGHT + ROW_GAP, NODE_WIDTH

    for vertex in vertices.values():
        vertex.view = _View()
    component = graph_core(list(vertices.values()), [Edge(vertices[s], vertices[t]) for s, t in edges])
    sugiyama = SugiyamaLayout(component)
    sugiyama.yspace = LAYER_GAP
    sugiyama.xspace = ROW_GAP
    sugiyama.init_all()
    sugiyama.draw(N=1)
    top = min(v.view.xy[0] for v in component.sV)
    return {v.data: QPointF(v.view.xy[1], v.view.xy[0] - top) for v in component.sV}


def lay_out_lineage(graph: LineageGraph, centre_key: str, expanded: set[str]) -> "LaidOutGraph":
    """Everything a scene needs, computed off the UI thread."""
    nodes, edges = visible_graph(graph, centre_key, expanded)
    return LaidOutGraph(nodes, edges, layout(nodes, edges), centre_key)


@dataclass(frozen=True)
class LaidOutGraph:
    nodes: list[DisplayNode]
    edges: list[tuple[str, str]]
    positions: dict[str, QPointF]
    centre_key: str


class NodeItem(QGraphicsItem):
    def __init__(self, node: DisplayNode, centre: bool):
        super().__init__()
        self.node, self.centre = node, centre
        self.setToolTip(f"{node.label}\n{node.detail}")
        self.setCursor(Qt.CursorShape.PointingHandCursor if node.kind != "run" else Qt.CursorShape.ArrowCursor)
        self.setAcceptHoverEvents(True)

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, NODE_WIDTH + 4, NODE_HEIGHT + 4)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        palette = widget.palette() if widget else QPalette()
        color = {"run": RUN_COLOR, "version": VERSION_COLOR}.get(self.node.kind, CLUSTER_COLOR)
        if palette.color(QPalette.ColorRole.Base).lightness() < 128:
            color = color.lighter(170)  # keep the accents readable on a dark palette
        rect = QRectF(0, 0, NODE_WIDTH, NODE_HEIGHT)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(QBrush(palette.color(QPalette.ColorRole.Base)))
        pen = QPen(CENTRE_COLOR if self.centre else color, 3 if self.centre else 1.5)
        if self.node.kind == "cluster":
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        radius = NODE_HEIGHT / 2 if self.node.kind == "run" else 6  # runs are pills, versions boxes
        painter.drawRoundedRect(rect, radius, radius)
        painter.setBrush(color)
        painter.setPen(Qt.PenStyle.NoPen)
        if self.node.kind == "version":
            painter.drawRect(QRectF(0, 0, 6, NODE_HEIGHT))
        font = QFont(painter.font())
        metrics = QFontMetrics(font)
        text_rect = rect.adjusted(14, 4, -10, -4)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        title = metrics.elidedText(self.node.label, Qt.TextElideMode.ElideMiddle, int(text_rect.width()))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, title)
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 6))
        painter.setFont(font)
        painter.setPen(color if not self.centre else palette.color(QPalette.ColorRole.Text))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, self.node.detail)


def _edge_path(start: QPointF, end: QPointF) -> QPainterPath:
    path = QPainterPath(start)
    middle = (start.x() + end.x()) / 2
    path.cubicTo(QPointF(middle, start.y()), QPointF(middle, end.y()), end)
    head = QPolygonF([end, QPointF(end.x() - 8, end.y() - 4), QPointF(end.x() - 8, end.y() + 4), end])
    path.addPolygon(head)
    return path


class LineageScene(QGraphicsScene):
    nodeClicked = Signal(object)  # DisplayNode

    def __init__(self, parent=None):
        super().__init__(parent)
        self.items_by_key: dict[str, NodeItem] = {}

    def show_graph(self, laid_out: LaidOutGraph) -> None:
        self.clear()
        self.items_by_key = {}
        positions = laid_out.positions
        edge_pen = QPen(QColor("#9e9e9e"), 1.4)
        for source, target in laid_out.edges:
            start = positions[source] + QPointF(NODE_WIDTH, NODE_HEIGHT / 2)
            end = positions[target] + QPointF(0, NODE_HEIGHT / 2)
            item = QGraphicsPathItem(_edge_path(start, end))
            item.setPen(edge_pen)
            item.setZValue(-1)
            self.addItem(item)
        for node in laid_out.nodes:
            item = NodeItem(node, node.key == laid_out.centre_key)
            item.setPos(positions[node.key])
            self.addItem(item)
            self.items_by_key[node.key] = item
        self.setSceneRect(self.itemsBoundingRect().adjusted(-30, -30, 30, 30))

    def mousePressEvent(self, event) -> None:
        item = self.itemAt(event.scenePos(), self.views()[0].transform()) if self.views() else None
        while item is not None and not isinstance(item, NodeItem):
            item = item.parentItem()
        if isinstance(item, NodeItem) and event.button() == Qt.MouseButton.LeftButton:
            self.nodeClicked.emit(item.node)
            event.accept()
            return
        super().mousePressEvent(event)


class LineageView(QGraphicsView):
    """Wheel to zoom, drag to pan."""

    def __init__(self, scene: LineageScene, parent: QWidget | None = None):
        super().__init__(scene, parent)
        self.setObjectName("lineageView")
        self.setAccessibleName("Lineage graph")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)

    def wheelEvent(self, event) -> None:
        factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
        scale = self.transform().m11() * factor
        if 0.05 < scale < 4:
            self.scale(factor, factor)
        event.accept()

    def fit(self, focus: QGraphicsItem | None = None) -> None:
        """Fit the graph, but never shrink it past legibility: then centre on `focus`."""
        rect = self.scene().sceneRect()
        if rect.isEmpty():
            return
        self.resetTransform()
        viewport = self.viewport().rect()
        scale = min(viewport.width() / rect.width(), viewport.height() / rect.height(), 1.0)
        scale = max(scale, MIN_FIT_SCALE)
        self.scale(scale, scale)
        self.centerOn(focus if focus is not None and scale == MIN_FIT_SCALE else rect.center())


class LineageTab(QWidget):
    versionActivated = Signal(int)  # a version node was clicked

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.store, self.runner = store, runner
        self.version_id: int | None = None
        self.graph: LineageGraph | None = None
        self.expanded: set[str] = set()
        self._generation = 0
        self.scene = LineageScene(self)
        self.scene.nodeClicked.connect(self._on_node_clicked)
        self.view = LineageView(self.scene, self)
        self.hops = QSpinBox(self)
        self.hops.setObjectName("lineageHops")
        self.hops.setAccessibleName("Hops each way")
        self.hops.setRange(1, 20)
        self.hops.setValue(2)
        self.hops.valueChanged.connect(lambda _value: self.reload())
        fit = QPushButton("Fit to View", self)
        fit.setObjectName("lineageFit")
        fit.clicked.connect(self.fit)
        self.summary = QLabel(self)
        self.summary.setObjectName("lineageSummary")
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Hops each way:", self))
        controls.addWidget(self.hops)
        controls.addWidget(fit)
        controls.addStretch(1)
        controls.addWidget(self.summary)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.view, 1)

    def set_version(self, version_id: int | None) -> None:
        if version_id == self.version_id:
            return
        self.version_id = version_id
        self.expanded = set()
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        self.scene.clear()
        self.scene.items_by_key = {}
        if self.version_id is None:
            self.summary.setText("")
            return
        hops, version_id = self.hops.value(), self.version_id
        self.summary.setText("Loading lineage…")

        def load() -> tuple[LineageGraph, LaidOutGraph]:
            graph = self.store.lineage(version_id, hops, hops)
            return graph, lay_out_lineage(graph, f"version:{version_id}", set())

        self.runner.submit(f"Loading the lineage of version id {version_id}", load,
                           on_success=lambda result: self._on_loaded(generation, *result))

    def _on_loaded(self, generation: int, graph: LineageGraph, laid_out: LaidOutGraph) -> None:
        if generation == self._generation:
            self.graph = graph
            self._show(laid_out)
            self.fit()

    def _show(self, laid_out: LaidOutGraph) -> None:
        self.scene.show_graph(laid_out)
        runs = sum(1 for n in self.graph.nodes if n.kind == "run")
        self.summary.setText(f"{counted(len(self.graph.nodes) - runs, 'version')}, {counted(runs, 'run')}")

    def expand_cluster(self, key: str) -> None:
        """Show the members of a cluster node, laid out again in the background."""
        self.expanded.add(key)
        generation = self._generation
        self.runner.submit("Expanding the lineage", lay_out_lineage, self.graph, f"version:{self.version_id}",
                           set(self.expanded),
                           on_success=lambda laid_out: self._show(laid_out) if generation == self._generation else None)

    def fit(self) -> None:
        self.view.fit(self.scene.items_by_key.get(f"version:{self.version_id}"))

    def _on_node_clicked(self, node: DisplayNode) -> None:
        if node.kind == "cluster":
            self.expand_cluster(node.key)
        elif node.kind == "version":
            version_id = int(node.key.split(":", 1)[1])
            if version_id != self.version_id:
                self.versionActivated.emit(version_id)
