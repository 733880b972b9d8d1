"""Logging into an artifact with a long history: ms per version at 0 and 50,000 versions.

    python3 benchmarks/history.py [--rounds 7] [--per-round 20] [--work /tmp/artifact-gui-bench]

One store holds an artifact with 50,000 older versions (each its own digest, written in one
transaction: logging them one by one would take many minutes and measure nothing more). Each
round logs `--per-round` new one-file versions into: a new, empty artifact ("empty"), the long
artifact ("50k"), and the long artifact of a copy of the store with the index the store had
before (collection_id, digest), as a named peer ("50k-old-index"). Tools take turns round by
round; printed are the median ms per version, and the ratios to "empty" per round (medians).
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

HISTORY = 50_000


def build(path: str) -> None:
    from artifact_gui.stores import LocalStore

    store = LocalStore(path, create=True)
    try:
        log_one(store, "long", "seed")
        with store._write() as connection:
            collection_id = connection.execute("SELECT id FROM collections WHERE name = 'long'").fetchone()[0]
            connection.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                " INSERT INTO versions(collection_id, version_index, digest, size, file_count, created_at)"
                " SELECT ?, i, 'history-' || i, 1, 1, 0 FROM n", (HISTORY, collection_id))
            connection.execute("UPDATE collections SET next_index = ? WHERE id = ?", (HISTORY + 1, collection_id))
    finally:
        store.close()


def log_one(store, name: str, content: str) -> None:
    from artifact_gui.core.digests import b64_md5
    from artifact_gui.core.draft import VersionDraft
    from artifact_gui.core.manifest import ManifestEntry

    data = content.encode()
    digest = b64_md5(data)
    store.put_blobs([(digest, data)])
    store.log_version(VersionDraft("bench", name, "dataset", [ManifestEntry("value.txt", digest, len(data))]))


def use_old_index(store) -> None:
    """The index the duplicate check had before: it made SQLite walk the whole history."""
    with store._write() as connection:
        connection.execute("DROP INDEX IF EXISTS versions_digest_newest")
        connection.execute("CREATE INDEX IF NOT EXISTS versions_digest ON versions(collection_id, digest)")


def ms_per_version(store, name: str, tag: str, count: int) -> float:
    start = time.perf_counter()
    for i in range(count):
        log_one(store, name, f"{tag}-{i}")
    return (time.perf_counter() - start) * 1000 / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--per-round", type=int, default=20)
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "artifact-gui-bench"))
    args = parser.parse_args()
    from artifact_gui.stores import LocalStore

    work = tempfile.mkdtemp(prefix="history-", dir=_made(args.work))
    try:
        fixed_path, old_path = os.path.join(work, "fixed"), os.path.join(work, "old")
        build(fixed_path)
        shutil.copytree(fixed_path, old_path)
        fixed, old = LocalStore(fixed_path), LocalStore(old_path)
        use_old_index(old)
        tools = {
            "empty": lambda r: ms_per_version(fixed, f"empty-{r}", f"e{r}", args.per_round),
            "50k": lambda r: ms_per_version(fixed, "long", f"l{r}", args.per_round),
            "50k-old-index": lambda r: ms_per_version(old, "long", f"o{r}", args.per_round),
        }
        samples: dict[str, list[float]] = {tool: [] for tool in tools}
        for round_number in range(args.rounds):  # round-robin: drift hits every tool alike
            for tool, run in tools.items():
                samples[tool].append(run(round_number))
        fixed.close()
        old.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f};"
          f" {args.rounds} rounds of {args.per_round} versions; medians")
    for tool, values in samples.items():
        ratio = statistics.median(v / e for v, e in zip(values, samples["empty"]))
        print(f"  {tool:14} {statistics.median(values):7.2f} ms/version   x{ratio:5.2f} of empty"
              f"   runs: {', '.join(f'{v:.2f}' for v in values)}")


def _made(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    return path


if __name__ == "__main__":
    main()
