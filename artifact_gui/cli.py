"""The `artifact-gui` command: no subcommand opens the window; subcommands script a store."""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import os
import re
import sys
from collections.abc import Sequence

import humanize

from .appcore.logsetup import DEFAULT_LEVEL as DEFAULT_LOG_LEVEL
from .appcore.logsetup import LEVELS as LOG_LEVELS
from .appcore.logsetup import configure_logging, configure_stderr_logging, log_folder
from .core.cleanup import CleanupCriteria, CleanupPlan
from .core.manifest import parse_json_object
from .core.names import InvalidNameError, parse_artifact_ref
from .core.text import counted
from .sdk.api import Api
from .sdk.artifact import Artifact
from .sdk.run import Run
from ._version import __version__
from .stores import ConflictError, Store, StoreError, default_store_location, open_store
from .stores.local_folder import has_database
from .stores.paging import iter_entries
from .stores.targets import BLOBS_ENV, DATABASE_ENV, S3_ENDPOINT_ENV, StoreTarget


class UserError(Exception):
    """A mistake in how the command was called; printed without a traceback."""


def _target(args: argparse.Namespace, path: str | None = None) -> StoreTarget:
    """The store the options name: --store, or --database with --blobs (or their variables)."""
    return StoreTarget.from_options(path or args.store, getattr(args, "database", None), getattr(args, "blobs", None),
                                    getattr(args, "s3_endpoint", None))


def _store(args: argparse.Namespace, create: bool = False) -> Store:
    """The store named by --store or --database/--blobs (else the default one). Only commands
    that write a new version pass `create`: then a new or empty folder becomes a store."""
    return _target(args).open(create=create)


def cmd_init(args: argparse.Namespace) -> None:
    target = _target(args, args.path)
    if target.is_team:
        store = target.open(create=True)
        store.close()
        print(f"{store.location} holds a store")
        return
    location = args.path or args.store or default_store_location()
    if location.startswith(("http://", "https://")):
        raise UserError("init creates a store folder; a server's store is created on the server")
    existed = has_database(os.path.abspath(os.path.expanduser(location)))
    store = open_store(location, create=True)
    store.close()
    print(f"{store.location} already holds a store" if existed else f"created an empty store at {store.location}")


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
            versions = counted(collection.version_count, "version")
            print(f"{collection.project}/{collection.name}\t{collection.type}\t{versions}")
        return
    if "/" not in args.ref:
        for collection in store.list_collections(project=args.ref):
            print(f"{collection.name}\t{collection.type}\t{counted(collection.version_count, 'version')}")
        return
    project, name, selector = _split_ref(args.ref)
    if selector is None:
        for v in store.list_versions(project, name):
            print(f"{v.version}\t{','.join(v.aliases) or '-'}\t{_size(v.size)}\t{counted(v.file_count, 'file')}"
                  f"\t{_when(v.created_at)}\t{v.digest[:12]}")
        return
    version = store.get_version(project, name, selector)
    for entry in iter_entries(store, version.id, file_count=version.file_count):
        print(f"{entry.path}\t{_size(entry.size or 0)}\t{entry.ref or entry.digest}")


def cmd_put(args: argparse.Namespace) -> None:
    if not os.path.exists(args.path):
        raise UserError(f"no file or folder at {args.path!r}")
    store = _store(args, create=True)
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
    print(f"{artifact.project}/{artifact.name}\t{', '.join(artifact.aliases) or '-'}\t{_size(artifact.size)}\t{artifact.digest}")


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
    elif args.alias not in version.aliases:
        raise UserError(f"{version.qualified_name} has no alias {args.alias!r}"
                        f" (its aliases: {', '.join(version.aliases) or 'none'})")
    else:
        store.remove_alias(version.id, args.alias)
    changed = store.get_version_by_id(version.id)
    print(changed.qualified_name, ",".join(changed.aliases))


def cmd_rm(args: argparse.Namespace) -> None:
    store = _store(args)
    project, name, selector = _split_ref(args.ref)
    versions = store.list_versions(project, name) if selector is None else [store.get_version(project, name, selector)]
    aliased = [v for v in versions if v.user_aliases]
    if aliased and not args.delete_aliases:
        named = ", ".join(f"{v.qualified_name} ({', '.join(v.user_aliases)})" for v in aliased[:5])
        more = f" and {len(aliased) - 5} more" if len(aliased) > 5 else ""
        raise UserError(f"refusing to delete versions that have aliases: {named}{more};"
                        " pass --delete-aliases to delete them with their aliases")
    try:
        if selector is None:
            count = store.delete_collection(project, name, delete_aliases=args.delete_aliases)
            print(f"deleted {project}/{name} ({counted(count, 'version')}); run 'artifact-gui gc' to free space")
            return
        store.delete_version(versions[0].id, delete_aliases=args.delete_aliases)
    except ConflictError as error:  # the store's refusal speaks Python; say the option instead
        raise UserError(str(error).replace("pass delete_aliases=True", "pass --delete-aliases")) from None
    print(f"deleted {versions[0].qualified_name}; run 'artifact-gui gc' to free space")


def print_plan(plan: CleanupPlan) -> None:
    for c in plan.candidates:
        used = f"\tused by {counted(c.consumer_count, 'run')}" if c.consumer_count else ""
        print(f"{c.qualified_name}\t{_size(c.size)}\t{_when(c.created_at)}{used}")
    print(f"{counted(len(plan.candidates), 'version')} without aliases, {_size(plan.logical_bytes)} in total;"
          f" deleting them frees {_size(plan.bytes_freed)} ({plan.bytes_freed} bytes)")
    if plan.used_candidates:
        used = len(plan.used_candidates)
        print(f"warning: {used:,} of them {'was' if used == 1 else 'were'} used as input by runs;"
              " their lineage loses a node (pass --keep-used to keep them)")


def cmd_cleanup(args: argparse.Namespace) -> None:
    if args.name and not args.project:
        raise UserError("--name needs --project")
    if not args.dry_run and not args.yes:
        raise UserError("pass --dry-run to see the plan, or --yes to delete")
    store = _store(args)
    criteria = CleanupCriteria(project=args.project, type=args.type, name=args.name,
                               older_than_days=args.older_than, keep_newest=args.keep_newest,
                               name_pattern=args.pattern, keep_used=args.keep_used, expired=args.expired)
    plan = store.plan_cleanup(criteria)
    print_plan(plan)
    if args.yes:
        result = store.apply_cleanup(plan, trash=args.trash)
        if args.trash:
            print(f"moved {counted(result.versions_deleted, 'version')} to the trash; 'artifact-gui trash empty' frees"
                  f" {_size(plan.bytes_freed)}, 'artifact-gui trash restore REF' brings one back")
        else:
            print(f"deleted {counted(result.versions_deleted, 'version')}, freed {_size(result.bytes_freed)}")


def cmd_trash(args: argparse.Namespace) -> None:
    store = _store(args)
    trashed = store.list_trash()
    if args.action == "ls":
        for t in trashed:
            aliases = f"\twas {','.join(t.aliases_before)}" if t.aliases_before else ""
            print(f"{t.version.qualified_name}\t{_size(t.version.size)}\ttrashed {_when(t.trashed_at)}{aliases}")
        print(f"{counted(len(trashed), 'version')} in the trash; emptying it frees"
              f" {_size(store.bytes_freed_by([t.version.id for t in trashed]))}")
    elif args.action == "restore":
        if not args.refs:
            raise UserError("name the versions to restore, like 'project/name:v3'")
        by_name = {t.version.qualified_name: t.version.id for t in trashed}
        missing = [ref for ref in args.refs if ref not in by_name]
        if missing:
            raise UserError(f"not in the trash: {', '.join(missing)} (see 'artifact-gui trash ls')")
        print(f"restored {counted(store.restore_versions([by_name[ref] for ref in args.refs]), 'version')}")
    else:
        result = store.empty_trash(older_than_days=args.older_than)
        print(f"emptied the trash: freed {_size(result.bytes_freed)}")


def cmd_gc(args: argparse.Namespace) -> None:
    result = _store(args).gc()
    print(f"removed {counted(result.blobs_deleted, 'unreferenced blob')}, freed {_size(result.bytes_freed)}")


def cmd_verify(args: argparse.Namespace) -> int:
    report = _store(args).verify()
    for digest in report.corrupt:
        print(f"corrupt: {digest}", file=sys.stderr)
    for digest in report.missing:
        print(f"missing: {digest}", file=sys.stderr)
    for problem in report.problems:
        print(f"problem: {problem}", file=sys.stderr)
    print(f"checked {counted(report.blobs_checked, 'blob')}:"
          f" {len(report.corrupt):,} corrupt, {len(report.missing):,} missing"
          + (f", {counted(len(report.problems), 'other problem')} (see above)" if report.problems else ""))
    return 0 if report.ok else 1


def cmd_manifest(args: argparse.Namespace) -> None:
    print(json.dumps(Api(_store(args)).artifact(args.ref).to_manifest_json(), indent=4))


def cmd_serve(args: argparse.Namespace) -> None:
    from .server.app import serve

    target = _target(args)
    if not target.is_team:
        location = args.store or default_store_location()
        if location.startswith(("http://", "https://")):
            raise UserError("serve needs a store folder (or --database and --blobs), not a URL")
        target = StoreTarget(location)
    from .stores.credentials import plain_http_warning

    url = f"http://{args.host}:{args.port}"
    shown = target.describe()
    workers = f" with {args.workers} worker processes" if args.workers > 1 else ""
    print(f"serving {shown} at {url}{workers} (connect to this URL; API docs at {url}/api/v1/docs)", flush=True)
    if warning := plain_http_warning(url):
        print(f"warning: {warning} (serve behind an https proxy)", file=sys.stderr, flush=True)
    configure_stderr_logging(args.log_level)
    serve(target, args.host, args.port, args.allow_anonymous_read, log_level=args.log_level, workers=args.workers,
          proxy_transfers=args.proxy_transfers)


def cmd_migrate(args: argparse.Namespace) -> None:
    from .stores.migrate import migrate_between

    source = StoreTarget.parse(args.source, args.s3_endpoint)
    destination = StoreTarget.parse(args.destination, args.s3_endpoint)

    def progress(what: str, done: int, total: int) -> None:
        if done == total:
            print(f"{what}: {_size(done) if what == 'content' else done} done", file=sys.stderr, flush=True)

    result = migrate_between(source, destination, progress)
    print(f"copied {counted(result.blobs_copied, 'blob')} ({_size(result.bytes_copied)}),"
          f" {result.blobs_already_there} there already; "
          + ", ".join(f"{count} {table}" for table, count in result.rows_copied.items()))
    if not result.ok:
        raise UserError("the copy differs from its source: " + "; ".join(result.differences[:5]))
    print(f"verified: {destination.describe()} holds what {source.describe()} holds")


def cmd_doctor(args: argparse.Namespace) -> None:
    from .stores.doctor import diagnose

    target = _target(args)
    try:
        store = target.open()
    except StoreError as error:
        print(f"problem\tstore\t{describe_error(error)}")
        raise UserError("the store cannot be opened") from None
    findings = diagnose(store)
    store.close()
    for finding in findings:
        print(f"{'ok' if finding.ok else 'problem'}\t{finding.check}\t{finding.detail}")
    problems = [f for f in findings if not f.ok]
    if problems:
        raise UserError(f"{counted(len(problems), 'problem')} found")


def cmd_token(args: argparse.Namespace) -> None:
    from .server.tokens import TokenRegistry

    target = _target(args)
    if (target.path or "").startswith(("http://", "https://")):
        raise UserError("tokens are managed on the server's own store, not through a URL")
    registry = TokenRegistry.for_store(target.open())
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

    from .stores.credentials import Credentials, TOKEN_ENV, SERVER_ENV, plain_http_warning, server_key
    from .stores.remote import RemoteStore

    url = server_key(args.url)
    if warning := plain_http_warning(url):
        print(f"warning: {warning}", file=sys.stderr)
    token = args.token or getpass.getpass(f"token for {url}: ")
    store = RemoteStore(url, token=token)
    try:
        store.health()
        caller = store.whoami()
    finally:
        store.close()
    credentials = Credentials(allow_plaintext=args.allow_plaintext_keyring or None)
    problem = credentials.keyring_problem()
    if problem:
        raise UserError(f"no usable OS keyring here: {problem}; set {TOKEN_ENV} and {SERVER_ENV}={url} instead")
    where = credentials.set(url, token, remember=True)
    print(f"logged in to {url} with a {'read-only' if caller.read_only else 'read-write'} token. {where}")


def cmd_logout(args: argparse.Namespace) -> None:
    from .stores.credentials import Credentials

    print(Credentials().forget(args.url))


def _port(text: str) -> int:
    from .server.app import check_port

    try:
        return check_port(int(text))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error) if text.strip().lstrip("-").isdigit()
                                         else f"invalid port {text!r}: a port is a number from 1 to 65535") from None


def cmd_install_desktop(args: argparse.Namespace) -> None:
    from .desktop import install_desktop_entry, remove_desktop_entry

    if args.remove:
        removed = remove_desktop_entry()
        print("removed " + (", ".join(removed) if removed else "nothing: no launcher was installed"))
        return
    desktop_path, icon_path = install_desktop_entry()
    print(f"installed the launcher {desktop_path}\nand the icon {icon_path}:\n"
          "artifact-gui is in your desktop's application menu (some desktops list it after you log in again)")


USAGE = """artifact-gui [--store PATH_OR_URL | PATH | --demo] [--theme THEME]
       artifact-gui COMMAND [options]   (artifact-gui COMMAND --help for each)"""
STORE_HELP = "store folder or server URL (default: $ARTIFACT_GUI_STORE, else the user's data folder)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="artifact-gui", usage=USAGE, description=__doc__,
        epilog="PATH (a store folder, as a file manager passes it) opens that store, like --store PATH.")
    parser.add_argument("--version", action="version", version=f"artifact-gui {__version__}")
    parser.add_argument("--store", metavar="PATH_OR_URL",
                        help="store to open (default: $ARTIFACT_GUI_STORE when set, else the store open last,"
                             " else the user's data folder)")
    parser.add_argument("--demo", action="store_true",
                        help="open the demo store, building it on first use in the user's cache folder")
    parser.add_argument("--reset-demo", action="store_true",
                        help="build the demo store anew (discarding changes made to it) and open it")
    parser.add_argument("--theme", choices=["system", "light", "dark"], default="system",
                        help="window colours (default: system, which follows Tools > Settings)")
    parser.add_argument("--log-level", choices=LOG_LEVELS, default=DEFAULT_LOG_LEVEL, type=str.upper,
                        help=f"what the window writes to its log file under {log_folder()}, or 'serve'"
                             f" to stderr (default: {DEFAULT_LOG_LEVEL})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", prog="artifact-gui",
                                     help="what to do with a store (default: none, which opens the window)")

    def command(name: str, handler, help: str, takes_store: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        if takes_store:
            sub.add_argument("--store", default=argparse.SUPPRESS, metavar="PATH_OR_URL", help=STORE_HELP)
            sub.add_argument("--database", metavar="POSTGRESQL_URL",
                             help=f"a team store's PostgreSQL database, with --blobs (default: ${DATABASE_ENV})")
            sub.add_argument("--blobs", metavar="S3_URL",
                             help=f"a team store's bucket, s3://bucket/prefix, with --database (default: ${BLOBS_ENV});"
                                  " credentials from the AWS environment or profile")
            sub.add_argument("--s3-endpoint", metavar="URL",
                             help=f"the S3 server, for MinIO, Ceph, Swift, GCS (default: ${S3_ENDPOINT_ENV}, else AWS)")
        sub.set_defaults(handler=handler)
        return sub

    init = command("init", cmd_init, "create a new, empty store in a new or empty folder")
    init.add_argument("path", nargs="?", help="the folder (default: --store, else the default store)")
    ls = command("ls", cmd_ls, "list artifacts, versions of 'project/name', or files of 'project/name:v1'")
    ls.add_argument("ref", nargs="?", help="a project, 'project/name' or 'project/name:version'"
                                           " (default: every artifact in the store)")
    put = command("put", cmd_put, "log a file or folder as a new version")
    put.add_argument("path", help="the file or folder to log")
    put.add_argument("--project", required=True, help="project of the artifact (required)")
    put.add_argument("--name", help="artifact name (default: the file or folder name)")
    put.add_argument("--type", default="dataset", help="artifact type (default: dataset)")
    put.add_argument("--alias", action="append", default=[],
                     help="alias for the new version; repeat for several (default: only 'latest')")
    put.add_argument("--description", help="description of the version (default: none)")
    put.add_argument("--metadata", metavar="JSON", help="metadata as a JSON object (default: {})")
    get = command("get", cmd_get, "download 'project/name:alias' (default ./artifacts/name:vN)")
    get.add_argument("ref", help="'project/name:alias' or 'project/name:vN'")
    get.add_argument("--root", metavar="FOLDER", help="folder to download into (default: ./artifacts/name:vN)")
    alias = command("alias", cmd_alias, "add or remove an alias of 'project/name:selector'")
    alias.add_argument("action", choices=["add", "rm"], help="add the alias, or rm (remove) it")
    alias.add_argument("ref", help="the version: 'project/name:vN' or 'project/name:alias'"
                                   " (default selector: latest)")
    alias.add_argument("alias", help="the alias, like 'production'")
    rm = command("rm", cmd_rm, "delete 'project/name:vN', or a whole artifact 'project/name'")
    rm.add_argument("ref", help="'project/name:vN' for one version, 'project/name' for all of them")
    rm.add_argument("--delete-aliases", action="store_true",
                    help="also delete versions that carry aliases (default: refuse and name them)")
    cleanup = command("cleanup", cmd_cleanup, "delete versions that carry no alias")
    cleanup.add_argument("--project", help="only this project (default: every project)")
    cleanup.add_argument("--type", help="only artifacts of this type (default: every type)")
    cleanup.add_argument("--name", help="only this artifact, with --project (default: every artifact)")
    cleanup.add_argument("--older-than", type=float, metavar="DAYS",
                         help="only versions older than DAYS days (default: any age)")
    cleanup.add_argument("--keep-newest", type=int, default=0, metavar="N",
                         help="keep the N newest versions of each artifact (default: 0)")
    cleanup.add_argument("--pattern", help="artifact name pattern, like 'ckpt-*' (default: every name)")
    cleanup.add_argument("--keep-used", action="store_true",
                         help="keep versions runs used as input (default: delete them too, with a warning)")
    cleanup.add_argument("--expired", action="store_true",
                         help="only versions whose TTL (time to live) has run out (default: any)")
    cleanup.add_argument("--trash", action="store_true",
                         help="move the versions to the trash (restorable) instead of deleting them"
                              " (default: delete)")
    mode = cleanup.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="only print what would go and the space freed")
    mode.add_argument("--yes", action="store_true", help="delete without asking (one of the two is required)")
    trash = command("trash", cmd_trash, "list, restore or empty the trash of deleted versions")
    trash.add_argument("action", choices=["ls", "restore", "empty"], help="what to do with the trash")
    trash.add_argument("refs", nargs="*", metavar="REF", help="with restore: 'project/name:vN'")
    trash.add_argument("--older-than", type=float, metavar="DAYS",
                       help="with empty: only versions trashed longer ago (default: all of them)")
    serve = command("serve", cmd_serve, "serve a store over HTTP")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on; 0.0.0.0 for every interface (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8765, help="port to listen on, 1-65535 (default: 8765)")
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes (default: 1); more than one suits a team store (--database/--blobs)")
    serve.add_argument("--proxy-transfers", action="store_true",
                       help="with a team store: clients send and fetch all content through the server (default:"
                            " large blobs go straight to the bucket by presigned URLs)")
    serve.add_argument("--allow-anonymous-read", action="store_true",
                       help="let requests without a token read (default: every request needs a token)")
    serve.add_argument("--log-level", choices=LOG_LEVELS, default=argparse.SUPPRESS, type=str.upper,
                       help=f"what the server logs to stderr, one line per request at INFO (default: {DEFAULT_LOG_LEVEL})")
    migrate = command("migrate", cmd_migrate, "copy a whole store to another backend, then verify the copy")
    migrate.add_argument("--from", dest="source", required=True, metavar="SRC",
                         help="a store folder, or a team store as postgresql://…#s3://bucket/prefix")
    migrate.add_argument("--to", dest="destination", required=True, metavar="DST",
                         help="a new or empty store: a folder, or postgresql://…#s3://bucket/prefix"
                              " (an interrupted migrate, run again, copies only what is missing)")
    command("doctor", cmd_doctor, "check a store: reachable, its schema, its bucket's permissions, its content")
    token = command("token", cmd_token, "create, list or revoke the server's API tokens")
    token.add_argument("action", choices=["create", "list", "revoke"], help="what to do")
    token.add_argument("--name", help="the token's name (required by create and revoke)")
    token.add_argument("--read-only", action="store_true",
                       help="with create: a token that can only read (default: read-write)")
    # login and logout name their server: a --store beside it would only confuse
    login = command("login", cmd_login, "check a server's token and keep it in the OS keyring", takes_store=False)
    login.add_argument("url", help="the server's URL, like http://host:8765")
    login.add_argument("--token", help="the server's API token, from 'artifact-gui token create' on the server"
                                       " (default: asked for without echo)")
    login.add_argument("--allow-plaintext-keyring", action="store_true",
                       help="accept a keyring backend that keeps tokens in a plain file (keyrings.alt)"
                            " (default: refuse it)")
    logout = command("logout", cmd_logout, "forget the token kept for a server", takes_store=False)
    logout.add_argument("url", help="the server's URL, as given to login")
    command("gc", cmd_gc, "delete content no version references")
    command("verify", cmd_verify, "re-hash all content and report corruption")
    manifest = command("manifest", cmd_manifest, "print a version's W&B manifest JSON")
    manifest.add_argument("ref", help="'project/name:alias' or 'project/name:vN'")
    desktop = command("install-desktop", cmd_install_desktop,
                      "add artifact-gui and its icon to the desktop's application menu (for this user)")
    desktop.add_argument("--remove", action="store_true", help="remove them again")
    parser.command_names = set(commands.choices)
    return parser


def _take_store_path(argv: list[str], parser: argparse.ArgumentParser) -> tuple[list[str], str | None]:
    """Take a positional PATH (`artifact-gui PATH`, the .desktop file's `%F`) out of argv.

    argparse cannot have an optional positional before subcommands, so a first positional
    that names no command is taken as the store to open.
    """
    commands = parser.command_names
    takes_value = {"--store", "--theme"}
    kept, paths = [], []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            paths.extend(argv[index + 1:])
            break
        if arg in takes_value:
            kept.extend(argv[index:index + 2])
            index += 2
        elif arg.startswith("-"):
            kept.append(arg)
            index += 1
        elif arg in commands and not paths:
            return argv, None  # a subcommand: the rest is its arguments
        else:
            paths.append(arg)
            index += 1
    return kept, _single_path(paths)


def _single_path(paths: list[str]) -> str | None:
    if len(paths) > 1:
        raise UserError(f"open one store at a time; got {len(paths)} paths: {' '.join(paths)}")
    if not paths:
        return None
    path = paths[0]
    if os.path.basename(path) == "store.db":  # a file manager passes the store's database file
        path = os.path.dirname(path) or "."
    return path


_ERRNO = re.compile(r"\[Errno -?\d+\] ")


def describe_error(error: BaseException) -> str:
    """One line for a person: no errno numbers, no repr of Python exceptions."""
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    if isinstance(error, OSError) and error.strerror:
        where = f"{error.filename}" if error.filename is not None else ""
        if error.filename2 is not None:
            where += f" -> {error.filename2}"
        return f"{where}: {error.strerror.lower()}" if where else error.strerror.lower()
    return _ERRNO.sub("", str(error))  # a store's message may quote an OSError it caught


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        arguments, path = _take_store_path(list(sys.argv[1:] if argv is None else argv), parser)
    except UserError as error:
        parser.error(str(error))
    args = parser.parse_args(arguments)
    if args.command is None:
        if path is not None and args.store is not None:
            parser.error(f"give the store once: PATH {path!r} or --store {args.store!r}")
        if (args.demo or args.reset_demo) and (path or args.store):
            parser.error("--demo opens the demo store; leave out PATH and --store")
        from .ui.app import run_app

        configure_logging(args.log_level)
        return run_app(store_location=path or args.store, demo=args.demo or args.reset_demo,
                       reset_demo=args.reset_demo, theme=args.theme)
    # Each command says what failed once, in plain words; the stores' own log records (which
    # quote raw OSErrors) would otherwise reach stderr too, through Python's last-resort handler.
    logging.getLogger("artifact_gui").addHandler(logging.NullHandler())
    try:
        return args.handler(args) or 0
    except (UserError, StoreError, InvalidNameError, ValueError, KeyError, OSError) as error:
        print(f"artifact-gui {args.command}: error: {describe_error(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
