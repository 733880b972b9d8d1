"""Staging and logging a dropped folder of 20,000 small files from the window, against the
same add_dir + log_artifact through the Python API, and how long the event loop ever
blocks meanwhile.

    python3 benchmarks/gui_staging.py [--runs 3] [--work /tmp/artifact-gui-bench]

Each trial runs in a fresh process with a fresh store and hash cache; the tools take
turns round by round. Targets: the window within 1.3x of the API; no event-loop block
over 100 ms (a 5 ms heartbeat timer records the longest gap between its ticks).
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
sys.path.insert(0, HERE)


def api_trial(data: str, scratch: str) -> dict:
    import artifact_gui as ag

    store = ag.open_store(os.path.join(scratch, "store"))
    run = ag.init("bench", store=store)
    started = time.perf_counter()
    artifact = ag.Artifact("dropped", "dataset")
    artifact.add_dir(data)
    run.log_artifact(artifact)
    seconds = time.perf_counter() - started
    run.finish()
    return {"seconds": seconds}


def gui_trial(data: str, scratch: str) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QElapsedTimer, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    import artifact_gui as ag
    from artifact_gui.ui import MainWindow

    app = QApplication.instance() or QApplication([])
    QCoreApplication.setOrganizationName("artifact-gui-bench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, os.path.join(scratch, "settings"))
    store = ag.open_store(os.path.join(scratch, "store"))
    window = MainWindow(store)
    window.resize(1280, 800)
    window.show()
    deadline = time.perf_counter() + 30
    while window.stats is None and time.perf_counter() < deadline:
        app.processEvents()

    clock = QElapsedTimer()
    gaps = [0]
    last = [0]

    def beat() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(beat)
    clock.start()
    heartbeat.start()
    started = time.perf_counter()
    window.start_staging(None, [data])  # what a drop onto empty space does
    transfer = None
    while True:
        app.processEvents()
        staging = window.staging
        if transfer is None and staging.result is not None and not staging._staging:
            staging.name.setText("dropped")
            staging.request_log()
            transfer = window.transfers.transfers[-1]
        if transfer is not None and not transfer.is_running:
            break
        time.sleep(0.001)
    seconds = time.perf_counter() - started
    heartbeat.stop()
    assert transfer.state == "done", transfer.describe_state()
    assert transfer.result.file_count == 20_000
    window.close()
    return {"seconds": seconds, "max_gap_ms": max(gaps)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "artifact-gui-bench"))
    parser.add_argument("--trial", choices=["api", "gui"])
    parser.add_argument("--data")
    parser.add_argument("--scratch")
    args = parser.parse_args()
    if args.trial:
        os.environ["ARTIFACT_GUI_CACHE_DIR"] = os.path.join(args.scratch, "cache")
        result = (api_trial if args.trial == "api" else gui_trial)(args.data, args.scratch)
        print(json.dumps(result))
        return
    from ingest import ensure_dataset

    os.makedirs(args.work, exist_ok=True)
    data = ensure_dataset(args.work, "small")
    samples: dict[str, list[dict]] = {"api": [], "gui": []}
    for _ in range(args.runs):
        for tool in samples:
            scratch = tempfile.mkdtemp(prefix=f"staging-{tool}-", dir=args.work)
            try:
                out = subprocess.run([sys.executable, __file__, "--trial", tool, "--data", data, "--scratch", scratch],
                                     capture_output=True, text=True)
                if out.returncode:
                    raise SystemExit(out.stderr)
                samples[tool].append(json.loads(out.stdout.strip().splitlines()[-1]))
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
    api = statistics.median(s["seconds"] for s in samples["api"])
    gui = statistics.median(s["seconds"] for s in samples["gui"])
    print(f"20,000 files of 1-16 KiB, medians of {args.runs} runs:")
    print(f"  API add_dir + log_artifact   {api:6.2f} s   runs: " + ", ".join(f"{s['seconds']:.2f}" for s in samples["api"]))
    print(f"  window: drop, stage, log     {gui:6.2f} s   runs: " + ", ".join(f"{s['seconds']:.2f}" for s in samples["gui"]))
    print(f"  window / API                 {gui / api:6.2f}x  (target <= 1.3x)")
    print(f"  longest event-loop block     {max(s['max_gap_ms'] for s in samples['gui']):6.0f} ms (target <= 100 ms)")


if __name__ == "__main__":
    main()
