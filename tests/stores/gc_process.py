"""A separate process that runs gc, or opens the store, until told to stop (a file appears)."""

import os
import sys

from artifact_gui.stores import LocalStore


def main() -> None:
    store_path, action, stop_file = sys.argv[1], sys.argv[2], sys.argv[3]
    rounds = 0
    while not os.path.exists(stop_file) or rounds == 0:
        store = LocalStore(store_path)
        if action == "gc":
            store.gc()
        else:
            store.list_collections()
        store.close()
        rounds += 1
    print("rounds", rounds, flush=True)


if __name__ == "__main__":
    main()
