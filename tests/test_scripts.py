"""scripts/install-system-deps.sh, in the parts that can run without changing this machine."""

from __future__ import annotations

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "scripts", "install-system-deps.sh")


def test_a_busy_apt_is_named_by_the_process_holding_its_lock(tmp_path):
    lock = tmp_path / "lock-frontend"
    lock.write_text("")
    with open(lock, "rb") as held:
        # `cat` inherits the open lock file and waits on its stdin: a stand-in for apt holding the lock.
        holder = subprocess.Popen(["cat"], stdin=subprocess.PIPE, pass_fds=(held.fileno(),))
    try:
        found = subprocess.run(["bash", "-c", f'source "{SCRIPT}"; APT_LOCKS=("{lock}"); apt_lock_holder'],
                               capture_output=True, text=True, timeout=60)
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
    assert found.returncode == 0, found.stderr
    assert found.stdout == f"{holder.pid} (cat) holds {lock}"
    nobody = subprocess.run(["bash", "-c", f'source "{SCRIPT}"; APT_LOCKS=("{lock}"); apt_lock_holder'],
                            capture_output=True, text=True, timeout=60)
    assert nobody.stdout == ""


def test_the_script_installs_what_a_virtual_environment_needs_and_shows_apts_progress():
    with open(SCRIPT, encoding="utf-8") as f:
        text = f.read()
    assert "python3-venv" in text and "python3-pip" in text and "libxcb-cursor0" in text
    apt_lines = [line for line in text.splitlines() if '"${APT[@]}"' in line]
    assert len(apt_lines) == 2  # update and install
    assert not any(">/dev/null" in line or "-qq" in line for line in apt_lines)
