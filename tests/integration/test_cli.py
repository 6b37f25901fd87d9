"""The ``actionlab`` command as people and scripts use it (a real subprocess each time)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from actionlab import migrate

pytestmark = pytest.mark.integration


def run(*args: str, db: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "actionlab", *args]
    if db:
        argv += ["--db", db]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.mark.parametrize("sub", [["serve"], ["demo"], ["list"], ["export"], ["db"], ["db", "upgrade"],
                                 ["backup"], ["keys"]])
def test_every_subcommand_has_help(sub):
    done = run(*sub, "--help")
    assert "usage: actionlab" in done.stdout and "--" in done.stdout


def test_demo_list_export_on_sqlite_and_postgresql(db_url, tmp_path):
    done = run("db", "upgrade", db=db_url)
    assert f"-> {migrate.head_revision()}" in done.stdout
    code = run("demo", "--lang", "en", db=db_url).stdout.strip()
    assert len(code) == 6
    assert run("demo", "--if-missing", db=db_url).stdout.strip() == code  # no second demo
    listing = run("list", db=db_url).stdout
    assert listing.startswith(f"{code}\t") and "Demo workshop" in listing
    for fmt in ("md", "html"):
        out = tmp_path / f"rec.{fmt}"
        run("export", "--workshop", code.lower(), "--format", fmt, "--out", str(out), db=db_url)
        text = out.read_text(encoding="utf-8")
        assert "Lena Lin" in text and "Grace Bai" in text  # members of groups 1 and 3
        assert "Residents fail on the first visit" in text  # a key-problem card
    folder = tmp_path / "records"
    folder.mkdir()
    written = run("export", "--workshop", code, "--format", "md", "--out", str(folder), db=db_url)
    assert written.stdout.strip().endswith(f"{code}-record.md")


def test_default_store_lives_in_the_data_home_and_env_var_works(tmp_path, monkeypatch):
    # ACTIONLAB_HOME is a temp folder (tests/conftest.py): the default SQLite file goes there
    import os
    from pathlib import Path

    code = run("demo", "--lang", "zh").stdout.strip()
    assert (Path(os.environ["ACTIONLAB_HOME"]) / "actionlab.db").exists()
    assert code in run("list").stdout
    other = f"sqlite:///{tmp_path / 'other.db'}"
    monkeypatch.setenv("ACTIONLAB_DB", other)
    run("db", "upgrade")
    assert run("list").stdout == ""


def test_clear_errors_and_nothing_written(tmp_path):
    db = f"sqlite:///{tmp_path / 'e.db'}"
    done = run("list", db=db, check=False)
    assert done.returncode == 2 and "actionlab db upgrade" in done.stderr
    assert "Traceback" not in done.stderr
    run("db", "upgrade", db=db)
    out = tmp_path / "x.md"
    done = run("export", "--workshop", "NOPE99", "--format", "md", "--out", str(out), db=db, check=False)
    assert done.returncode == 2 and "NOPE99" in done.stderr and not out.exists()
    done = run("export", "--workshop", "X", "--format", "pdfx", "--out", str(out), db=db, check=False)
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_roster_import_has_help():
    done = run("roster", "import", "--help")
    assert "usage: actionlab roster import" in done.stdout and "--workshop" in done.stdout


def test_roster_import_all_or_nothing(tmp_path):
    from actionlab.services import Workbook
    from actionlab.settings import Settings

    db = f"sqlite:///{tmp_path / 'roster.db'}"
    run("db", "upgrade", db=db)
    code = run("demo", "--lang", "en", db=db).stdout.strip()
    with Workbook.open(Settings(db_url=db)) as wb:
        before = len(wb.workshops.members(wb.workshops.get(code)))

    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,组,角色\n新人甲,1,组长\n,2,\n新人乙,9,\n", encoding="gbk")
    done = run("roster", "import", "--workshop", code, str(bad), db=db, check=False)
    assert done.returncode == 1, done.stderr
    assert "Row 3, column 姓名: The name is missing." in done.stderr
    assert "Row 4, column 组: There is no group 9 in this workshop." in done.stderr
    assert "Nobody was imported" in done.stderr and "Traceback" not in done.stderr
    with Workbook.open(Settings(db_url=db)) as wb:
        assert len(wb.workshops.members(wb.workshops.get(code))) == before

    good = tmp_path / "good.csv"
    good.write_text("Name,Department,Group\nNew One,Planning,1\nNew Two,Finance,\n", encoding="utf-8-sig")
    done = run("roster", "import", "--workshop", code.lower(), str(good), db=db)
    assert done.stdout.strip() == f"Roster imported into {code}: 2 added."
    with Workbook.open(Settings(db_url=db)) as wb:
        assert len(wb.workshops.members(wb.workshops.get(code))) == before + 2

    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 cut short")
    done = run("roster", "import", "--workshop", code, str(junk), "--lang", "zh", db=db, check=False)
    assert done.returncode == 2 and "XLSX 文件已损坏" in done.stderr and "Traceback" not in done.stderr
    done = run("roster", "import", "--workshop", code, str(tmp_path / "missing.csv"), db=db, check=False)
    assert done.returncode == 2 and "cannot read" in done.stderr


def test_keys_unlock_opens_key_checks_closed_by_wrong_keys(tmp_path):
    from actionlab.services import Workbook
    from actionlab.settings import Settings

    db = f"sqlite:///{tmp_path / 'keys.db'}"
    with Workbook.open(Settings(db_url=db), upgrade=True) as wb:
        key = wb.access.issue_facilitator_key()
        for n in range(5):
            wb.access.check_facilitator_key(f"guess-{n}")
        assert wb.access.check_facilitator_key(key).reason == "throttled"
    done = run("keys", "--unlock", "--lang", "zh", db=db)
    assert "已重新开放" in done.stdout
    with Workbook.open(Settings(db_url=db)) as wb:
        assert wb.access.check_facilitator_key(key).ok
    assert "已清零" in run("keys", "--unlock", "--lang", "zh", db=db).stdout
