"""JSON backup and restore through the ``actionlab`` command, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.integration.test_cli import run

pytestmark = pytest.mark.integration


def export_json(code: str, path, db: str) -> dict:
    run("export", "--workshop", code, "--format", "json", "--out", str(path), db=db)
    doc = json.loads(path.read_bytes())
    doc.pop("exported_at")
    return doc


def codes(db: str) -> list[str]:
    return [line.split("\t")[0] for line in run("list", db=db).stdout.splitlines()]


def test_export_import_export_gives_the_same_backup(db_url, tmp_path):
    """A demo on SQLite, backed up, restored into an empty store of each backend and backed
    up from there again gives the same document."""
    source = f"sqlite:///{tmp_path / 'source.db'}"
    code = run("demo", "--lang", "zh", db=source).stdout.strip()
    first = export_json(code, tmp_path / "first.json", source)
    assert len(first["tables"]["cards"]) > 30 and first["workshop"]["code"] == code

    # into an empty store (no upgrade beforehand: the import brings the schema up itself)
    done = run("import", str(tmp_path / "first.json"), db=db_url)
    assert done.stdout.strip() == code and code in done.stderr
    assert export_json(code, tmp_path / "second.json", db_url) == first

    # the same workshop again: refused, nothing written
    done = run("import", str(tmp_path / "first.json"), db=db_url, check=False)
    assert done.returncode == 2 and "already exists" in done.stderr and "--as-new" in done.stderr
    assert "Traceback" not in done.stderr and codes(db_url) == [code]

    # as a copy under a new code, next to the original
    copy = run("import", "--as-new", str(tmp_path / "first.json"), db=db_url).stdout.strip()
    assert copy != code and codes(db_url) == [code, copy]
    again = export_json(copy, tmp_path / "copy.json", db_url)
    assert again["workshop"]["code"] == copy
    again["workshop"]["code"] = code
    for row in first["tables"]["members"]:
        row["token_hash"] = None  # the links stay with the original
    assert again == first


def test_a_damaged_or_newer_backup_imports_nothing(db_url, tmp_path):
    code = run("demo", "--lang", "en", db=db_url).stdout.strip()
    path = tmp_path / "backup.json"
    run("export", "--workshop", code, "--format", "json", "--out", str(path), db=db_url)
    raw = path.read_bytes()
    doc = json.loads(raw)
    cut = tmp_path / "cut.json"
    cut.write_bytes(raw[: len(raw) // 2])
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**doc, "schema": "9999"}), encoding="utf-8")
    cases = [
        (cut, [], "This backup file is incomplete or damaged (the file ends too early"),
        (cut, ["--lang", "zh"], "备份文件不完整或已损坏"),
        (newer, ["--as-new"], "newer actionlab (schema 9999)"),
        (tmp_path / "missing.json", [], "cannot read"),
    ]
    for file, extra, message in cases:
        done = run("import", *extra, str(file), db=db_url, check=False)
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and done.stdout == ""
    assert codes(db_url) == [code]

    # A NUL character: SQLite keeps it, PostgreSQL cannot hold it in text and imports nothing.
    doc["tables"]["cards"][0]["text"] = "before\x00after"
    nul = tmp_path / "nul.json"
    nul.write_text(json.dumps(doc), encoding="utf-8")
    done = run("import", "--as-new", str(nul), db=db_url, check=False)
    if db_url.startswith("sqlite"):
        assert done.returncode == 0, done.stderr
        assert len(codes(db_url)) == 2
    else:
        assert done.returncode == 2 and "could not be imported" in done.stderr
        assert "Nothing was imported" in done.stderr and "Traceback" not in done.stderr
        assert codes(db_url) == [code]


def test_import_has_help():
    done = run("import", "--help")
    assert "usage: actionlab import" in done.stdout and "--as-new" in done.stdout
