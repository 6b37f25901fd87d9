"""Fixtures shared by unit, integration and UI tests.

* Every test runs away from the user's HOME and configuration (autouse ``isolated_env``).
* ``postgres_url``: one private PostgreSQL server for the whole session (skipped when the
  server programs are not installed, unless ``ACTIONLAB_TEST_REQUIRE_POSTGRES=1``).
* ``db_url``: a fresh empty database per test, once on SQLite and once on PostgreSQL.

Variables named ``ACTIONLAB_TEST_*`` configure the test run itself and are left alone; every
other ``ACTIONLAB_*`` variable of the user is removed so it cannot change what a test sees.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

# ``tests.support`` must import the same way under ``pytest`` and ``python -m pytest``.
_REPO = str(Path(__file__).resolve().parent.parent)
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from tests.support.pg import PostgresServer, PostgresUnavailable, find_bindir  # noqa: E402

REQUIRE_POSTGRES = os.environ.get("ACTIONLAB_TEST_REQUIRE_POSTGRES", "").lower() in {
    "1",
    "true",
    "yes",
}

# Playwright looks for its browsers under ~/.cache; keep finding them after HOME moves.
_PLAYWRIGHT_BROWSERS = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ms-playwright"
)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME, XDG, Jupyter, IPython and matplotlib folders and ACTIONLAB_HOME into a
    temporary folder (kept apart from ``tmp_path`` so tests see an empty ``tmp_path``)."""
    root = tmp_path_factory.mktemp("env")
    home = root / "home"
    folders = {
        "HOME": home,
        "ACTIONLAB_HOME": root / "actionlab",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_CONFIG_HOME": home / ".config",
        "JUPYTER_CONFIG_DIR": home / ".jupyter",
        "JUPYTER_DATA_DIR": home / ".local" / "share" / "jupyter",
        "JUPYTER_RUNTIME_DIR": root / "jupyter-runtime",
        "IPYTHONDIR": home / ".ipython",
        "MPLCONFIGDIR": home / ".config" / "matplotlib",
    }
    # One cache folder for the whole run (still away from the user's): chart fonts cut for one
    # test are reused by the next instead of being cut again every time.
    folders["XDG_CACHE_HOME"] = tmp_path_factory.getbasetemp() / "xdg-cache"
    for name, path in folders.items():
        path.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(path))
    for name in list(os.environ):
        if (
            name.startswith("ACTIONLAB_")
            and not name.startswith("ACTIONLAB_TEST_")
            and name != "ACTIONLAB_HOME"
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ACTIONLAB_DB", raising=False)
    if "PLAYWRIGHT_BROWSERS_PATH" not in os.environ and _PLAYWRIGHT_BROWSERS.is_dir():
        monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(_PLAYWRIGHT_BROWSERS))
    return root


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL server for the session (see tests/support/pg.py)."""
    if find_bindir() is None:
        reason = (
            "PostgreSQL server programs (initdb, pg_ctl, postgres) not installed; "
            "run 'make system-deps' or install the Debian package 'postgresql'"
        )
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " (ACTIONLAB_TEST_REQUIRE_POSTGRES is set)", pytrace=False)
        pytest.skip(reason)
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:  # pragma: no cover - raced with find_bindir
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """SQLAlchemy URL of the session database ``actionlab_test``."""
    return postgres_server.url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty database URL for this test, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = "t_" + uuid.uuid4().hex[:16]
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)
