"""README's Python snippet runs as printed (on a prepared store)."""

from __future__ import annotations

import os
import re

import artifact_gui as ag
from artifact_gui.core import refs
from artifact_gui.core.manifest import ManifestEntry
from tests.conftest import write_files

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def python_snippet() -> str:
    text = open(README, encoding="utf-8").read()
    section = text[text.index("## The Python API"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_snippet_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(write_files(tmp_path / "work", {"out/x.csv": "1", "stats.json": "{}"}))
    # example.com cannot be reached from the tests: its reference entry is made up here.
    monkeypatch.setattr(refs, "_http_entry", lambda uri, name, checksum: ManifestEntry(
        path="big.tar", ref=uri, digest=uri))
    store = ag.open_store(tmp_path / "ml-store")
    for project, name, aliases in (("mnist", "mnist-raw", []), ("mnist", "mnist-cnn", ["production"])):
        with ag.init(project, store=store) as run:
            artifact = ag.Artifact(name, "dataset")
            with artifact.new_file("model.pt") as f:
                f.write(name)
            run.log_artifact(artifact, aliases=aliases)
    store.close()
    exec(compile(python_snippet(), "README.md", "exec"), {})
    assert "mnist-processed:v0 v0 ['latest', 'candidate']" in capsys.readouterr().out
