"""A separate process that logs versions; used by the concurrency and crash tests."""

import os
import sys

import artifact_gui as ag


def main() -> None:
    store_path, tag, count, files_per_version = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    store = ag.open_store(store_path)
    with ag.init("proj", job_type="writer", store=store) as run:
        for i in range(count):
            artifact = ag.Artifact("shared", "dataset", metadata={"writer": tag, "i": i})
            for f in range(files_per_version):
                with artifact.new_file(f"part{f // 1000}/f{f}.txt", mode="w") as handle:
                    handle.write(f"{tag}-{i}-{f}")
            if files_per_version > 1 and i == 0:
                big = os.urandom(300_000)
                with artifact.new_file("big.bin", mode="wb") as handle:
                    handle.write(big)
            print("logging", i, flush=True)
            run.log_artifact(artifact)
    print("done", flush=True)


if __name__ == "__main__":
    main()
