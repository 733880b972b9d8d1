"""Cleanup dry run at 50,000 candidates.

    python3 benchmarks/cleanup.py [--rounds 7] [--candidates 50000] [--work /tmp/artifact-gui-bench]

One store holds an artifact with `--candidates` unaliased versions (plus `latest`), each
with one entry of its own content and one shared by all (written in one transaction).
Each round times, taking turns: `plan_cleanup` of the artifact with keep_newest=10
("plan"), the same with older_than_days=0 and keep_used ("plan+filters"), a plan plus
formatting the first page of 100 rows as the GUI shows them ("plan+page"), and a plan plus
formatting every row as text, as the CLI prints them ("plan+all-rows"), and the planner this
replaced ("before", the named peer: selection in Python, ids sent back for the bytes freed;
kept here to compare against). Printed: medians and per-round ratios
to "plan" (medians), the machine's load, and peak RSS.

Then the GUI, offscreen, in the same rounds: Tools → Clean Up opened on that store (whole
store, so every candidate is listed) until its plan is shown and painted ("dialog open"), the
UI-thread part of that (showing the plan: model reset and summary, "dialog show plan"), and
the way the dialog showed a plan before (a QTreeWidgetItem per candidate, "dialog before").
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

PAGE = 100


def build(path: str, count: int) -> None:
    from artifact_gui.core.digests import b64_md5
    from artifact_gui.core.draft import VersionDraft
    from artifact_gui.core.manifest import ManifestEntry
    from artifact_gui.stores import LocalStore

    store = LocalStore(path, create=True)
    try:
        shared = b64_md5(b"shared")
        store.put_blobs([(shared, b"shared")])
        store.log_version(VersionDraft("bench", "big", "dataset", [ManifestEntry("shared.txt", shared, 6)]))
        with store._write() as connection:
            collection_id = connection.execute("SELECT id FROM collections WHERE name = 'big'").fetchone()[0]
            connection.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                " INSERT INTO versions(collection_id, version_index, digest, size, file_count, created_at)"
                " SELECT ?, i, 'v-' || i, 1000 + i, 2, 0 FROM n", (count, collection_id))
            connection.execute("UPDATE collections SET next_index = ? WHERE id = ?", (count + 1, collection_id))
            connection.execute(
                "INSERT INTO blobs(digest, size, data, created_at)"
                " SELECT 'blob-' || version_index, 1000 + version_index, NULL, 0 FROM versions"
                " WHERE collection_id = ? AND version_index > 0", (collection_id,))
            connection.execute(
                "INSERT INTO entries(version_id, path, digest, size)"
                " SELECT id, 'own.bin', 'blob-' || version_index, 1000 + version_index FROM versions"
                " WHERE collection_id = ? AND version_index > 0"
                " UNION ALL SELECT id, 'shared.txt', ?, 6 FROM versions WHERE collection_id = ? AND version_index > 0",
                (collection_id, shared, collection_id))
    finally:
        store.close()


def plan_as_before(store, criteria):
    """The planner this replaced, as the named peer: every unaliased version in scope read
    into Python, filtered and sorted there, its ids sent back for the bytes freed."""
    from collections import defaultdict

    from artifact_gui.core.cleanup import CleanupCandidate, CleanupPlan
    from artifact_gui.stores.local_sql import VERSION_FROM

    now = time.time()
    with store._connections.in_use():
        rows = store._db().execute(
            "SELECT v.id, p.name, c.name, c.type, v.version_index, v.size, v.created_at,"
            " (SELECT COUNT(*) FROM usage u WHERE u.version_id = v.id),"
            " v.created_at + CASE WHEN v.ttl_inherit THEN c.ttl_seconds ELSE v.ttl_seconds END"
            f" {VERSION_FROM} WHERE NOT EXISTS (SELECT 1 FROM aliases a WHERE a.version_id = v.id)"
            " AND p.name = ? AND c.name = ?", (criteria.project, criteria.name))
        by_artifact = defaultdict(list)
        for candidate in (CleanupCandidate(*row) for row in rows):
            by_artifact[(candidate.project, candidate.name)].append(candidate)
    selected = []
    for versions in by_artifact.values():
        versions.sort(key=lambda c: c.index, reverse=True)
        for candidate in versions[criteria.keep_newest:]:
            if criteria.older_than_days is not None and (now - candidate.created_at) / 86400 < criteria.older_than_days:
                continue
            if criteria.keep_used and candidate.consumer_count:
                continue
            selected.append(candidate)
    selected.sort(key=lambda c: (c.project, c.name, c.index))
    return CleanupPlan(criteria, tuple(selected), store.bytes_freed_by([c.version_id for c in selected]))


def row_text(candidate) -> str:
    return f"{candidate.qualified_name}\t{candidate.type}\t{candidate.size}\t{candidate.created_at}\t{candidate.consumer_count}"


def gui_tools(store_path: str):
    """The dialog timings, as tools for the rounds; and a function that closes what they opened."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication, QTreeWidget, QTreeWidgetItem

    import humanize

    from artifact_gui.core.cleanup import CleanupCriteria
    from artifact_gui.stores import LocalStore
    from artifact_gui.ui import MainWindow
    from artifact_gui.ui.models.cleanup_candidates import short_time

    app = QApplication.instance() or QApplication([])
    QCoreApplication.setOrganizationName("artifact-gui-bench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    store = LocalStore(store_path)
    window = MainWindow(store)
    window.show()
    wait(app, lambda: window.sidebar.model.rowCount() > 0)
    plan = store.plan_cleanup(CleanupCriteria())

    def open_dialog():
        dialog = window.show_cleanup()
        wait(app, lambda: dialog.plan is not None and dialog.candidates.model().rowCount() == len(plan.candidates))
        dialog.repaint()
        dialog.close()
        dialog.deleteLater()
        app.processEvents()

    def show_plan():
        dialog = window.show_cleanup()
        wait(app, lambda: dialog.plan is not None)
        started = time.perf_counter()
        dialog._on_plan(plan)
        dialog.repaint()
        elapsed = time.perf_counter() - started
        dialog.close()
        dialog.deleteLater()
        app.processEvents()
        return elapsed

    def before():
        tree = QTreeWidget()
        tree.setHeaderLabels(["Version", "Type", "Size", "Created", "Expires", "Used by"])
        tree.show()
        for c in plan.candidates:  # as the dialog's _on_plan did
            item = QTreeWidgetItem(tree, [c.qualified_name, c.type, humanize.naturalsize(c.size, binary=True),
                                          short_time(c.created_at), "never", ""])
            item.setToolTip(0, c.qualified_name)
        tree.repaint()
        tree.close()
        tree.deleteLater()
        app.processEvents()

    def close():
        window.close()
        window.session.wait_closed(30)
        store.close()

    return {"dialog open": open_dialog, "dialog show plan": show_plan, "dialog before": before}, close


def wait(app, condition, timeout: float = 60) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        app.processEvents()
        if time.perf_counter() > deadline:
            raise TimeoutError("the Clean Up dialog did not show its plan")
        time.sleep(0.0005)


def peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--candidates", type=int, default=50_000)
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "artifact-gui-bench"))
    args = parser.parse_args()
    from artifact_gui.core.cleanup import CleanupCriteria
    from artifact_gui.stores import LocalStore

    os.makedirs(args.work, exist_ok=True)
    work = tempfile.mkdtemp(prefix="cleanup-", dir=args.work)
    try:
        build(os.path.join(work, "store"), args.candidates)
        store = LocalStore(os.path.join(work, "store"))
        plain = CleanupCriteria(project="bench", name="big", keep_newest=10)
        filtered = CleanupCriteria(project="bench", name="big", keep_newest=10, older_than_days=0, keep_used=True)
        tools = {
            "plan": lambda: store.plan_cleanup(plain),
            "plan+filters": lambda: store.plan_cleanup(filtered),
            "plan+page": lambda: [row_text(c) for c in store.plan_cleanup(plain).candidates[:PAGE]],
            "plan+all-rows": lambda: [row_text(c) for c in store.plan_cleanup(plain).candidates],
            "before": lambda: plan_as_before(store, plain),
        }
        assert plan_as_before(store, plain).candidates == store.plan_cleanup(plain).candidates
        found = len(store.plan_cleanup(plain).candidates)
        dialog_tools, close_window = gui_tools(os.path.join(work, "store"))
        tools.update(dialog_tools)
        samples: dict[str, list[float]] = {tool: [] for tool in tools}
        for _ in range(args.rounds):  # round-robin: drift hits every tool alike
            for tool, run in tools.items():
                start = time.perf_counter()
                result = run()
                self_timed = tool == "dialog show plan"  # it times only its UI-thread part
                samples[tool].append(result if self_timed else time.perf_counter() - start)
        close_window()
        store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"load: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {found} candidates; {args.rounds} rounds;"
          f" medians; peak RSS {peak_rss_mb():.0f} MB")
    for tool, values in samples.items():
        ratio = statistics.median(v / p for v, p in zip(values, samples["plan"]))
        print(f"  {tool:14} {statistics.median(values) * 1000:8.1f} ms   x{ratio:5.2f} of plan"
              f"   runs: {', '.join(f'{v * 1000:.0f}' for v in values)}")


if __name__ == "__main__":
    main()
