# A project inventory through the public API: types, collections, versions, sizes.
import artifact_gui as wandb

with wandb.init(project="compat", job_type="seed") as run:
    for name, kind, count in (("images", "dataset", 2), ("resnet", "model", 3)):
        for i in range(count):
            artifact = wandb.Artifact(name, kind)
            with artifact.new_file("f.bin") as f:
                f.write("x" * (i + 1))
            run.log_artifact(artifact)

api = wandb.Api()
inventory = {}
for artifact_type in api.artifact_types(project="compat"):
    for collection in artifact_type.collections():
        versions = list(collection.artifacts())
        inventory[(artifact_type.name, collection.name)] = (len(versions), sum(v.size for v in versions))
assert inventory == {("dataset", "images"): (2, 3), ("model", "resnet"): (3, 6)}, inventory
collection = api.artifact_collection(type_name="model", name="compat/resnet")
assert collection.is_sequence() and "latest" in collection.aliases
assert api.artifact_collection_exists(name="compat/resnet", type="model")
assert len(api.artifacts("model", "compat/resnet", per_page=1)) == 3
