"""Alembic migrations, run from code: the only way the schema is created or changed."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from .errors import StoreError
from .paths import MIGRATIONS_DIR


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
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
    return _migrate(engine, lambda cfg: command.upgrade(cfg, target))


def downgrade(engine: Engine, target: str) -> str | None:
    """Take the schema back to ``target`` (a revision, or ``base`` for no tables); returns
    the revision reached. What newer tables and columns held is lost."""
    return _migrate(engine, lambda cfg: command.downgrade(cfg, target))
