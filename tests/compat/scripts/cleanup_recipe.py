# W&B docs: "Delete multiple artifact versions with no aliases" - the newest must survive.
import artifact_gui as wandb

with wandb.init(project="compat", job_type="train") as run:
    for epoch in range(5):
        checkpoint = wandb.Artifact("checkpoint", type="model")
        with checkpoint.new_file("weights.bin") as f:
            f.write(f"epoch {epoch}")
        run.log_artifact(checkpoint, aliases=["best"] if epoch == 1 else None)

api = wandb.Api()
artifact_type, artifact_name = "model", "compat/checkpoint"
for version in api.artifacts(artifact_type, artifact_name):
    if len(version.aliases) == 0:
        version.delete()

kept = {v.version: v.aliases for v in api.artifacts(artifact_type, artifact_name)}
assert kept == {"v4": ["latest"], "v1": ["best"]}, kept
