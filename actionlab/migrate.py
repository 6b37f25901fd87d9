"""Alembic migrations, run from code: the only way the schema is created or changed.

Every page's kernel opens the store, and opening checks the schema is current: that check
(:func:`head_revision`, :func:`current_revision`) reads the migration files' revision lines
and the version table without importing Alembic (about 10 MB of memory in every kernel);
anything unusual there (a branch, several version rows) is left to Alembic, which says so.
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from sqlalchemy import text

from .errors import StoreError
from .paths import MIGRATIONS_DIR

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Engine

VERSION_TABLE = "alembic_version"  # Alembic's default; migrations/env.py keeps it
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _script_revisions() -> dict[str, tuple[str, ...]] | None:
    """Revision → the revisions it follows, from the ``revision = …`` and ``down_revision =
    …`` lines of ``migrations/versions/*.py``; None when a file does not read plainly."""
    found: dict[str, tuple[str, ...]] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        lines = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(lines["revision"])
            down = ast.literal_eval(lines["down_revision"])
        except (KeyError, ValueError, SyntaxError):
            return None
        down = (down,) if isinstance(down, str) else tuple(down or ())
        if not isinstance(revision, str) or revision in found \
                or not all(isinstance(d, str) for d in down):
            return None
        found[revision] = down
    return found


def head_revision() -> str:
    """The newest revision of the migration scripts."""
    revisions = _script_revisions()
    if revisions:
        followed = {d for downs in revisions.values() for d in downs}
        heads = [r for r in revisions if r not in followed]
        if len(heads) == 1 and followed <= revisions.keys():
            return heads[0]
    return _alembic_head()  # branches or odd files: Alembic's answer (or its error)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: no schema yet)."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, VERSION_TABLE):
            return None
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) <= 1:
        return rows[0] if rows else None
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:  # several heads stored: Alembic raises its own error
        return MigrationContext.configure(conn).get_current_revision()


def _migrate(engine: Engine, step) -> str:
    """Run ``step(config)`` in one transaction on ``engine``; returns the revision reached.

    SQLite alters a table by copying it, dropping the old one and renaming the copy
    (Alembic's batch mode). With foreign keys enforced, dropping the old ``workshops`` or
    ``members`` would cascade into (or null the references of) every row pointing at it, so
    they are switched off for the migration (a PRAGMA that only works outside a transaction)
    and ``PRAGMA foreign_key_check`` must find nothing broken before the transaction commits.
    """
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                step(cfg)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(f"the migration would leave broken references: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
    return current_revision(engine)


def upgrade(engine: Engine, target: str = "head") -> str:
    """Bring the schema up to ``target`` on ``engine``; returns the revision reached."""
    from alembic import command

    return _migrate(engine, lambda cfg: command.upgrade(cfg, target))


def downgrade(engine: Engine, target: str) -> str | None:
    """Take the schema back to ``target`` (a revision, or ``base`` for no tables); returns
    the revision reached. What newer tables and columns held is lost."""
    from alembic import command

    return _migrate(engine, lambda cfg: command.downgrade(cfg, target))
