# W&B quickstart style: the module-level run and functions.
import os

import artifact_gui as wandb

wandb.init(project="compat", job_type="train", config={"lr": 0.1}, tags=["baseline"], notes="first try")
assert wandb.run is not None and wandb.run.config.lr == 0.1
with open("weights.bin", "w") as f:
    f.write("w")
wandb.log_artifact("weights.bin", name="weights", type="model", aliases=["best"])
used = wandb.use_artifact("weights:best")
path = used.file(root="downloaded")
assert os.path.basename(path) == "weights.bin"
wandb.finish()
assert wandb.run is None
