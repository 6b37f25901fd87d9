"""The ``actionlab`` command, for people, scripts and tests alike."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import ActionlabError, InvalidInput
from .i18n import LANGS, translator
from .settings import Settings


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help="SQLAlchemy URL of the store (default: ACTIONLAB_DB, else the embedded SQLite file "
        "in the per-user data folder)",
    )


def _workbook(args, upgrade: bool = False):
    from .services import Workbook

    return Workbook.open(Settings.from_env(db_url=args.db), upgrade=upgrade)


def cmd_serve(args) -> int:
    from . import server
    from .urls import console_url, join_url, projector_url

    settings = Settings.from_env(db_url=args.db, port=args.port, room=args.room or None,
                                 facilitator_key=args.key, base_url=args.base_url,
                                 public_url=args.public_url, preheat=args.preheat)
    with _workbook(args, upgrade=True) as wb:
        key = wb.access.issue_facilitator_key(settings.facilitator_key or None)
        workshops = wb.workshops.all()
    plan = server.plan(settings)
    base = plan.base_url
    # Behind a proxy (a public URL is set) the facilitator's pages go through it as well.
    local = base if settings.public_url else server.local_base(settings)
    print(f"actionlab {__version__} — store: {settings.db_url}")
    print(f"  Facilitator console : {console_url(local, key)}")
    latest = workshops[-1] if workshops else None
    if latest is not None:
        print(f"  Projector           : {projector_url(local, key, latest.code)}")
        print(f"  Participants join   : {join_url(base, latest.code)}")
        print(f"  Join code           : {latest.code}   ({latest.title})")
    else:
        print(f"  Participants join   : {join_url(base)}")
    if settings.preheat > 0:
        print(f"  {settings.preheat} participant pages are being prepared; they are ready "
              "within a minute or two.")
    if not settings.room and not settings.public_url:
        print("  Only this computer can connect. Use --room to let the room's devices join.")
    print("  Stop with Ctrl-C.", flush=True)
    return server.run(plan)


def cmd_demo(args) -> int:
    from .demo import create_demo, find_demo

    with _workbook(args, upgrade=True) as wb:
        existing = find_demo(wb) if args.if_missing else None
        ws = existing or create_demo(wb, args.lang)
    print(ws.code)
    note = "demo workshop already present" if existing else "demo workshop created"
    print(f"{note}: {ws.title} ({ws.group_count} groups)", file=sys.stderr)
    return 0


def cmd_keys(args) -> int:
    _ = translator(args.lang)
    with _workbook(args) as wb:
        closed = wb.access.unlock()
    print(_("Key checks were closed after wrong keys; they are open again.") if closed
          else _("Key checks were open; the count of wrong keys is cleared."))
    return 0


def cmd_list(args) -> int:
    with _workbook(args) as wb:
        workshops = wb.workshops.all()
    for ws in workshops:
        print(f"{ws.code}\t{ws.title}")
    return 0


def cmd_export(args) -> int:
    from .record import Scope

    if args.group is not None and args.meeting is not None:
        print("actionlab: give --group or --meeting, not both", file=sys.stderr)
        return 2
    if args.case:
        scope = Scope("case", group=args.group)
    elif args.meeting is not None:
        scope = Scope("meeting", meeting=args.meeting)
    elif args.group is not None:
        scope = Scope("group", group=args.group)
    else:
        scope = Scope()

    def progress(fraction: float, label: str) -> None:
        if args.progress:
            print(f"{fraction:4.0%} {label}", file=sys.stderr, flush=True)

    with _workbook(args) as wb:
        path = wb.records.export(args.workshop.upper(), args.format, args.out, scope,
                                 progress=progress)
    print(path)
    return 0


def _read(path: Path) -> bytes | None:
    """A file's bytes, or None after saying on stderr why it cannot be read."""
    try:
        return path.read_bytes()
    except OSError as exc:
        print(f"actionlab: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return None


def cmd_import(args) -> int:
    from .backup import restore

    _ = translator(args.lang)
    path = Path(args.path)
    data = _read(path)
    if data is None:
        return 2
    with _workbook(args, upgrade=True) as wb:
        try:
            ws = restore(wb.store, data, new_code=args.as_new)
        except InvalidInput as exc:
            print(f"actionlab: {exc.translated(_)}", file=sys.stderr)
            return 2
    print(ws.code)
    print(_("Workshop imported: {title} ({code})", title=ws.title, code=ws.code), file=sys.stderr)
    return 0


def cmd_roster_import(args) -> int:
    _ = translator(args.lang)
    path = Path(args.file)
    data = _read(path)
    if data is None:
        return 2
    with _workbook(args) as wb:
        workshop = wb.workshops.get(args.workshop)
        try:
            report = wb.teams.import_roster(workshop, data, path.name)
        except InvalidInput as exc:
            print(f"actionlab: {exc.translated(_)}", file=sys.stderr)
            return 2
    if report.problems:
        for p in report.problems:
            print(_("Row {row}, column {column}: {problem}", row=p.row, column=p.column,
                    problem=p.translated(_)), file=sys.stderr)
        print(_("Nobody was imported from {file}. Fix the problems above ({n}) and try again.",
                file=path.name, n=len(report.problems)), file=sys.stderr)
        return 1
    print(_("Roster imported into {code}: {n} added.", code=workshop.code, n=report.imported))
    return 0


def cmd_db_upgrade(args) -> int:
    from . import migrate
    from .db.engine import make_engine

    settings = Settings.from_env(db_url=args.db)
    engine = make_engine(settings.db_url)
    try:
        before = migrate.current_revision(engine)
        after = migrate.upgrade(engine)
    finally:
        engine.dispose()
    print(f"schema: {before or 'empty'} -> {after}")
    return 0


def cmd_db_current(args) -> int:
    from . import migrate
    from .db.engine import make_engine

    engine = make_engine(Settings.from_env(db_url=args.db).db_url)
    try:
        print(f"{migrate.current_revision(engine) or 'empty'} (newest: {migrate.head_revision()})")
    finally:
        engine.dispose()
    return 0


def cmd_backup(args) -> int:
    from .db.engine import make_engine
    from .services.storebackup import StoreBackupService, human_size
    from .store import Store

    _ = translator(args.lang)
    settings = Settings.from_env(db_url=args.db)
    # no schema check: a store is worth backing up before `db upgrade` too
    store = Store(make_engine(settings.db_url, settings.busy_timeout_ms), settings.busy_timeout_ms)
    try:
        result = StoreBackupService(store, settings).back_up(args.out, keep=args.keep)
    except InvalidInput as exc:
        print(f"actionlab: {exc.translated(_)}", file=sys.stderr)
        return 2
    finally:
        store.close()
    print(result.path)
    if not result.ok:
        print(_("The copy failed its integrity check: {problem}", problem=result.check),
              file=sys.stderr)
        return 1
    print(_("Backup written: {path} ({size}); the copy passed its integrity check.",
            path=str(result.path), size=human_size(result.size)), file=sys.stderr)
    if result.removed:
        print(_("Removed {n} older backups; the newest {keep} are kept.", n=len(result.removed),
                keep=settings.backup_keep if args.keep is None else args.keep), file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .exporters import format_names

    parser = argparse.ArgumentParser(
        prog="actionlab",
        description="Action Learning workbook: run a workshop room, manage its store, export records.",
    )
    parser.add_argument("--version", action="version", version=f"actionlab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("serve", help="start the workbook (Voila) and print the page links",
                       description="Start Voila on the workbook's pages and print the facilitator "
                       "console, projector and join links.")
    p.add_argument("--room", action="store_true",
                   help="listen on the room's network (0.0.0.0) and put the LAN address in join links")
    p.add_argument("--port", type=int, metavar="N", help="port to listen on (default 8866)")
    p.add_argument("--key", metavar="KEY",
                   help="facilitator key to use (default: ACTIONLAB_KEY, else a new random key)")
    p.add_argument("--base-url", metavar="PATH",
                   help="serve the pages under PATH, e.g. /room1/, for several rooms behind one "
                   "proxy (default: ACTIONLAB_BASE_URL, else /); see docs/deployment.md")
    p.add_argument("--public-url", metavar="URL",
                   help="address participants reach the server at, e.g. the proxy's "
                   "https://rooms.example.org/; the base URL is added (default: "
                   "ACTIONLAB_PUBLIC_URL, else this machine's address)")
    p.add_argument("--preheat", type=int, metavar="N",
                   help="participant pages to keep started ahead, the number of people expected "
                   "(default: ACTIONLAB_PREHEAT, else 40 with --room or --public-url and 2 otherwise; 0: "
                   "start each page when it is opened)")
    _db_option(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="create a demo workshop, print its join code and exit",
                       description="Create a demo workshop with three groups, members and filled "
                       "canvases (invented people), print its join code and exit.")
    p.add_argument("--lang", choices=sorted(LANGS), default="zh", help="language of the demo")
    p.add_argument("--if-missing", action="store_true",
                   help="do nothing when the store already holds a demo workshop")
    _db_option(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("list", help="list the workshops (code and title)")
    _db_option(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("export", help="export a workshop's record, tables or backup to a file",
                       description="Export a workshop: the record of the whole programme, of one "
                       "group (--group), the minutes of one meeting (--meeting) or the case "
                       "write-up (--case), as Markdown, HTML, Word or PDF; its tables as Excel; "
                       "or everything as a JSON backup.")
    _db_option(p)
    p.add_argument("--workshop", required=True, metavar="CODE", help="join code of the workshop")
    p.add_argument("--format", required=True, choices=format_names(),
                   help="file format: a record (md, html, docx, pdf), the tables (xlsx) or a "
                   "full backup (json, for actionlab import)")
    p.add_argument("--out", required=True, metavar="PATH", help="file (or folder) to write")
    p.add_argument("--group", type=int, metavar="N",
                   help="only group N (its members, canvases, reports, decisions …)")
    p.add_argument("--meeting", type=int, metavar="N", help="the minutes of meeting N")
    p.add_argument("--case", action="store_true",
                   help="the case write-up (stage 6): every group, or the one given by --group")
    p.add_argument("--progress", action="store_true", help="print the steps on stderr")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import", help="restore a workshop from a JSON backup",
                       description="Restore a workshop from a JSON backup (actionlab export "
                       "--format json) into the store and print its join code. A damaged file, "
                       "one from a newer actionlab or a join code already in the store imports "
                       "nothing and exits 2; --as-new imports a copy under a new code.")
    _db_option(p)
    p.add_argument("--as-new", action="store_true",
                   help="import a copy under a new join code (participants' links stay with "
                   "the original when both are in this store)")
    p.add_argument("--lang", choices=sorted(LANGS), default="en", help="language of the messages")
    p.add_argument("path", metavar="PATH", help="the backup file (.json)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("keys", help="facilitator keys: open key checks closed after wrong keys",
                       description="After 5 wrong facilitator keys within 10 minutes every key "
                       "is refused for a while (5 minutes, doubling up to an hour). --unlock "
                       "opens key checks again at once and forgets the wrong keys.")
    p.add_argument("--unlock", action="store_true", required=True,
                   help="forget the wrong keys and end any cooling-off now")
    p.add_argument("--lang", choices=sorted(LANGS), default="en", help="language of the messages")
    _db_option(p)
    p.set_defaults(func=cmd_keys)

    p = sub.add_parser("backup", help="back up the whole store, also while the room is live",
                       description="Copy the whole store while pages keep writing: SQLite with "
                       "its online backup API (then PRAGMA integrity_check on the copy), "
                       "PostgreSQL with pg_dump --format=custom (restore with pg_restore). "
                       "Prints the file written. Exits 1 when the copy fails its check, 2 when "
                       "no backup could be made. See docs/operations.md.")
    _db_option(p)
    p.add_argument("--out", metavar="PATH",
                   help="file to write (a name with an extension, e.g. before-upgrade.sqlite3; "
                   "never overwritten) or folder for a timestamped file (default: "
                   "ACTIONLAB_BACKUP_DIR, else backups/ in the per-user data folder)")
    p.add_argument("--keep", type=int, metavar="N",
                   help="keep only the newest N backups in the folder (default: "
                   "ACTIONLAB_BACKUP_KEEP, else 20; 0 keeps all)")
    p.add_argument("--lang", choices=sorted(LANGS), default="en", help="language of the messages")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("roster", help="roster commands (stage 2: form the teams)")
    rsub = p.add_subparsers(dest="roster_command", required=True, metavar="ACTION")
    q = rsub.add_parser("import", help="add the people of a CSV or XLSX roster to a workshop",
                        description="Add everyone in a roster file (columns name, unit, department, "
                        "profession, level, gender, age band, optional group and role; English or "
                        "Chinese titles) to a workshop. A file with any bad row imports nobody: "
                        "the problems are listed by row and column and the command exits 1.")
    _db_option(q)
    q.add_argument("--workshop", required=True, metavar="CODE", help="join code of the workshop")
    q.add_argument("--lang", choices=sorted(LANGS), default="en", help="language of the report")
    q.add_argument("file", metavar="FILE", help="the roster (.csv or .xlsx)")
    q.set_defaults(func=cmd_roster_import)

    p = sub.add_parser("db", help="database schema commands")
    dbsub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    q = dbsub.add_parser("upgrade", help="bring the schema up to date (Alembic migrations)")
    _db_option(q)
    q.set_defaults(func=cmd_db_upgrade)
    q = dbsub.add_parser("current", help="show the schema revision")
    _db_option(q)
    q.set_defaults(func=cmd_db_current)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InvalidInput as exc:
        print(f"actionlab: {exc.translated(translator('en'))}", file=sys.stderr)
        return 2
    except ActionlabError as exc:
        print(f"actionlab: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
