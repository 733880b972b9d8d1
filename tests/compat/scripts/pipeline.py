# W&B docs: "Create an artifact", "Use an artifact" (a preprocess -> train pipeline).
import os

import artifact_gui as wandb

os.makedirs("data", exist_ok=True)
for split in ("train", "test"):
    with open(f"data/{split}.csv", "w") as f:
        f.write(f"{split},1\n")

with wandb.init(project="compat", job_type="preprocess") as run:
    dataset = wandb.Artifact(name="mnist", type="dataset", description="raw MNIST", metadata={"rows": 2})
    dataset.add_dir("data")
    run.log_artifact(dataset)

with wandb.init(project="compat", job_type="train", config={"lr": 0.01, "epochs": 2}) as run:
    assert run.config.lr == 0.01
    artifact = run.use_artifact("mnist:latest")
    data_dir = artifact.download()
    assert sorted(os.listdir(data_dir)) == ["test.csv", "train.csv"]
    with open("model.pt", "w") as f:
        f.write("weights")
    model = wandb.Artifact("mnist-model", type="model", metadata={"lr": run.config.lr})
    model.add_file("model.pt")
    run.log_artifact(model, aliases="best")

model = wandb.Api().artifact("my-team/compat/mnist-model:best")
assert model.aliases == ["latest", "best"]
assert model.logged_by().job_type == "train"
assert [a.name for a in model.logged_by().used_artifacts()] == ["mnist:v0"]
