"""The layer rules of DESIGN.md, checked by import-linter on every test run."""

import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_import_contracts_hold():
    lint_imports = shutil.which("lint-imports")
    assert lint_imports, "import-linter is part of the test extra"
    result = subprocess.run([lint_imports], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_type_checking_imports_count_so_they_cannot_hide_a_circle():
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        linter = tomllib.load(f)["tool"]["importlinter"]
    assert linter.get("exclude_type_checking_imports", False) is False
    kinds = {contract["type"] for contract in linter["contracts"]}
    assert {"forbidden", "layers", "acyclic_siblings"} <= kinds
