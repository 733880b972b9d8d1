# W&B docs: "Link an artifact version to a registry".
import artifact_gui as wandb

with wandb.init(project="compat", job_type="train") as run:
    model = wandb.Artifact("classifier", type="model")
    with model.new_file("model.bin") as f:
        f.write("trained")
    run.log_artifact(model)
    linked = run.link_artifact(model, target_path="wandb-registry-model/production", aliases=["staging"])

assert linked.is_link and linked.source_name == "classifier:v0"
api = wandb.Api()
production = api.artifact("my-org/wandb-registry-model/production:staging")
assert production.aliases == ["latest", "staging"]
assert production.get_entry("model.bin").size == len("trained")
assert [a.name for a in api.artifact("compat/classifier:v0").linked_artifacts] == ["production:v0"]
production.unlink()
assert not api.artifact_exists("wandb-registry-model/production:staging")
