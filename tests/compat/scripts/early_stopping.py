# Early stopping re-logs the best checkpoint: W&B deduplicates it and moves `latest` to it.
import artifact_gui as wandb

weights = ["w-epoch-0", "w-epoch-1", "w-epoch-0"]  # epoch 0 was best after all
with wandb.init(project="compat", job_type="train") as run:
    for content in weights:
        checkpoint = wandb.Artifact("early", type="model")
        with checkpoint.new_file("model.bin") as f:
            f.write(content)
        logged = run.log_artifact(checkpoint, aliases=["v7", "candidate"])  # 'v7' is ignored, as in W&B
    logged.wait()

api = wandb.Api()
assert api.artifact("compat/early:latest").version == "v0"
assert api.artifact("compat/early:v0").aliases == ["latest", "candidate"]
assert api.artifact("compat/early:v1").aliases == []
