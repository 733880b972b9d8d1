"""Breadth-first walk of the run/version graph, over any Store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import LineageGraph, LineageNode

if TYPE_CHECKING:
    from .base import Store


def _version_key(version_id: int) -> str:
    return f"version:{version_id}"


def _run_key(run_id: str) -> str:
    return f"run:{run_id}"


def walk_lineage(store: "Store", version_id: int, upstream: int, downstream: int) -> LineageGraph:
    centre = store.get_version_by_id(version_id)
    nodes: dict[str, LineageNode] = {
        _version_key(centre.id): LineageNode("version", str(centre.id), centre.qualified_name, 0)
    }
    edges: set[tuple[str, str]] = set()

    def add_version(version, depth: int) -> bool:
        key = _version_key(version.id)
        if key in nodes:
            return False
        nodes[key] = LineageNode("version", str(version.id), version.qualified_name, depth)
        return True

    def add_run(run, depth: int) -> bool:
        key = _run_key(run.id)
        if key in nodes:
            return False
        nodes[key] = LineageNode("run", run.id, run.name, depth)
        return True

    frontier = [centre]
    for hop in range(1, upstream + 1):
        next_frontier = []
        for version in frontier:
            if not version.producer_run_id:
                continue
            run = store.get_run(version.producer_run_id)
            edges.add((_run_key(run.id), _version_key(version.id)))
            if not add_run(run, -hop):
                continue
            for source in store.run_inputs(run.id):
                edges.add((_version_key(source.id), _run_key(run.id)))
                if add_version(source, -hop):
                    next_frontier.append(source)
        frontier = next_frontier

    frontier = [centre]
    for hop in range(1, downstream + 1):
        next_frontier = []
        for version in frontier:
            for run in store.version_consumers(version.id):
                edges.add((_version_key(version.id), _run_key(run.id)))
                if not add_run(run, hop):
                    continue
                for output in store.run_outputs(run.id):
                    edges.add((_run_key(run.id), _version_key(output.id)))
                    if add_version(output, hop):
                        next_frontier.append(output)
        frontier = next_frontier

    kept = {key for key in nodes}
    return LineageGraph(
        nodes=tuple(nodes.values()),
        edges=tuple(sorted((a, b) for a, b in edges if a in kept and b in kept)),
    )
