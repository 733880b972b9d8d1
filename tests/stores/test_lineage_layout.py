"""The lineage layout without Qt: clustering, positions and edge routes."""

from __future__ import annotations

from artifact_gui.stores.base import LineageGraph, LineageNode
from artifact_gui.stores.lineage_layout import (
    CLUSTER_AFTER,
    NODE_HEIGHT,
    NODE_WIDTH,
    lay_out_lineage,
    route_points,
    visible_graph,
)


def _graph(nodes: list[tuple[str, str, int]], edges: list[tuple[str, str]]) -> LineageGraph:
    """nodes: (kind, id, depth); labels are 'proj/<id>'."""
    return LineageGraph(tuple(LineageNode(kind, id_, f"proj/{id_}", depth) for kind, id_, depth in nodes),
                        tuple(edges))


def _fan_out(outputs: int) -> LineageGraph:
    nodes = [("version", "1", 0), ("run", "r", 1)] + [("version", str(10 + i), 1) for i in range(outputs)]
    edges = [("version:1", "run:r")] + [("run:r", f"version:{10 + i}") for i in range(outputs)]
    return _graph(nodes, edges)


def test_large_sibling_groups_collapse_into_a_cluster_until_expanded():
    graph = _fan_out(CLUSTER_AFTER + 3)
    nodes, edges = visible_graph(graph, "version:1", set())
    clusters = [n for n in nodes if n.kind == "cluster"]
    assert [c.label for c in clusters] == ["+3 more versions"]
    assert len(nodes) == 2 + CLUSTER_AFTER + 1
    assert ("run:r", clusters[0].key) in edges
    nodes, _ = visible_graph(graph, "version:1", {clusters[0].key})
    assert len(nodes) == 2 + CLUSTER_AFTER + 3 and not any(n.kind == "cluster" for n in nodes)


def test_labels_drop_the_centres_project_but_keep_the_full_name_for_the_tooltip():
    graph = _fan_out(1)
    nodes, _ = visible_graph(graph, "version:1", set())
    centre = next(n for n in nodes if n.key == "version:1")
    assert (centre.label, centre.full_label, centre.detail, centre.version_id) == ("1", "proj/1", "this version", 1)


def _inside(point, rect) -> bool:
    (x, y), (left, top) = point, rect
    return left < x < left + NODE_WIDTH and top < y < top + NODE_HEIGHT


def test_nodes_do_not_overlap_and_layers_run_left_to_right():
    laid_out = lay_out_lineage(_fan_out(4), "version:1", set())
    positions = laid_out.positions
    assert positions["version:1"][0] < positions["run:r"][0] < positions["version:10"][0]
    boxes = list(positions.values())
    for i, (ax, ay) in enumerate(boxes):
        for bx, by in boxes[i + 1:]:
            assert abs(ax - bx) >= NODE_WIDTH or abs(ay - by) >= NODE_HEIGHT
    assert min(x for x, _ in boxes) == 0 and min(y for _, y in boxes) == 0
    assert laid_out.size == (max(x for x, _ in boxes) + NODE_WIDTH, max(y for _, y in boxes) + NODE_HEIGHT)


def test_edges_spanning_layers_go_around_the_nodes_they_do_not_connect():
    # a -> r1 -> b -> r2 -> c, and a also feeds r2 directly: that edge crosses two layers
    # and several side branches fill those layers.
    nodes = [("version", "a", -2), ("run", "r1", -2), ("version", "b", -1), ("run", "r2", -1), ("version", "c", 0)]
    edges = [("version:a", "run:r1"), ("run:r1", "version:b"), ("version:b", "run:r2"),
             ("run:r2", "version:c"), ("version:a", "run:r2")]
    for i in range(3):
        nodes += [("run", f"s{i}", -2), ("version", f"o{i}", -2)]
        edges += [("version:a", f"run:s{i}"), (f"run:s{i}", f"version:o{i}")]
    laid_out = lay_out_lineage(_graph(nodes, edges), "version:c", set())
    for (source, target), route in laid_out.routes.items():
        assert route[0] == (laid_out.positions[source][0] + NODE_WIDTH, laid_out.positions[source][1] + NODE_HEIGHT / 2)
        assert route[-1] == (laid_out.positions[target][0], laid_out.positions[target][1] + NODE_HEIGHT / 2)
        for key, corner in laid_out.positions.items():
            if key not in (source, target):
                assert not any(_inside(p, corner) for p in route_points(route)), (source, target, key)
    long_route = laid_out.routes[("version:a", "run:r2")]
    assert len(long_route) == 2 + 2 * 2  # through the two layers between
