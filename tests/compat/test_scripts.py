"""Each script under scripts/ is W&B documentation code with only `import wandb` swapped."""

from __future__ import annotations

import os
import runpy

import pytest

SCRIPTS = os.path.join(os.path.dirname(__file__), "scripts")
NAMES = sorted(name for name in os.listdir(SCRIPTS) if name.endswith(".py"))


def test_scripts_import_nothing_but_artifact_gui_as_wandb():
    for name in NAMES:
        with open(os.path.join(SCRIPTS, name)) as script:
            imports = [line for line in script if line.startswith(("import ", "from "))]
        assert "import artifact_gui as wandb\n" in imports, name
        assert not [line for line in imports if "artifact_gui" in line and line != "import artifact_gui as wandb\n"], name


@pytest.mark.parametrize("name", NAMES)
def test_script_runs_unchanged(name, wandb_env):
    runpy.run_path(os.path.join(SCRIPTS, name), run_name="__main__")
