"""What the Lineage tab draws, computed without Qt: which nodes are shown (large sibling
groups collapse into cluster nodes), where each node goes, and the route of each edge.

Layout is grandalf's Sugiyama (layering, crossing reduction, coordinates); it runs top to
bottom, so x and y are swapped here to lay layers out from left to right. An edge that spans
several layers passes through the slots grandalf reserves for it in every layer it crosses
(its dummy vertices), so it never runs under a node it does not connect.

Coordinates are scene units: each node is NODE_WIDTH x NODE_HEIGHT at its top-left position,
and the graph's top-left corner is (0, 0).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import SugiyamaLayout

from ..core.text import counted
from .base import LineageGraph, LineageNode

CLUSTER_AFTER = 5
NODE_WIDTH, NODE_HEIGHT = 210, 44
LAYER_GAP, ROW_GAP = 56, 18

Point = tuple[float, float]


@dataclass(frozen=True)
class DisplayNode:
    key: str
    kind: str  # "run", "version" or "cluster"
    label: str  # without the centre's project, so it fits in a node
    detail: str
    hidden_count: int = 0
    full_label: str = ""  # the whole name, for the tooltip

    @property
    def version_id(self) -> int | None:
        return int(self.key.split(":", 1)[1]) if self.kind == "version" else None


@dataclass(frozen=True)
class LaidOutGraph:
    nodes: list[DisplayNode]
    edges: list[tuple[str, str]]
    positions: dict[str, Point]  # top-left corner of each node
    routes: dict[tuple[str, str], list[Point]]  # see edge_route
    centre_key: str

    @property
    def size(self) -> tuple[float, float]:
        """Width and height of the whole drawing."""
        if not self.positions:
            return 0.0, 0.0
        return (max(x for x, _ in self.positions.values()) + NODE_WIDTH,
                max(y for _, y in self.positions.values()) + NODE_HEIGHT)


def lay_out_lineage(graph: LineageGraph, centre_key: str, expanded: set[str]) -> LaidOutGraph:
    """Everything a scene needs, computed off the UI thread."""
    nodes, edges = visible_graph(graph, centre_key, expanded)
    positions, routes = layout(nodes, edges)
    return LaidOutGraph(nodes, edges, positions, routes, centre_key)


def visible_graph(graph: LineageGraph, centre_key: str, expanded: set[str]) -> tuple[list[DisplayNode], list[tuple[str, str]]]:
    """Collapse groups of more than CLUSTER_AFTER siblings (same kind, hanging off the same
    node on the side of the centre) into a cluster node unless the group was expanded."""
    nodes = {f"{n.kind}:{n.id}": n for n in graph.nodes}
    hidden, clusters = _collapsed_groups(graph, nodes, expanded)
    reachable = _reachable(graph, centre_key, hidden)
    project = nodes[centre_key].label.split("/", 1)[0] + "/"
    shown = [DisplayNode(key, n.kind, n.label.removeprefix(project), _detail(n), full_label=n.label)
             for key, n in nodes.items() if key in reachable]
    edges = [(s, t) for s, t in graph.edges if s in reachable and t in reachable]
    for node, anchor, side in clusters:
        if anchor in reachable:
            shown.append(node)
            edges.append((node.key, anchor) if side == "up" else (anchor, node.key))
    return shown, edges


def _collapsed_groups(graph: LineageGraph, nodes: dict[str, LineageNode], expanded: set[str]
                      ) -> tuple[set[str], list[tuple[DisplayNode, str, str]]]:
    """The keys hidden in clusters, and each cluster node with its anchor and side."""
    towards_centre: dict[str, str] = {}  # upstream edges point towards the centre, downstream away
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
            label = "+" + counted(len(rest), f"more {noun}")
            clusters.append((DisplayNode(cluster_key, "cluster", label, "click to expand", len(rest), label),
                             anchor, side))
    return hidden, clusters


def _reachable(graph: LineageGraph, centre_key: str, hidden: set[str]) -> set[str]:
    """What can be reached from the centre without passing a hidden node."""
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
    return reachable


def _detail(node: LineageNode) -> str:
    if node.kind == "run":
        return "run"
    return "this version" if node.depth == 0 else "version"


class _View:
    """grandalf's size and position of a vertex, in its top-to-bottom frame (w and h swap)."""

    def __init__(self) -> None:
        self.w, self.h = NODE_HEIGHT + ROW_GAP, NODE_WIDTH
        self.xy: Point = (0.0, 0.0)


class _EdgeView:
    def __init__(self) -> None:
        self.path: list[Point] = []

    def setpath(self, path: list[Point]) -> None:
        self.path = path


def layout(nodes: list[DisplayNode], edges: list[tuple[str, str]]
           ) -> tuple[dict[str, Point], dict[tuple[str, str], list[Point]]]:
    """Top-left corner of each node (layers left to right, no overlaps) and each edge's route.
    The graph is connected (everything shown is reachable from the centre), so it is laid out
    as one grandalf graph_core: grandalf's Graph() would look for components, in quadratic time."""
    vertices = {node.key: Vertex(node.key) for node in nodes}
    for vertex in vertices.values():
        vertex.view = _View()
    grandalf_edges = {}
    for source, target in edges:
        edge = Edge(vertices[source], vertices[target])
        edge.view = _EdgeView()
        grandalf_edges[(source, target)] = edge
    component = graph_core(list(vertices.values()), list(grandalf_edges.values()))
    sugiyama = SugiyamaLayout(component)
    sugiyama.yspace = LAYER_GAP
    sugiyama.xspace = ROW_GAP
    sugiyama.init_all()
    sugiyama.draw(N=1)

    def centre(xy: Point) -> Point:  # grandalf's vertex centre -> ours, layers left to right
        return xy[1], xy[0]

    centres = {key: centre(v.view.xy) for key, v in vertices.items()}
    left = min(x for x, _ in centres.values()) - NODE_WIDTH / 2
    top = min(y for _, y in centres.values()) - NODE_HEIGHT / 2
    positions = {key: (x - NODE_WIDTH / 2 - left, y - NODE_HEIGHT / 2 - top) for key, (x, y) in centres.items()}
    routes = {}
    for key, edge in grandalf_edges.items():
        passes = [(x - left, y - top) for x, y in (centre(xy) for xy in edge.view.path[1:-1])]
        routes[key] = edge_route(positions[key[0]], positions[key[1]], passes)
    return positions, routes


def edge_route(source: Point, target: Point, passes: list[Point]) -> list[Point]:
    """[start, in_1, out_1, ..., in_k, out_k, end]: from the middle of the source's right side
    to the middle of the target's left side, straight through each layer it crosses at the
    centre of the slot reserved for it (in_i -> out_i), and curved in the gaps between layers
    (start -> in_1, out_i -> in_i+1, out_k -> end), where no node lies."""
    route = [(source[0] + NODE_WIDTH, source[1] + NODE_HEIGHT / 2)]
    for x, y in passes:
        route += [(x - NODE_WIDTH / 2, y), (x + NODE_WIDTH / 2, y)]
    route.append((target[0], target[1] + NODE_HEIGHT / 2))
    return route


def gap_curve(start: Point, end: Point) -> tuple[Point, Point]:
    """The two control points of the cubic curve drawn between layers: it leaves and
    arrives horizontally, and stays between start's and end's x."""
    middle = (start[0] + end[0]) / 2
    return (middle, start[1]), (middle, end[1])


def route_points(route: list[Point], samples_per_curve: int = 16) -> list[Point]:
    """Points along a route as it is drawn (curves sampled), for hit tests."""
    points = [route[0]]
    for i in range(len(route) - 1):
        start, end = route[i], route[i + 1]
        if i % 2 == 1:  # straight through a layer
            points.append(end)
            continue
        (c1x, c1y), (c2x, c2y) = gap_curve(start, end)
        for step in range(1, samples_per_curve + 1):
            t = step / samples_per_curve
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t ** 2, t ** 3
            points.append((a * start[0] + b * c1x + c * c2x + d * end[0],
                           a * start[1] + b * c1y + c * c2y + d * end[1]))
    return points
