"""The Lineage tab: runs and versions around a version, in layers from left to right.

What is shown and where (clusters, layout, edge routes) is computed by
stores/lineage_layout.py, off the UI thread; this module draws it. More than five siblings
hanging off one node collapse into a cluster node that expands on click, as W&B's lineage
view does. "Fit to View" shows every node; zoomed out, nodes switch to a compact style whose
name stays legible, and every node names itself in full on hover."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import (
    QApplication,
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
from ..stores.base import LineageGraph, Store
from ..stores.lineage_layout import NODE_HEIGHT, NODE_WIDTH, DisplayNode, LaidOutGraph, Point, gap_curve, lay_out_lineage
from .tasks import TaskRunner
from .theme import contrast_ratio, readable_on

RUN_COLOR = QColor("#6a1b9a")
VERSION_COLOR = QColor("#1565c0")
CLUSTER_COLOR = QColor("#757575")
CENTRE_COLOR = QColor("#f9a825")
EDGE_COLOR = QColor("#9e9e9e")
# Below this zoom a node's two lines of text are too small to read: draw it compact (filled,
# one line, text kept at a legible size on screen); below DOT_BELOW it is only a coloured box.
COMPACT_BELOW = 0.8
DOT_BELOW = 0.12
COMPACT_TEXT_PIXELS = 10  # height of a compact node's name on screen
MAX_FIT_SCALE = 1.0  # a small graph is shown at its natural size, not magnified
MIN_ZOOM, MAX_ZOOM = 0.01, 4.0


def node_style(scale: float) -> str:
    """How a node is drawn at this zoom: "full", "compact" or "dot"."""
    if scale < DOT_BELOW:
        return "dot"
    return "compact" if scale < COMPACT_BELOW else "full"


class NodeItem(QGraphicsItem):
    def __init__(self, node: DisplayNode, centre: bool):
        super().__init__()
        self.node, self.centre = node, centre
        self.setToolTip(f"{node.full_label or node.label}\n{node.detail}")
        self.setCursor(Qt.CursorShape.PointingHandCursor if node.kind != "run" else Qt.CursorShape.ArrowCursor)
        self.setAcceptHoverEvents(True)

    def boundingRect(self) -> QRectF:
        return QRectF(-2, -2, NODE_WIDTH + 4, NODE_HEIGHT + 4)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        palette = widget.palette() if widget else QPalette()
        color = node_color(self.node.kind, palette)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        style = node_style(option.levelOfDetailFromTransform(painter.worldTransform()))
        if style == "full":
            self._paint_full(painter, palette, color)
        else:
            self._paint_compact(painter, palette, color, with_text=style == "compact")

    def _outline(self, painter: QPainter, color: QColor, fill: QColor) -> QRectF:
        rect = QRectF(0, 0, NODE_WIDTH, NODE_HEIGHT)
        painter.setBrush(QBrush(fill))
        pen = QPen(CENTRE_COLOR if self.centre else color, 3 if self.centre else 1.5)
        pen.setCosmetic(True)  # outlines keep their width on screen when zoomed out
        if self.node.kind == "cluster":
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        radius = NODE_HEIGHT / 2 if self.node.kind == "run" else 6  # runs are pills, versions boxes
        painter.drawRoundedRect(rect, radius, radius)
        return rect

    def _paint_full(self, painter: QPainter, palette: QPalette, color: QColor) -> None:
        rect = self._outline(painter, color, palette.color(QPalette.ColorRole.Base))
        painter.setBrush(color)
        painter.setPen(Qt.PenStyle.NoPen)
        if self.node.kind == "version":
            painter.drawRect(QRectF(0, 0, 6, NODE_HEIGHT))
        font = QFont(painter.font())
        text_rect = rect.adjusted(14, 4, -10, -4)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                         elided_label(self.node.label, font, text_rect.width()))
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 6))
        painter.setFont(font)
        painter.setPen(color if not self.centre else palette.color(QPalette.ColorRole.Text))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, self.node.detail)

    def _paint_compact(self, painter: QPainter, palette: QPalette, color: QColor, with_text: bool) -> None:
        """Filled in the node's colour, with only its name, in a font scaled up so that it
        keeps a legible size on screen (elided to the node's width)."""
        rect = self._outline(painter, color, color)
        if not with_text:
            return
        scale = painter.worldTransform().m11() or 1.0
        font = QFont(painter.font())
        font.setPixelSize(max(1, round(COMPACT_TEXT_PIXELS / scale)))
        painter.setFont(font)
        painter.setPen(label_color_on(color))
        text_rect = rect.adjusted(8, 0, -8, 0)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         elided_label(self.node.label, font, text_rect.width()))


def node_color(kind: str, palette: QPalette) -> QColor:
    """The node's accent: its outline, and the text of its kind under its name, so readable
    as text on the view's background (the dark theme's purple "run" was 3.8:1 on near-black)."""
    color = {"run": RUN_COLOR, "version": VERSION_COLOR}.get(kind, CLUSTER_COLOR)
    background = palette.color(QPalette.ColorRole.Base)
    if background.lightness() < 128:
        color = color.lighter(170)  # keep the accents bright on a dark palette
    return readable_on(color, background)


def label_color_on(fill: QColor) -> QColor:
    """Black or white, whichever reads better on `fill` (white on the dark theme's light
    blue was barely legible)."""
    white, black = QColor("white"), QColor("black")
    return white if contrast_ratio(white, fill) >= contrast_ratio(black, fill) else black


def elided_label(label: str, font: QFont, width: float) -> str:
    """The label shortened in the middle to fit `width` (the version suffix stays visible)."""
    return QFontMetricsF(font).elidedText(label, Qt.TextElideMode.ElideMiddle, width)


def _edge_path(route: list[Point]) -> QPainterPath:
    """Curves in the gaps between layers, straight lines through the layers an edge crosses
    (see lineage_layout.edge_route), and an arrow head at the target."""
    points = [QPointF(x, y) for x, y in route]
    path = QPainterPath(points[0])
    for i in range(1, len(points)):
        if i % 2 == 0:  # route[i-1] -> route[i] runs straight through a layer
            path.lineTo(points[i])
        else:
            first, second = gap_curve(route[i - 1], route[i])
            path.cubicTo(QPointF(*first), QPointF(*second), points[i])
    end = points[-1]
    path.addPolygon(QPolygonF([end, QPointF(end.x() - 8, end.y() - 4), QPointF(end.x() - 8, end.y() + 4), end]))
    return path


class LineageScene(QGraphicsScene):
    nodeClicked = Signal(object)  # DisplayNode

    def __init__(self, parent=None):
        super().__init__(parent)
        self.items_by_key: dict[str, NodeItem] = {}

    def show_graph(self, laid_out: LaidOutGraph) -> None:
        self.clear()
        self.items_by_key = {}
        edge_pen = QPen(EDGE_COLOR, 1.4)
        edge_pen.setCosmetic(True)
        for edge in laid_out.edges:
            item = QGraphicsPathItem(_edge_path(laid_out.routes[edge]))
            item.setPen(edge_pen)
            item.setZValue(-1)
            self.addItem(item)
        for node in laid_out.nodes:
            item = NodeItem(node, node.key == laid_out.centre_key)
            item.setPos(QPointF(*laid_out.positions[node.key]))
            self.addItem(item)
            self.items_by_key[node.key] = item
        self.setSceneRect(self.itemsBoundingRect().adjusted(-30, -30, 30, 30))

    def show_message(self, text: str) -> None:
        """Instead of a graph: a line saying why there is none."""
        self.clear()
        self.items_by_key = {}
        message = self.addSimpleText(text)
        message.setBrush(QApplication.palette().color(QPalette.ColorRole.PlaceholderText))
        self.setSceneRect(message.boundingRect().adjusted(-30, -30, 30, 30))

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
    """Wheel to zoom, drag to pan. Until the user zooms, the graph is kept fitted as the
    view resizes."""

    def __init__(self, scene: LineageScene, parent: QWidget | None = None):
        super().__init__(scene, parent)
        self.setObjectName("lineageView")
        self.setAccessibleName("Lineage graph")
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.fitted = True

    def wheelEvent(self, event) -> None:
        factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
        scale = self.transform().m11() * factor
        if MIN_ZOOM < scale < MAX_ZOOM:
            self.scale(factor, factor)
            self.fitted = False
        event.accept()

    def fit(self) -> None:
        """Show the whole graph, at most at its natural size."""
        rect = self.scene().sceneRect()
        if rect.isEmpty():
            return
        self.fitted = True
        self.resetTransform()
        viewport = self.viewport().rect()
        scale = min(viewport.width() / rect.width(), viewport.height() / rect.height(), MAX_FIT_SCALE)
        self.scale(scale, scale)
        self.centerOn(rect.center())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.fitted:
            self.fit()


class LineageTab(QWidget):
    versionActivated = Signal(int)  # a version node was clicked

    def __init__(self, store: Store, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.store, self.runner = store, runner
        self.version_id: int | None = None
        self.load_failed = False
        self.graph: LineageGraph | None = None
        self.expanded: set[str] = set()
        self._task_key = ("lineage", id(self))  # a new load or layout supersedes the running one
        self.scene = LineageScene(self)
        self.scene.nodeClicked.connect(self._on_node_clicked)
        self.view = LineageView(self.scene, self)
        self.hops = QSpinBox(self)
        self.hops.setObjectName("lineageHops")
        self.hops.setAccessibleName("Hops each way")
        self.hops.setRange(1, 20)
        self.hops.setValue(2)
        self.hops.valueChanged.connect(lambda _value: self.reload())
        self.fit_button = QPushButton("Fit to View", self)
        self.fit_button.setObjectName("lineageFit")
        self.fit_button.setAccessibleName("Fit the graph to the view")
        self.fit_button.clicked.connect(self.fit)
        self.summary = QLabel(self)
        self.summary.setObjectName("lineageSummary")
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Hops each way:", self))
        controls.addWidget(self.hops)
        controls.addWidget(self.fit_button)
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
        self.runner.cancel(self._task_key)
        self.load_failed = False
        self.scene.clear()
        self.scene.items_by_key = {}
        if self.version_id is None:
            self.summary.setText("")
            self.scene.show_message("Select a version to see the runs and versions around it.")
            self.view.fit()
            return
        hops, version_id = self.hops.value(), self.version_id
        self.summary.setText("Loading lineage…")

        def load() -> tuple[LineageGraph, LaidOutGraph]:
            graph = self.store.lineage(version_id, hops, hops)
            return graph, lay_out_lineage(graph, f"version:{version_id}", set())

        task = self.runner.submit(f"Loading the lineage of version id {version_id}", load, supersedes=self._task_key,
                                  owner=self, on_success=lambda result: self._on_loaded(*result))
        task.failed.connect(self._on_load_failed)  # said here too, not left at "Loading…"

    def _on_load_failed(self, error: BaseException) -> None:
        self.load_failed = True
        self.summary.setText("")
        self.scene.show_message(f"The lineage could not be loaded: {error}")
        self.view.fit()

    def _on_loaded(self, graph: LineageGraph, laid_out: LaidOutGraph) -> None:
        self.graph = graph
        self._show(laid_out)
        self.fit()

    def _show(self, laid_out: LaidOutGraph) -> None:
        self.scene.show_graph(laid_out)
        if self.view.fitted:
            self.view.fit()
        runs = sum(1 for n in self.graph.nodes if n.kind == "run")
        self.summary.setText(f"{counted(len(self.graph.nodes) - runs, 'version')}, {counted(runs, 'run')}")

    def expand_cluster(self, key: str) -> None:
        """Show the members of a cluster node, laid out again in the background."""
        self.expanded.add(key)
        self.runner.submit("Expanding the lineage", lay_out_lineage, self.graph, f"version:{self.version_id}",
                           set(self.expanded), supersedes=self._task_key, owner=self, on_success=self._show)

    def fit(self) -> None:
        self.view.fit()

    def _on_node_clicked(self, node: DisplayNode) -> None:
        if node.kind == "cluster":
            self.expand_cluster(node.key)
        elif node.version_id is not None and node.version_id != self.version_id:
            self.versionActivated.emit(node.version_id)
