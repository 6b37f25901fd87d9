"""A throw-away PostgreSQL server for the tests.

``PostgresServer`` runs ``initdb`` in a fresh temporary folder, starts ``postgres`` on a free
TCP port of 127.0.0.1 (its Unix socket stays inside that folder), waits until it accepts
connections and creates one database. ``stop()`` shuts it down and removes the folder.

PostgreSQL refuses to run as root. When the tests run as root (containers, CI), the server
programs run as the ``postgres`` user (created by the Debian package; ``nobody`` otherwise)
through ``runuser``, and the temporary folder is handed to that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

PROGRAMS = ("initdb", "pg_ctl", "postgres")
USER = "actionlab"
DEFAULT_DB = "actionlab_test"
_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server programs are not installed."""


class PostgresStartError(RuntimeError):
    """The server did not come up; the message carries the end of its log."""


def _version_key(bindir: str) -> tuple[int, ...]:
    # /usr/lib/postgresql/<version>/bin
    version = Path(bindir).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def _complete(bindir: Path) -> bool:
    return all(os.access(bindir / name, os.X_OK) for name in PROGRAMS)


def find_bindir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: first from PATH, then the newest
    ``/usr/lib/postgresql/*/bin``. None when PostgreSQL is not installed."""
    for name in ("initdb", "pg_ctl"):
        found = shutil.which(name)
        if found:
            bindir = Path(os.path.realpath(found)).parent
            if _complete(bindir):
                return bindir
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    for candidate in candidates:
        if _complete(Path(candidate)):
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _service_account() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresStartError("running as root, but neither user 'postgres' nor 'nobody' exists")


def _world_traversable(path: Path) -> bool:
    """Can another user reach files below ``path`` (every parent has the x bit for others)?"""
    for part in [path, *path.parents]:
        try:
            if not part.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


class PostgresServer:
    """One private PostgreSQL server. Use as a context manager or call start()/stop()."""

    def __init__(
        self,
        *,
        dbname: str = DEFAULT_DB,
        startup_timeout: float = 60.0,
        bindir: Path | str | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        """``settings`` are extra server settings (``-c name=value``), e.g.
        ``{"max_connections": "650"}`` for a benchmark with hundreds of kernels."""
        found = Path(bindir) if bindir else find_bindir()
        if found is None:
            raise PostgresUnavailable(
                "PostgreSQL server programs (initdb, pg_ctl, postgres) not found on PATH "
                "or in /usr/lib/postgresql/*/bin; install the 'postgresql' package "
                "(make system-deps)"
            )
        self.bindir = found
        self.dbname = dbname
        self.startup_timeout = startup_timeout
        self.settings = dict(settings or {})
        self.host = "127.0.0.1"
        self.user = USER
        self.port: int | None = None
        self.basedir: Path | None = None
        self._proc: subprocess.Popen | None = None
        self._account: pwd.struct_passwd | None = _service_account() if os.geteuid() == 0 else None

    # -- paths -----------------------------------------------------------------------------
    @property
    def datadir(self) -> Path:
        assert self.basedir is not None
        return self.basedir / "data"

    @property
    def logfile(self) -> Path:
        assert self.basedir is not None
        return self.basedir / "postgres.log"

    @property
    def url(self) -> str:
        return self.url_for(self.dbname)

    def url_for(self, dbname: str) -> str:
        if self.port is None:
            raise RuntimeError("server not started")
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    # -- running programs --------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        # The user's PG* variables (PGDATA, PGPORT, PGOPTIONS...) must not steer our server.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        env["LANG"] = "C"
        return env

    def _command(self, program: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / program), *args]
        if self._account is not None:
            runuser = shutil.which("runuser") or "/usr/sbin/runuser"
            if not os.access(runuser, os.X_OK):
                raise PostgresStartError("running as root, but 'runuser' is not available")
            cmd = [runuser, "-u", self._account.pw_name, "--", *cmd]
        return cmd

    def _run(self, program: str, *args: str, timeout: float = 120.0) -> None:
        result = subprocess.run(
            self._command(program, *args),
            cwd=self.basedir,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise PostgresStartError(
                f"{program} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )

    def _make_basedir(self) -> Path:
        parent = None
        if self._account is not None and not _world_traversable(Path(tempfile.gettempdir())):
            parent = "/tmp"  # the service account must be able to reach the folder
        basedir = Path(tempfile.mkdtemp(prefix="actionlab-pg-", dir=parent))
        if self._account is not None:
            os.chown(basedir, self._account.pw_uid, self._account.pw_gid)
        return basedir

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> PostgresServer:
        if self._proc is not None:
            return self
        self.basedir = self._make_basedir()
        try:
            self._run(
                "initdb",
                "-D",
                str(self.datadir),
                "-A",
                "trust",
                "-U",
                self.user,
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
            last_error: Exception | None = None
            for _attempt in range(3):  # another process may grab the port between probe and bind
                try:
                    self._launch(_free_port())
                    break
                except PostgresStartError as exc:
                    last_error = exc
                    self._kill()
            else:
                raise last_error or PostgresStartError("postgres did not start")
            self.create_database(self.dbname)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, port: int) -> None:
        self.port = port
        with open(self.logfile, "ab") as log:
            self._proc = subprocess.Popen(
                self._command(
                    "postgres",
                    "-D",
                    str(self.datadir),
                    "-p",
                    str(port),
                    "-k",
                    str(self.basedir),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    *(arg for name, value in self.settings.items()
                      for arg in ("-c", f"{name}={value}")),
                ),
                cwd=self.basedir,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + self.startup_timeout
        while True:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise PostgresStartError(
                    f"postgres exited with {self._proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with psycopg.connect(self._conninfo("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                pass
            if time.monotonic() > deadline:
                raise PostgresStartError(
                    f"postgres not ready after {self.startup_timeout:.0f}s:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.logfile.read_text(errors="replace")
        except (OSError, AssertionError):
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()  # SIGTERM = smart shutdown, forwarded by runuser
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def stop(self) -> None:
        """Fast shutdown (rolls back open transactions) and removal of every file."""
        if self._proc is not None and self._proc.poll() is None and self.basedir is not None:
            try:
                self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "fast", "-w", timeout=60)
            except (PostgresStartError, subprocess.TimeoutExpired):
                pass
            if self._proc is not None:
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        self._kill()
        if self.basedir is not None:
            shutil.rmtree(self.basedir, ignore_errors=True)
            self.basedir = None
        self.port = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- databases -------------------------------------------------------------------------------
    def _conninfo(self, dbname: str) -> str:
        return f"host={self.host} port={self.port} user={self.user} dbname={dbname}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self._conninfo("postgres"), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, name: str) -> str:
        """Create an empty UTF-8 database and return its SQLAlchemy URL."""
        if not _NAME_RE.match(name):
            raise ValueError(f"unsafe database name: {name!r}")
        self._admin(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing connections a test left open."""
        if not _NAME_RE.match(name):
            raise ValueError(f"unsafe database name: {name!r}")
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
