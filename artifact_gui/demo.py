"""A small but real pipeline, written through the public API, to fill a demo store."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import struct
import tempfile
import zlib

from . import init, open_store
from .sdk.artifact import Artifact
from .stores.base import Store

PROJECT = "mnist-demo"


def _png(width: int, height: int, seed: int) -> bytes:
    """A small valid RGB PNG, so previews have a real image to show."""
    rng = random.Random(seed)
    base = [rng.randrange(256) for _ in range(3)]
    rows = b"".join(
        b"\x00" + bytes((base[0] + x * 4) % 256 if c == 0 else (base[c] + y * 4) % 256
                         for x in range(width) for c in range(3))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _csv(rows: int, seed: int) -> str:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "label", "pixel_mean", "pixel_std"])
    for i in range(rows):
        writer.writerow([i, rng.randrange(10), round(rng.random(), 4), round(rng.random() / 3, 4)])
    return out.getvalue()


def _write_raw_dataset(folder: str, seed: int, samples: int) -> None:
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    for i in range(8):
        with open(os.path.join(folder, "images", f"digit_{i}.png"), "wb") as f:
            f.write(_png(28, 28, seed * 100 + i))
    with open(os.path.join(folder, "labels.csv"), "w") as f:
        f.write(_csv(samples, seed))
    with open(os.path.join(folder, "README.txt"), "w") as f:
        f.write(f"Raw digits, collection batch {seed}.\n")


def build_demo_store(path: str) -> Store:
    """Create the demo pipeline in a new store at `path` (which must not hold a store yet)."""
    if os.path.exists(os.path.join(path, "store.db")):
        raise FileExistsError(f"{path!r} already holds a store")
    store = open_store(path, create=True)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as work:
        raw_versions = []
        for batch in range(3):
            folder = os.path.join(work, f"raw{batch}")
            _write_raw_dataset(folder, batch, 200 + 100 * batch)
            with init(PROJECT, job_type="ingest", store=store, config={"batch": batch}) as run:
                raw = Artifact("mnist-raw", "dataset", description=f"Raw digits up to batch {batch}",
                               metadata={"samples": 200 + 100 * batch, "source": "scanner", "batch": batch})
                raw.add_dir(folder)
                raw_versions.append(run.log_artifact(raw, aliases=["stable"] if batch == 1 else []))

        processed = []
        for i, raw in enumerate(raw_versions[1:], start=1):
            with init(PROJECT, job_type="preprocess", store=store, config={"normalize": True, "size": 28}) as run:
                source = run.use_artifact(f"mnist-raw:{raw.version}")
                out = Artifact("mnist-processed", "dataset", description="Normalised and split",
                               metadata={"train": 0.8, "val": 0.2, "from": source.name})
                with out.new_file("train.csv", mode="w") as f:
                    f.write(_csv(160 + 80 * i, 50 + i))
                with out.new_file("val.csv", mode="w") as f:
                    f.write(_csv(40 + 20 * i, 60 + i))
                with out.new_file("stats.json", mode="w") as f:
                    json.dump({"mean": 0.1307, "std": 0.3081, "classes": 10}, f, indent=2)
                processed.append(run.log_artifact(out))

        models = []
        for epoch_budget, data in ((5, processed[0]), (10, processed[1]), (20, processed[1])):
            with init(PROJECT, job_type="train", store=store,
                      config={"epochs": epoch_budget, "lr": 0.001, "optimizer": "adam"}) as run:
                dataset = run.use_artifact(f"mnist-processed:{data.version}")
                for checkpoint in range(2):  # intermediate checkpoints nobody aliases
                    ckpt = Artifact("mnist-cnn-checkpoint", "checkpoint",
                                    metadata={"epoch": (checkpoint + 1) * epoch_budget // 2})
                    with ckpt.new_file("model.ckpt", mode="wb") as f:
                        f.write(rng.randbytes(48 * 1024 + checkpoint))
                    run.log_artifact(ckpt)
                model = Artifact("mnist-cnn", "model", description=f"CNN trained {epoch_budget} epochs",
                                 metadata={"accuracy": round(0.9 + epoch_budget / 250, 4),
                                           "epochs": epoch_budget, "dataset": dataset.name,
                                           "layers": [{"conv": 32}, {"conv": 64}, {"dense": 128}]})
                with model.new_file("model.pt", mode="wb") as f:
                    f.write(rng.randbytes(96 * 1024))
                with model.new_file("config.json", mode="w") as f:
                    json.dump({"epochs": epoch_budget, "lr": 0.001}, f, indent=2)
                models.append(run.log_artifact(model))
        models[1].aliases.append("production")
        models[1].save()
        models[2].aliases.append("best")
        models[2].save()

        with init(PROJECT, job_type="evaluate", store=store) as run:
            model = run.use_artifact("mnist-cnn:best")
            test_data = run.use_artifact("mnist-processed:latest")
            report = Artifact("eval-report", "report", metadata={"model": model.name, "data": test_data.name,
                                                                  "accuracy": 0.9812, "f1": 0.9797})
            with report.new_file("metrics.json", mode="w") as f:
                json.dump({"accuracy": 0.9812, "f1": 0.9797, "confusion": [[98, 2], [1, 99]]}, f, indent=2)
            with report.new_file("confusion.png", mode="wb") as f:
                f.write(_png(64, 64, 99))
            run.log_artifact(report, aliases=["reviewed"])
    return store


def make_demo_store() -> str:
    """A fresh demo store in a new temporary folder; returns its path."""
    path = tempfile.mkdtemp(prefix="artifact-gui-demo-")
    build_demo_store(path).close()
    return path
