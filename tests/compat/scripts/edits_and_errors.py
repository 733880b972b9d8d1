# W&B docs: "Update an artifact" (description, metadata, aliases, tags, TTL) and the errors.
import datetime

import artifact_gui as wandb

with wandb.init(project="compat", job_type="log") as run:
    artifact = wandb.Artifact("table", "dataset", metadata={"rows": float("nan"), "cols": {"a"}})
    with artifact.new_file("t.csv") as f:
        f.write("a\n1\n")
    run.log_artifact(artifact, tags=["raw"])

api = wandb.Api()
artifact = api.artifact("compat/table:latest")
assert artifact.metadata == {"rows": None, "cols": ["a"]}
artifact.description = "cleaned"
artifact.metadata["rows"] = 1
artifact.aliases.append("prod")
artifact.tags.append("checked")
artifact.ttl = datetime.timedelta(days=30)
artifact.save()

fresh = api.artifact("compat/table:prod")
assert (fresh.description, fresh.metadata["rows"]) == ("cleaned", 1)
assert fresh.tags == ["raw", "checked"] and fresh.ttl == datetime.timedelta(days=30)
assert isinstance(fresh.created_at, str) and fresh.qualified_name.endswith("/compat/table:v0")

try:
    api.artifact("compat/table:does-not-exist")
except wandb.errors.CommError:
    pass
else:
    raise AssertionError("a missing alias must raise CommError")
try:
    fresh.delete()
except wandb.errors.CommError as error:
    assert "alias" in str(error)
else:
    raise AssertionError("deleting an aliased version must be refused")
fresh.delete(delete_aliases=True)
assert not api.artifact_exists("compat/table:v0")
