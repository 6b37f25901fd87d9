"""Fixtures of the unit tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from actionlab.services import Workbook
from actionlab.settings import Settings


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory) -> Path:
    """One SQLite file brought up to the current schema by the migrations, once per run."""
    path = tmp_path_factory.mktemp("schema") / "migrated.db"
    Workbook.open(Settings(db_url=f"sqlite:///{path}"), upgrade=True).close()
    return path


@pytest.fixture
def fresh_db(migrated_db):
    """``fresh_db(path)`` puts a copy of the migrated, empty store at ``path``; returns its URL.
    Copying a file is about ten times faster than running the migrations for every test."""
    def make(path: Path) -> str:
        shutil.copyfile(migrated_db, path)
        return f"sqlite:///{path}"

    return make


@pytest.fixture
def wb(tmp_path, fresh_db):
    """A workbook on a fresh SQLite file at the current schema."""
    workbook = Workbook.open(Settings(db_url=fresh_db(tmp_path / "wb.db")))
    yield workbook
    workbook.close()
