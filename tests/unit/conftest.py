"""Fixtures of the unit tests."""

from __future__ import annotations

import pytest

from actionlab.services import Workbook
from actionlab.settings import Settings


@pytest.fixture
def wb(tmp_path):
    """A workbook on a fresh SQLite file, schema brought up to date."""
    workbook = Workbook.open(Settings(db_url=f"sqlite:///{tmp_path / 'wb.db'}"), upgrade=True)
    yield workbook
    workbook.close()
