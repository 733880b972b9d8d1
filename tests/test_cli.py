"""The `artifact-gui` command, run as a user runs it: a real process, a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import write_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, check=True):
    result = subprocess.run([sys.executable, "-m", "artifact_gui", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def store_path(tmp_path):
    return str(tmp_path / "store")


def test_put_ls_get_manifest(store_path, tmp_path):
    folder = write_files(tmp_path / "mnist", {"train.csv": "1,2", "img/0.png": b"\x89PNG"})
    out = cli("put", folder, "--project", "p", "--alias", "best", "--metadata", '{"rows": 1}', "--store", store_path)
    assert out.stdout.startswith("p/mnist:v0\tlatest, best")
    assert "p/mnist\tdataset\t1 version\n" in cli("ls", "--store", store_path).stdout
    versions = cli("ls", "p/mnist", "--store", store_path).stdout
    assert versions.startswith("v0\tlatest,best")
    files = cli("ls", "p/mnist:best", "--store", store_path).stdout
    assert [line.split("\t")[0] for line in files.splitlines()] == ["img/0.png", "train.csv"]
    target = str(tmp_path / "out")
    assert cli("get", "p/mnist:v0", "--root", target, "--store", store_path).stdout.strip() == target
    assert open(os.path.join(target, "train.csv")).read() == "1,2"
    manifest = json.loads(cli("manifest", "p/mnist:latest", "--store", store_path).stdout)
    assert manifest["version"] == 1 and set(manifest["contents"]) == {"img/0.png", "train.csv"}


def test_alias_rm_cleanup_gc_verify(store_path, tmp_path):
    for i in range(3):
        folder = write_files(tmp_path / f"v{i}" / "data", {"x": os.urandom(1000 + i)})
        cli("put", folder, "--project", "p", "--store", store_path)
    cli("alias", "add", "p/data:v1", "pinned", "--store", store_path)
    dry = cli("cleanup", "--dry-run", "--store", store_path).stdout
    assert "p/data:v0" in dry and "p/data:v1" not in dry
    assert "deleting them frees 1000 Bytes (1000 bytes)" in dry
    assert cli("ls", "p/data", "--store", store_path).stdout.count("\n") == 3  # dry run deleted nothing
    applied = cli("cleanup", "--yes", "--store", store_path).stdout
    assert "deleted 1 version, freed 1000 Bytes" in applied
    refused = cli("rm", "p/data:v1", "--store", store_path, check=False)
    assert refused.returncode == 1 and "pinned" in refused.stderr and "Traceback" not in refused.stderr
    cli("rm", "p/data:v1", "--delete-aliases", "--store", store_path)
    assert "freed 1001 Bytes" in cli("gc", "--store", store_path).stdout
    assert "0 corrupt, 0 missing" in cli("verify", "--store", store_path).stdout
    cli("alias", "rm", "p/data:v2", "latest", "--store", store_path, check=False)


def test_user_mistakes_give_one_line_errors_not_tracebacks(store_path, tmp_path):
    cases = [
        ("put", str(tmp_path / "missing"), "--project", "p"),
        ("put", str(tmp_path), "--project", "bad/project"),
        ("get", "p/none:latest"),
        ("alias", "add", "p/x:v0", "bad:alias"),
        ("cleanup",),
        ("put", str(tmp_path), "--project", "p", "--metadata", "[1]"),
    ]
    for args in cases:
        result = cli(*args, "--store", store_path, check=False)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr, (args, result.stderr)
        assert result.stderr.strip().startswith("artifact-gui"), (args, result.stderr)


def test_default_store_comes_from_the_environment(tmp_path, monkeypatch):
    folder = write_files(tmp_path / "data", {"x": "1"})
    cli("put", folder, "--project", "p")
    assert os.path.exists(os.path.join(os.environ["ARTIFACT_GUI_STORE"], "store.db"))


def test_cleanup_into_the_trash_restore_and_empty(store_path, tmp_path):
    for i in range(3):
        folder = write_files(tmp_path / f"v{i}" / "data", {"x": os.urandom(2000 + i)})
        cli("put", folder, "--project", "p", "--store", store_path)
    moved = cli("cleanup", "--yes", "--trash", "--store", store_path).stdout
    assert "moved 2 versions to the trash" in moved
    listing = cli("trash", "ls", "--store", store_path).stdout
    assert "p/data:v0" in listing and "p/data:v1" in listing and "frees 3.9 KiB" in listing
    assert "restored 1 version\n" in cli("trash", "restore", "p/data:v1", "--store", store_path).stdout
    assert cli("ls", "p/data", "--store", store_path).stdout.count("\n") == 2
    bad = cli("trash", "restore", "p/data:v2", "--store", store_path, check=False)
    assert bad.returncode == 1 and "not in the trash" in bad.stderr
    assert "freed 2.0 KiB" in cli("trash", "empty", "--store", store_path).stdout


def test_token_create_list_revoke(store_path):
    cli("init", store_path)  # tokens belong to an existing store
    token = cli("token", "create", "--name", "ci", "--read-only", "--store", store_path).stdout.strip()
    assert token.startswith("agt_")
    listing = cli("token", "list", "--store", store_path).stdout
    assert "ci\tread-only" in listing and token not in listing
    cli("token", "revoke", "--name", "ci", "--store", store_path)
    assert "ci\trevoked" in cli("token", "list", "--store", store_path).stdout
    again = cli("token", "revoke", "--name", "ci", "--store", store_path, check=False)
    assert again.returncode == 1 and "no active token" in again.stderr


def test_the_cli_works_against_a_server(server, tmp_path):
    folder = write_files(tmp_path / "shared", {"x.csv": "1,2"})
    env_store = ["--store", server.url]
    import os as _os

    _os.environ["ARTIFACT_GUI_API_KEY"] = server.write_token
    try:
        out = cli("put", folder, "--project", "team", "--alias", "v-first", *env_store).stdout
        assert out.startswith("team/shared:v0")
        assert "team/shared\tdataset\t1 version\n" in cli("ls", *env_store).stdout
        target = str(tmp_path / "got")
        cli("get", "team/shared:latest", "--root", target, *env_store)
        assert open(_os.path.join(target, "x.csv")).read() == "1,2"
    finally:
        del _os.environ["ARTIFACT_GUI_API_KEY"]
    unauthorised = cli("ls", *env_store, check=False)
    assert unauthorised.returncode == 1 and "token" in unauthorised.stderr and "Traceback" not in unauthorised.stderr


def test_login_checks_the_token_and_says_when_no_keyring_exists(server):
    result = subprocess.run([sys.executable, "-m", "artifact_gui", "login", server.url, "--token", server.write_token],
                            cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert result.returncode == 1 and "no usable OS keyring" in result.stderr
    wrong = subprocess.run([sys.executable, "-m", "artifact_gui", "login", server.url, "--token", "agt_wrong"],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 1 and "not one this server issued" in wrong.stderr


def test_version_prints_the_package_version():
    from artifact_gui import __version__

    assert cli("--version").stdout.strip() == f"artifact-gui {__version__}"


def test_without_a_display_the_window_says_how_to_run_it_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "artifact_gui", "--demo"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "no display" in result.stderr
    assert "xvfb-run -a artifact-gui --demo" in result.stderr and "xcb-cursor" not in result.stderr
    assert not os.path.exists(os.path.join(os.environ["ARTIFACT_GUI_CACHE_DIR"], "demo-store"))  # nothing built


@pytest.mark.parametrize("environ, ok", [
    ({}, False),
    ({"DISPLAY": ":0"}, True),
    ({"WAYLAND_DISPLAY": "wayland-0"}, True),
    ({"QT_QPA_PLATFORM": "offscreen"}, True),
    ({"QT_QPA_PLATFORM": "xcb"}, False),
    ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, False),
    ({"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, True),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, True),
])
def test_display_problem_is_found_before_qt_starts(environ, ok):
    from artifact_gui.ui.app import display_problem

    assert (display_problem(environ, "linux", find_library=lambda name: f"lib{name}.so.0") is None) == ok
    assert display_problem({}, "win32") is None and display_problem({}, "darwin") is None


def test_a_missing_xcb_cursor_library_is_named_with_the_fix():
    from artifact_gui.ui.app import display_problem

    # Whether the library is installed is the machine's business; the lookup answers "absent".
    problem = display_problem({"DISPLAY": ":0"}, "linux", find_library=lambda name: None)
    assert "libxcb-cursor0" in problem and "install-system-deps.sh" in problem
    assert display_problem({"DISPLAY": ":0", "WAYLAND_DISPLAY": "w"}, "linux", find_library=lambda name: None) is None


def test_a_path_argument_opens_that_store_like_store(monkeypatch, tmp_path):
    # The window's event loop cannot return in a test, so run_app is replaced by a recorder.
    import artifact_gui.ui.app as app
    from artifact_gui import cli as cli_module

    opened = []
    monkeypatch.setattr(app, "run_app", lambda **kwargs: opened.append(kwargs) or 0)
    store = str(tmp_path / "store")
    assert cli_module.main([store]) == 0
    assert cli_module.main(["--theme", "dark", os.path.join(store, "store.db")]) == 0  # a file manager's %F
    assert cli_module.main(["--store", store]) == 0
    assert cli_module.main([store, "--theme", "light"]) == 0  # options after PATH
    assert [o["store_location"] for o in opened] == [store] * 4
    assert opened[1]["theme"] == "dark" and opened[3]["theme"] == "light"
    assert cli_module.main(["--reset-demo"]) == 0 and opened[-1]["demo"] and opened[-1]["reset_demo"]
    with pytest.raises(SystemExit):
        cli_module.main([store, "--store", store])
    with pytest.raises(SystemExit):
        cli_module.main([store, str(tmp_path / "other")])


def test_install_desktop_puts_the_launcher_and_icon_into_xdg_data_home(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "artifact_gui", "install-desktop"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    desktop = tmp_path / "data" / "applications" / "artifact-gui.desktop"
    icon = tmp_path / "data" / "icons" / "hicolor" / "scalable" / "apps" / "artifact-gui.svg"
    assert icon.read_bytes() == open(os.path.join(ROOT, "resources", "artifact-gui.svg"), "rb").read()
    entries = dict(line.split("=", 1) for line in desktop.read_text().splitlines() if "=" in line)
    assert entries["Icon"] == "artifact-gui" and entries["Type"] == "Application"
    program, *rest = entries["Exec"].split(" ")
    assert os.path.isabs(program) and os.access(program, os.X_OK)  # works without the venv on PATH
    assert rest[-1] == "%F"
    removed = subprocess.run([sys.executable, "-m", "artifact_gui", "install-desktop", "--remove"], cwd=ROOT,
                             env=env, capture_output=True, text=True, timeout=60)
    assert removed.returncode == 0 and not desktop.exists() and not icon.exists()


def test_every_option_says_what_it_does_and_its_default():
    from artifact_gui.cli import _parser

    parser = _parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    commands = subparsers.choices
    assert "--store" not in commands["login"].format_help()  # the URL is the store
    for name, sub in [("artifact-gui", parser), *commands.items()]:
        for action in sub._actions:
            if action.dest in ("help", "version"):
                continue
            assert action.help, (name, action.dest)
            takes_value = action.nargs != 0 and action.option_strings and not action.required
            if takes_value and action.choices is None and action.dest != "store" or action.dest == "theme":
                assert "default" in action.help or "required" in action.help, (name, action.dest, action.help)


def test_messages_name_options_not_python_internals(store_path, tmp_path):
    folder = write_files(tmp_path / "data", {"x": "1"})
    cli("put", folder, "--project", "p", "--alias", "best", "--store", store_path)
    for args in (("rm", "p/data:v0"), ("rm", "p/data")):
        refused = cli(*args, "--store", store_path, check=False)
        assert refused.returncode == 1 and "--delete-aliases" in refused.stderr, refused.stderr
        assert "delete_aliases" not in refused.stderr and "p/data:v0 (best)" in refused.stderr
    missing = cli("alias", "rm", "p/data:v0", "production", "--store", store_path, check=False)
    assert missing.returncode == 1 and "version id" not in missing.stderr
    assert "p/data:v0 has no alias 'production'" in missing.stderr
    (tmp_path / "taken").write_text("a file")
    exists = cli("get", "p/data:v0", "--root", str(tmp_path / "taken"), "--store", store_path, check=False)
    assert exists.returncode == 1 and "Errno" not in exists.stderr and "exists" in exists.stderr


def test_cleanup_expired_dry_run(store_path, tmp_path):
    folder = write_files(tmp_path / "m", {"a": "1"})
    cli("put", folder, "--project", "p", "--store", store_path)
    out = cli("cleanup", "--expired", "--dry-run", "--store", store_path)
    assert "0 versions without aliases" in out.stdout


def test_error_lines_carry_no_errno_numbers():
    from artifact_gui.cli import describe_error
    from artifact_gui.stores import StoreError

    assert describe_error(FileExistsError(17, "File exists", "/data/out")) == "/data/out: file exists"
    wrapped = StoreError("cannot write '/s/store.db': [Errno 13] Permission denied: '/s/store.db'")
    assert describe_error(wrapped) == "cannot write '/s/store.db': Permission denied: '/s/store.db'"
    assert describe_error(KeyError("no entry 'x'")) == "no entry 'x'"


def test_a_refused_connection_is_one_plain_error_line():
    import socket

    with socket.socket() as probe:  # a port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = cli("ls", "--store", f"http://127.0.0.1:{port}/", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"artifact-gui ls: error: listing artifacts: cannot reach http://127.0.0.1:{port} (Connection refused);"
        " is the server running?"], refused.stderr


@pytest.mark.parametrize("damage, named", [
    ("UPDATE versions SET created_at = 'yesterday'", "versions.created_at"),
    ("UPDATE versions SET size = 'abc'", "versions.size"),
    ("UPDATE blobs SET size = -1000000000000", "blobs.size"),
    ("UPDATE collections SET tags = 'nope'", "collections.tags"),
])
def test_a_damaged_store_db_row_is_one_error_line_and_verify_names_it(store_path, tmp_path, damage, named):
    import sqlite3

    for i in range(3):
        cli("put", write_files(tmp_path / f"v{i}" / "data", {"x": os.urandom(1000)}), "--project", "p",
            "--store", store_path)
    db = sqlite3.connect(os.path.join(store_path, "store.db"))
    with db:
        db.execute(damage)
    db.close()
    failed = [cli(*args, "--store", store_path, check=False)
              for args in (("ls",), ("ls", "p/data"), ("cleanup", "--dry-run"), ("cleanup", "--yes"))]
    failed = [result for result in failed if result.returncode]
    assert failed, "no command noticed the damage"
    for result in failed:
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert named in result.stderr and "artifact-gui verify" in result.stderr, result.stderr
    assert "frees -" not in "".join(result.stdout for result in failed)
    verified = cli("verify", "--store", store_path, check=False)
    assert verified.returncode == 1
    assert f"problem: store {store_path!r} holds an invalid value in {named}" in verified.stderr
