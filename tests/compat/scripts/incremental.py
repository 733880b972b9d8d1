# W&B docs: "Create a new artifact version from an existing one" (incremental new_draft).
import artifact_gui as wandb

with wandb.init(project="compat", job_type="make") as run:
    artifact = wandb.Artifact("images", "dataset")
    for name in ("a", "b"):
        with artifact.new_file(f"{name}.txt") as f:
            f.write(name)
    run.log_artifact(artifact)

saved = wandb.Api().artifact("compat/images:latest")
draft = saved.new_draft()
with draft.new_file("c.txt") as f:
    f.write("c")
draft.remove("a.txt")
with wandb.init(project="compat", job_type="modify") as run:
    run.log_artifact(draft)

latest = wandb.Api().artifact("compat/images:latest")
assert latest.version == "v1"
assert sorted(e.path for e in latest.files()) == ["b.txt", "c.txt"]
assert latest.manifest.get_entry_by_path("b.txt").digest == saved.get_entry("b.txt").digest
