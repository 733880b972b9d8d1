"""The `artifact-gui` command: no subcommand opens the window; subcommands script a store."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from collections.abc import Sequence

import humanize

from .appcore.logsetup import DEFAULT_LEVEL as DEFAULT_LOG_LEVEL
from .appcore.logsetup import LEVELS as LOG_LEVELS
from .appcore.logsetup import configure_logging, log_folder
from .core.cleanup import CleanupCriteria, CleanupPlan
from .core.manifest import parse_json_object
from .core.names import InvalidNameError, parse_artifact_ref
from .sdk.api import Api
from .sdk.artifact import Artifact
from .sdk.run import Run
from .stores import Store, StoreError, default_store_location, open_store


class UserError(Exception):
    """A mistake in how the command was called; printed without a traceback."""


def _store(args: argparse.Namespace) -> Store:
    return open_store(args.store or default_store_location())


def _split_ref(ref: str) -> tuple[str, str, str | None]:
    """'project/name[:selector]' -> parts; the selector stays None when not given."""
    project, name, selector = parse_artifact_ref(ref)
    return project, name, selector if ":" in ref else None


def _size(n: int) -> str:
    return humanize.naturalsize(n, binary=True)


def _when(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def cmd_ls(args: argparse.Namespace) -> None:
    store = _store(args)
    if not args.ref:
        for collection in store.list_collections():
            print(f"{collection.project}/{collection.name}\t{collection.type}\t{collection.version_count} versions")
        return
    if "/" not in args.ref:
        for collection in store.list_collections(project=args.ref):
            print(f"{collection.name}\t{collection.type}\t{collection.version_count} versions")
        return
    project, name, selector = _split_ref(args.ref)
    if selector is None:
        for v in store.list_versions(project, name):
            print(f"{v.version}\t{','.join(v.aliases) or '-'}\t{_size(v.size)}\t{v.file_count} files\t{_when(v.created_at)}\t{v.digest[:12]}")
        return
    version = store.get_version(project, name, selector)
    for entry in store.list_entries(version.id):
        print(f"{entry.path}\t{_size(entry.size or 0)}\t{entry.ref or entry.digest}")


def cmd_put(args: argparse.Namespace) -> None:
    if not os.path.exists(args.path):
        raise UserError(f"no file or folder at {args.path!r}")
    store = _store(args)
    name = args.name or os.path.basename(os.path.abspath(args.path))
    artifact = Artifact(name, args.type, description=args.description,
                        metadata=_json_object(args.metadata, "--metadata"))
    if os.path.isdir(args.path):
        artifact.add_dir(args.path)
    else:
        artifact.add_file(args.path)
    run = Run(store, store.create_run(args.project, job_type="upload"))
    try:
        run.log_artifact(artifact, aliases=args.alias)
    finally:
        run.finish()
    print(f"{artifact.qualified_name}\t{', '.join(artifact.aliases) or '-'}\t{_size(artifact.size)}\t{artifact.digest}")


def _json_object(text: str | None, option: str) -> dict:
    try:
        return parse_json_object(text or "", option)
    except ValueError as error:
        raise UserError(str(error)) from None


def cmd_get(args: argparse.Namespace) -> None:
    artifact = Api(_store(args)).artifact(args.ref)
    print(artifact.download(args.root))


def cmd_alias(args: argparse.Namespace) -> None:
    store = _store(args)
    project, name, selector = _split_ref(args.ref)
    version = store.get_version(project, name, selector or "latest")
    if args.action == "add":
        store.add_alias(version.id, args.alias)
    else:
        store.remove_alias(version.id, args.alias)
    print(store.get_version_by_id(version.id).qualified_name, ",".join(store.get_version_by_id(version.id).aliases))


def cmd_rm(args: argparse.Namespace) -> None:
    store = _store(args)
    project, name, selector = _split_ref(args.ref)
    if selector is None:
        count = store.delete_collection(project, name, delete_aliases=args.delete_aliases)
        print(f"deleted {project}/{name} ({count} versions); run 'artifact-gui gc' to free space")
        return
    version = store.get_version(project, name, selector)
    store.delete_version(version.id, delete_aliases=args.delete_aliases)
    print(f"deleted {version.qualified_name}; run 'artifact-gui gc' to free space")


def print_plan(plan: CleanupPlan) -> None:
    for c in plan.candidates:
        used = f"\tused by {c.consumer_count} run(s)" if c.consumer_count else ""
        print(f"{c.qualified_name}\t{_size(c.size)}\t{_when(c.created_at)}{used}")
    print(f"{len(plan.candidates)} versions without aliases, {_size(plan.logical_bytes)} in total;"
          f" deleting them frees {_size(plan.bytes_freed)} ({plan.bytes_freed} bytes)")
    if plan.used_candidates:
        print(f"warning: {len(plan.used_candidates)} of them were used as input by runs;"
              " their lineage loses a node (pass --keep-used to keep them)")


def cmd_cleanup(args: argparse.Namespace) -> None:
    if args.name and not args.project:
        raise UserError("--name needs --project")
    if not args.dry_run and not args.yes:
        raise UserError("pass --dry-run to see the plan, or --yes to delete")
    store = _store(args)
    criteria = CleanupCriteria(project=args.project, type=args.type, name=args.name,
                               older_than_days=args.older_than, keep_newest=args.keep_newest,
                               name_pattern=args.pattern, keep_used=args.keep_used)
    plan = store.plan_cleanup(criteria)
    print_plan(plan)
    if args.yes:
        result = store.apply_cleanup(plan, trash=args.trash)
        if args.trash:
            print(f"moved {result.versions_deleted} versions to the trash; 'artifact-gui trash empty' frees"
                  f" {_size(plan.bytes_freed)}, 'artifact-gui trash restore REF' brings one back")
        else:
            print(f"deleted {result.versions_deleted} versions, freed {_size(result.bytes_freed)}")


def cmd_trash(args: argparse.Namespace) -> None:
    store = _store(args)
    trashed = store.list_trash()
    if args.action == "ls":
        for t in trashed:
            aliases = f"\twas {','.join(t.aliases_before)}" if t.aliases_before else ""
            print(f"{t.version.qualified_name}\t{_size(t.version.size)}\ttrashed {_when(t.trashed_at)}{aliases}")
        print(f"{len(trashed)} versions in the trash; emptying it frees"
              f" {_size(store.bytes_freed_by([t.version.id for t in trashed]))}")
    elif args.action == "restore":
        if not args.refs:
            raise UserError("name the versions to restore, like 'project/name:v3'")
        by_name = {t.version.qualified_name: t.version.id for t in trashed}
        missing = [ref for ref in args.refs if ref not in by_name]
        if missing:
            raise UserError(f"not in the trash: {', '.join(missing)} (see 'artifact-gui trash ls')")
        print(f"restored {store.restore_versions([by_name[ref] for ref in args.refs])} versions")
    else:
        result = store.empty_trash(older_than_days=args.older_than)
        print(f"emptied the trash: freed {_size(result.bytes_freed)}")


def cmd_gc(args: argparse.Namespace) -> None:
    result = _store(args).gc()
    print(f"removed {result.blobs_deleted} unreferenced blobs, freed {_size(result.bytes_freed)}")


def cmd_verify(args: argparse.Namespace) -> int:
    report = _store(args).verify()
    for digest in report.corrupt:
        print(f"corrupt: {digest}", file=sys.stderr)
    for digest in report.missing:
        print(f"missing: {digest}", file=sys.stderr)
    print(f"checked {report.blobs_checked} blobs: {len(report.corrupt)} corrupt, {len(report.missing)} missing")
    return 0 if report.ok else 1


def cmd_manifest(args: argparse.Namespace) -> None:
    print(json.dumps(Api(_store(args)).artifact(args.ref).to_manifest_json(), indent=4))


def cmd_serve(args: argparse.Namespace) -> None:
    from .server.app import serve

    location = args.store or default_store_location()
    if location.startswith(("http://", "https://")):
        raise UserError("serve needs a store folder, not a URL")
    print(f"serving {location} on http://{args.host}:{args.port}/api/v1 (docs at /api/v1/docs)", flush=True)
    serve(location, args.host, args.port, args.allow_anonymous_read)


def cmd_token(args: argparse.Namespace) -> None:
    from .server.tokens import TokenRegistry

    location = args.store or default_store_location()
    if location.startswith(("http://", "https://")):
        raise UserError("tokens are managed on the server's own store folder, not through a URL")
    registry = TokenRegistry(open_store(location).location)
    if args.action == "create":
        if not args.name:
            raise UserError("token create needs --name")
        token = registry.create(args.name, read_only=args.read_only)
        print(token)
        print(f"(shown once: store it now; it is {'read-only' if args.read_only else 'read-write'})", file=sys.stderr)
    elif args.action == "list":
        for info in registry.list():
            state = "revoked" if info.revoked else ("read-only" if info.read_only else "read-write")
            print(f"{info.name}\t{state}\tcreated {_when(info.created_at)}")
    else:
        if not args.name:
            raise UserError("token revoke needs --name")
        registry.revoke(args.name)
        print(f"revoked {args.name}")


def cmd_login(args: argparse.Namespace) -> None:
    import getpass

    import keyring
    from keyring.errors import KeyringError

    from .stores.remote import KEYRING_SERVICE, RemoteStore

    url = args.url.rstrip("/")
    token = args.token or getpass.getpass(f"token for {url}: ")
    store = RemoteStore(url, token=token)
    try:
        store.stats()
    finally:
        store.close()
    try:
        keyring.set_password(KEYRING_SERVICE, url, token)
    except KeyringError as error:
        raise UserError(f"no usable OS keyring here ({error}); set ARTIFACT_GUI_API_KEY instead") from None
    print(f"logged in to {url}; the token is in the OS keyring (service {KEYRING_SERVICE!r})")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="artifact-gui", description=__doc__)
    parser.add_argument("--store", help="store folder (default: $ARTIFACT_GUI_STORE or the user's data folder)")
    parser.add_argument("--demo", action="store_true", help="create a fresh demo store and open it")
    parser.add_argument("--theme", choices=["system", "light", "dark"], default="system", help="window colours")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default=DEFAULT_LOG_LEVEL, type=str.upper,
                        help=f"what the window writes to its log file under {log_folder()} "
                             f"(default: {DEFAULT_LOG_LEVEL})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.add_argument("--store", default=argparse.SUPPRESS,
                         help="store folder (default: the user's default store)")
        sub.set_defaults(handler=handler)
        return sub

    ls = command("ls", cmd_ls, "list artifacts, versions of 'project/name', or files of 'project/name:v1'")
    ls.add_argument("ref", nargs="?")
    put = command("put", cmd_put, "log a file or folder as a new version")
    put.add_argument("path")
    put.add_argument("--project", required=True)
    put.add_argument("--name", help="artifact name (default: the file or folder name)")
    put.add_argument("--type", default="dataset")
    put.add_argument("--alias", action="append", default=[])
    put.add_argument("--description")
    put.add_argument("--metadata", help="JSON object")
    get = command("get", cmd_get, "download 'project/name:alias' (default ./artifacts/name:vN)")
    get.add_argument("ref")
    get.add_argument("--root")
    alias = command("alias", cmd_alias, "add or remove an alias of 'project/name:selector'")
    alias.add_argument("action", choices=["add", "rm"])
    alias.add_argument("ref")
    alias.add_argument("alias")
    rm = command("rm", cmd_rm, "delete 'project/name:vN', or a whole artifact 'project/name'")
    rm.add_argument("ref")
    rm.add_argument("--delete-aliases", action="store_true")
    cleanup = command("cleanup", cmd_cleanup, "delete versions that carry no alias")
    cleanup.add_argument("--project")
    cleanup.add_argument("--type")
    cleanup.add_argument("--name", help="one artifact (with --project)")
    cleanup.add_argument("--older-than", type=float, metavar="DAYS")
    cleanup.add_argument("--keep-newest", type=int, default=0, metavar="N")
    cleanup.add_argument("--pattern", help="artifact name pattern, like 'ckpt-*'")
    cleanup.add_argument("--keep-used", action="store_true", help="keep versions runs used as input")
    cleanup.add_argument("--trash", action="store_true",
                         help="move the versions to the trash (restorable) instead of deleting them")
    mode = cleanup.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true")
    mode.add_argument("--yes", action="store_true")
    trash = command("trash", cmd_trash, "list, restore or empty the trash of deleted versions")
    trash.add_argument("action", choices=["ls", "restore", "empty"])
    trash.add_argument("refs", nargs="*", metavar="REF", help="with restore: 'project/name:vN'")
    trash.add_argument("--older-than", type=float, metavar="DAYS", help="with empty: only versions trashed longer ago")
    serve = command("serve", cmd_serve, "serve a store over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--allow-anonymous-read", action="store_true", help="let requests without a token read")
    token = command("token", cmd_token, "create, list or revoke the server's API tokens")
    token.add_argument("action", choices=["create", "list", "revoke"])
    token.add_argument("--name")
    token.add_argument("--read-only", action="store_true")
    login = command("login", cmd_login, "check a server's token and keep it in the OS keyring")
    login.add_argument("url")
    login.add_argument("--token", help="(default: asked for without echo)")
    command("gc", cmd_gc, "delete content no version references")
    command("verify", cmd_verify, "re-hash all content and report corruption")
    manifest = command("manifest", cmd_manifest, "print a version's W&B manifest JSON")
    manifest.add_argument("ref")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from .ui.app import run_app

        configure_logging(args.log_level)
        return run_app(store_location=args.store, demo=args.demo, theme=args.theme)
    try:
        return args.handler(args) or 0
    except (UserError, StoreError, InvalidNameError, ValueError, KeyError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"artifact-gui {args.command}: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
