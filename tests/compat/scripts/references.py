# W&B docs: "Track external files" with file:// references.
import os

import artifact_gui as wandb

os.makedirs("bucket/sub", exist_ok=True)
for path, text in (("bucket/a.txt", "A"), ("bucket/sub/b.txt", "B")):
    with open(path, "w") as f:
        f.write(text)
uri = "file://" + os.path.abspath("bucket")

with wandb.init(project="compat", job_type="refs") as run:
    artifact = wandb.Artifact("external", type="dataset")
    artifact.add_reference(uri, name="checked")
    artifact.add_reference(uri, name="loose", checksum=False)
    run.log_artifact(artifact)

artifact = wandb.Api().artifact("compat/external:latest")
entries = {e.path: e for e in artifact.files()}
assert sorted(entries) == ["checked/a.txt", "checked/sub/b.txt", "loose/a.txt", "loose/sub/b.txt"]
assert entries["loose/sub/b.txt"].ref_target() == uri + "/sub/b.txt" and entries["loose/a.txt"].size == 1
root = artifact.download("out")
assert open(os.path.join(root, "loose", "sub", "b.txt")).read() == "B"
