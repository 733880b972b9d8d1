# W&B docs: "Explore artifact graphs": walk producers and consumers.
import artifact_gui as wandb

with wandb.init(project="compat", job_type="collect") as run:
    raw = wandb.Artifact("raw", "dataset")
    with raw.new_file("r.txt") as f:
        f.write("r")
    run.log_artifact(raw)
    collect_id = run.id

with wandb.init(project="compat", job_type="clean") as run:
    source = run.use_artifact("raw:latest")
    clean = wandb.Artifact("clean", "dataset")
    with clean.new_file("c.txt") as f:
        f.write("c")
    run.log_artifact(clean)

api = wandb.Api()
clean = api.artifact("compat/clean:latest")
producer = clean.logged_by()
assert producer.job_type == "clean" and producer.path.endswith(f"/compat/{producer.id}")
upstream = producer.used_artifacts()
assert [a.name for a in upstream] == ["raw:v0"]
assert upstream[0].logged_by().id == collect_id
assert [r.job_type for r in api.artifact("compat/raw:v0").used_by()] == ["clean"]
assert [a.name for a in api.run(f"my-team/compat/{collect_id}").logged_artifacts()] == ["raw:v0"]
assert [r.job_type for r in api.runs("my-team/compat")] == ["collect", "clean"]
