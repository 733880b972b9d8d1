"""README's commands and code are what CI and users run: keep them true."""

from __future__ import annotations

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme() -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        return f.read()


def _sh_block_after(heading_words: str) -> str:
    text = _readme()
    start = text.index(heading_words)
    return re.search(r"```sh\n(.*?)\n```", text[start:], re.S).group(1).strip()


def test_ci_runs_exactly_readmes_test_command():
    test_command = _sh_block_after("Run the tests")
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as f:
        ci_lines = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    assert test_command in ci_lines
    assert "python3 -m venv .venv" in test_command  # PEP 668: never pip into the system Python


def test_readme_commands_install_into_a_virtual_environment():
    for heading in ("Open the application", "Run the tests"):
        command = _sh_block_after(heading)
        assert command.startswith("bash scripts/install-system-deps.sh && python3 -m venv .venv && .venv/bin/pip ")
        assert "python3 -m pip" not in command


def test_the_python_snippet_runs_as_written_on_the_demo_store(tmp_path):
    text = _readme()
    start = text.index("## The Python API")
    snippet = re.search(r"```python\n(.*?)```", text[start:], re.S).group(1)
    result = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONPATH": ROOT})
    assert result.returncode == 0, result.stderr
    first_line = result.stdout.splitlines()[0]
    assert first_line.startswith("artifact-gui/mnist-demo/mnist-processed:v2 v2 ['latest', 'candidate']"), first_line
    assert os.path.isfile(tmp_path / "artifacts" / "mnist-raw:v2" / "labels.csv")
    assert os.path.isfile(tmp_path / "weights" / "model.pt")
