"""One settings object for the whole workbook.

Every option has help text; values come from keyword arguments, then ``ACTIONLAB_*``
environment variables, then defaults. The embedded SQLite file lives in a per-user data
directory (never inside the repository, never under what Voila serves).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

import platformdirs

from .urls import base_path

APP_NAME = "actionlab"


def data_home() -> Path:
    """The per-user folder that holds the embedded database (``ACTIONLAB_HOME`` overrides)."""
    override = os.environ.get("ACTIONLAB_HOME")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


#: Preheated participant pages by default: a room of 4–5 groups of up to 8, or one computer.
ROOM_PREHEAT = 40
LOCAL_PREHEAT = 2


def default_db_url() -> str:
    """The SQLAlchemy URL of the embedded SQLite store."""
    return f"sqlite:///{data_home() / 'actionlab.db'}"


def _opt(default, help_text: str, env: str | None = None, cast=str):
    return field(default=default, metadata={"help": help_text, "env": env, "cast": cast})


def _as_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Settings:
    db_url: str = _opt("", "SQLAlchemy URL of the store; empty means the embedded SQLite file.", "ACTIONLAB_DB")
    host: str = _opt("127.0.0.1", "Address Voila binds to; room mode uses 0.0.0.0.", "ACTIONLAB_HOST")
    port: int = _opt(8866, "Port of the Voila server.", "ACTIONLAB_PORT", int)
    room: bool = _opt(False, "Room mode: listen on the LAN and put the LAN address in join links.", "ACTIONLAB_ROOM", _as_bool)
    public_url: str = _opt("", "Address participants reach the server at, e.g. a proxy's https://host/ (the base URL is added); derived when empty.", "ACTIONLAB_PUBLIC_URL")
    # -- several rooms behind one proxy (docs/deployment.md) --
    base_url: str = _opt("/", "Path the server's pages live under, e.g. /room1/ when nginx serves several rooms on one address (Voila's base_url); links add it to the public URL.", "ACTIONLAB_BASE_URL")
    facilitator_key: str = _opt("", "Facilitator key; generated at start when empty.", "ACTIONLAB_KEY")
    poll_interval: float = _opt(0.4, "Seconds between a page's checks for new changes.", "ACTIONLAB_POLL_INTERVAL", float)
    default_lang: str = _opt("zh", "Language of new workshops and of pages before a workshop is chosen (zh or en).", "ACTIONLAB_LANG")
    busy_timeout_ms: int = _opt(10000, "How long SQLite waits for a lock before giving up (ms).", "ACTIONLAB_BUSY_TIMEOUT", int)
    max_card_length: int = _opt(500, "Longest text a card may hold (characters).", "ACTIONLAB_MAX_CARD", int)
    brand_name: str = _opt("", "Organisation's name, printed on every exported record.", "ACTIONLAB_BRAND_NAME")
    brand_header: str = _opt("", "A header line printed on every exported record (a programme's name, say).", "ACTIONLAB_BRAND_HEADER")
    brand_logo: str = _opt("", "PNG or JPEG logo printed on every exported record (a file path).", "ACTIONLAB_BRAND_LOGO")
    export_templates: str = _opt("", "Folder of record templates that replace the workbook's own (record.html.j2 …).", "ACTIONLAB_EXPORT_TEMPLATES")
    # Kernel hygiene (actionlab/kernels.py): one kernel per open page.
    store_socket: str = _opt("", "Unix socket of the room's store server, through which participants' page kernels reach the store without holding it themselves (set by `actionlab serve` for its kernels; empty: every kernel opens the store).", "ACTIONLAB_STORE_SOCKET")
    kernel_grace: float = _opt(120.0, "Seconds a page may have no browser connected (a locked phone, a wifi blip) before its kernel is shut down; three times as long for a page whose browser has not connected yet (still loading).", "ACTIONLAB_KERNEL_GRACE", float)
    max_kernels: int = _opt(60, "Most pages (kernels) open at once; further visitors see 'the room is full' (0: no cap).", "ACTIONLAB_MAX_KERNELS", int)
    facilitator_reserve: int = _opt(4, "Of max_kernels, how many only pages with the facilitator key may use (console, projector).", "ACTIONLAB_FACILITATOR_RESERVE", int)
    preheat: int = _opt(-1, "Participant pages kept started and waiting (Voila's preheated kernels), so people who scan the code get their page at once: the expected number of people in the room (0: none; by default 40 in room mode or behind a public URL, else 2).", "ACTIONLAB_PREHEAT", int)
    # -- store backups (actionlab/services/storebackup.py) --
    backup_dir: str = _opt("", "Folder that `actionlab backup` and the console's backup button write to; empty means backups/ in the per-user data folder.", "ACTIONLAB_BACKUP_DIR")
    backup_keep: int = _opt(20, "How many store backups to keep in the backup folder; older ones are deleted (0 keeps all).", "ACTIONLAB_BACKUP_KEEP", int)

    def __post_init__(self) -> None:
        if self.preheat < 0:  # a room fills at once; one computer trying the workbook does not
            self.preheat = ROOM_PREHEAT if (self.room or self.public_url) else LOCAL_PREHEAT
        if not self.db_url:
            self.db_url = default_db_url()
        self.base_url = base_path(self.base_url)

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Settings from the environment, with explicit (non-None) overrides on top."""
        values = {}
        for f in fields(cls):
            if overrides.get(f.name) is not None:
                values[f.name] = overrides[f.name]
                continue
            env = f.metadata.get("env")
            if env and os.environ.get(env) not in (None, ""):
                values[f.name] = f.metadata["cast"](os.environ[env])
        return cls(**values)

    @classmethod
    def help(cls) -> dict[str, str]:
        """Option name → help text (used by ``actionlab serve --help`` and the docs)."""
        return {f.name: f"{f.metadata['help']} [env {f.metadata['env']}]" for f in fields(cls)}
