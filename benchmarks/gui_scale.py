"""GUI at scale: time from request to painted result, and memory.

    python3 benchmarks/gui_scale.py [--runs 3] [--work /tmp/artifact-gui-bench] [--rebuild]

Builds (once, cached) a store with 10,000 artifacts and 100,000 versions (one artifact
holds 50,000 of them), a version with 1,000,000 entries in 1,000 folders, and a lineage
of about 2,000 runs and versions. Then, in fresh processes under the offscreen platform,
measures: opening the store, typing into the sidebar filter (per keystroke: the key event,
the filter pass the debounce timer triggers and the repaint, i.e. all the UI-thread work one
key causes; typing "artifact-0421" and deleting it again), selecting the big artifact,
opening the Files tab of the big version, opening the Lineage tab (4 hops each way, so all
~2,000 nodes are walked). Targets: under 1 s each, lineage under 2 s, a filter keystroke
under 50 ms, memory under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

ARTIFACTS = 10_000
VERSIONS = 100_000
BIG_HISTORY = 50_000
FOLDERS, FILES_PER_FOLDER = 1_000, 1_000
LINEAGE_HOPS = 4


# --- building the store ------------------------------------------------------------------------
def build(path: str) -> None:
    import artifact_gui as ag
    from artifact_gui.core.digests import b64_md5
    from artifact_gui.core.draft import VersionDraft
    from artifact_gui.core.manifest import ManifestEntry

    store = ag.open_store(path)
    with ag.init("scale", store=store) as run:  # one real blob every fixture entry points at
        seed = ag.Artifact("seed", "dataset")
        with seed.new_file("value.txt") as f:
            f.write("x")
        run.log_artifact(seed)
    digest = b64_md5(b"x")

    started = time.perf_counter()
    # 100,000 versions through the store's own insert path, in one transaction: logging them
    # one by one (an fsync each) would take many minutes and measure nothing of the GUI.
    with store._write() as db:
        project_id = store._project_id("scale", create=True)
        small_count = ARTIFACTS - 1
        per_artifact = (VERSIONS - BIG_HISTORY) // small_count
        plan = [("big-history", BIG_HISTORY)] + [(f"artifact-{i:05}", per_artifact) for i in range(small_count)]
        for name, count in plan:
            draft = VersionDraft("scale", name, "model" if name.endswith("7") else "dataset",
                                 [ManifestEntry("value.txt", digest, 1)], metadata={"fixture": True})
            collection_id = store._ensure_collection(project_id, draft)
            for _ in range(count):
                store._insert_version(db, collection_id, draft, digest)
    print(f"  {VERSIONS:,} versions in {ARTIFACTS:,} artifacts: {time.perf_counter() - started:.1f} s", flush=True)

    started = time.perf_counter()
    entries = [ManifestEntry(f"folder{f:04}/file{i:04}.bin", digest, 1)
               for f in range(FOLDERS) for i in range(FILES_PER_FOLDER)]
    store.log_version(VersionDraft("scale", "million-files", "dataset", entries))
    print(f"  a version with {len(entries):,} entries: {time.perf_counter() - started:.1f} s", flush=True)
    del entries

    started = time.perf_counter()
    nodes = build_lineage(store)
    print(f"  a lineage of {nodes:,} nodes: {time.perf_counter() - started:.1f} s", flush=True)
    store.close()


def build_lineage(store) -> int:
    """A centre version with trees of branching 5 upstream and downstream, 4 hops each way,
    and a report beside each run's output 3 hops down: about 2,000 nodes, never more than
    5 siblings in one place, so nothing collapses into a cluster."""
    import artifact_gui as ag

    counter = iter(range(10**9))

    def log(run, name):
        artifact = ag.Artifact(name, "dataset")
        with artifact.new_file("v.txt") as f:
            f.write(str(next(counter)))
        return run.log_artifact(artifact)

    count = 0

    def upstream(depth: int, name: str):
        nonlocal count
        run = ag.init("lineage", job_type="make", store=store)
        if depth < LINEAGE_HOPS:
            for i in range(5):
                run.use_artifact(upstream(depth + 1, f"{name}-u{i}"))
        version = log(run, name)
        run.finish()
        count += 2
        return version

    def downstream(version, depth: int):
        nonlocal count
        if depth > LINEAGE_HOPS:
            return
        for i in range(5):
            run = ag.init("lineage", job_type="use", store=store)
            run.use_artifact(version)
            child = log(run, f"{version.collection_name}-d{i}")
            if depth == 3:
                log(run, f"{version.collection_name}-d{i}-report")
                count += 1
            run.finish()
            count += 2
            downstream(child, depth + 1)

    centre = upstream(1, "centre")
    downstream(centre, 1)
    return count - 1  # the centre's producer counted as upstream


# --- measuring, in a fresh process ---------------------------------------------------------------
def measure(path: str) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    import artifact_gui as ag
    from artifact_gui.ui import MainWindow

    app = QApplication.instance() or QApplication([])
    QCoreApplication.setOrganizationName("artifact-gui-bench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())

    def wait(condition, what: str, timeout: float = 120) -> None:
        deadline = time.perf_counter() + timeout
        while not condition():
            app.processEvents()
            if time.perf_counter() > deadline:
                raise TimeoutError(what)
            time.sleep(0.0005)

    def painted(widget) -> None:
        app.processEvents()
        widget.repaint()

    store = ag.open_store(path)
    results = {}
    started = time.perf_counter()
    window = MainWindow(store)
    window.resize(1280, 800)
    window.show()
    wait(lambda: window.sidebar.model.rowCount() > 0 and window.stats is not None, "store")
    painted(window)
    results["open store"] = time.perf_counter() - started
    results.update(measure_filter_typing(app, window.sidebar, painted))

    started = time.perf_counter()
    window.sidebar.select_key(("scale", "dataset", "big-history"))
    wait(lambda: window.versions_model.rowCount() > 0 and window.tabs.version is not None, "big artifact")
    painted(window.versions)
    results["select big artifact"] = time.perf_counter() - started

    window.sidebar.select_key(("scale", "dataset", "million-files"))
    wait(lambda: window.tabs.version is not None and window.tabs.version.name == "million-files", "big version")
    started = time.perf_counter()
    window.tabs.setCurrentWidget(window.tabs.files)
    wait(lambda: window.tabs.files.model.rowCount() > 0, "files")
    painted(window.tabs.files.tree)
    results["open Files tab (1M entries)"] = time.perf_counter() - started

    window.sidebar.select_key(("lineage", "dataset", "centre"))
    wait(lambda: window.tabs.version is not None and window.tabs.version.name == "centre", "centre")
    window.tabs.lineage.hops.setValue(LINEAGE_HOPS)
    started = time.perf_counter()
    window.tabs.setCurrentWidget(window.tabs.lineage)
    wait(lambda: len(window.tabs.lineage.scene.items_by_key) > 1, "lineage")
    painted(window.tabs.lineage.view)
    results["open Lineage tab"] = time.perf_counter() - started
    results["lineage nodes"] = len(window.tabs.lineage.scene.items_by_key)
    with open("/proc/self/status") as status:
        results["peak MB"] = next(int(l.split()[1]) / 1024 for l in status if l.startswith("VmHWM"))
    window.close()
    return results


def measure_filter_typing(app, sidebar, painted) -> dict:
    """Milliseconds of UI-thread work per keystroke in the sidebar filter, typing and deleting."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    sidebar.filter.setFocus()
    typed = "artifact-0421"
    keys = [(character, Qt.Key.Key_unknown) for character in typed] + [("", Qt.Key.Key_Backspace)] * len(typed)
    per_key = []
    for character, key in keys:
        started = time.perf_counter()
        if character:
            QTest.keyClicks(sidebar.filter, character)
        else:
            QTest.keyClick(sidebar.filter, key)
        sidebar.apply_filter()  # what the debounce timer does once typing pauses
        painted(sidebar.tree)
        per_key.append(time.perf_counter() - started)
    assert sidebar.model.filter_text == "" and sidebar.model.shown_artifact_count >= ARTIFACTS
    return {"filter keystroke median": statistics.median(per_key), "filter keystroke max": max(per_key)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "artifact-gui-bench"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--measure")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    path = os.path.join(args.work, "gui-scale-store")
    if args.rebuild or not os.path.exists(path + ".complete"):
        shutil.rmtree(path, ignore_errors=True)
        print("building the store (once):", flush=True)
        build(path)
        open(path + ".complete", "w").close()
    samples = []
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, __file__, "--measure", path], capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(out.stderr)
        samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
    targets = {"open store": 1, "filter keystroke median": 0.05, "filter keystroke max": 0.05,
               "select big artifact": 1, "open Files tab (1M entries)": 1, "open Lineage tab": 2}
    print(f"\nmedians of {args.runs} fresh processes (offscreen platform):")
    for name, target in targets.items():
        values = [s[name] for s in samples]
        print(f"  {name:30} {statistics.median(values):6.3f} s   target < {target} s   runs: "
              + ", ".join(f"{v:.3f}" for v in values))
    print(f"  lineage nodes drawn            {samples[0]['lineage nodes']}")
    print(f"  peak memory                    {max(s['peak MB'] for s in samples):6.0f} MB   target < 500 MB")


if __name__ == "__main__":
    main()
