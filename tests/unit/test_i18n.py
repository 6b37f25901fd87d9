"""Every visible string comes from the catalogs: each message id used in the code or the
export templates has a non-empty translation in both zh_CN and en."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from actionlab.i18n import (
    LANGS,
    LOCALE_DIR,
    Translator,
    catalog,
    normalize_lang,
    read_po_messages,
    translator,
)
from actionlab.paths import EXPORT_TEMPLATES_DIR, ROOT_DIR

# _("…") and N_("…") calls, also inside f-strings and Jinja expressions.
CALL = re.compile(r"""(?<!\w)N?_\(\s*(?P<q>["'])(?P<id>(?:\\.|(?!(?P=q)).)*)(?P=q)""")


def used_message_ids() -> dict[str, str]:
    found: dict[str, str] = {}
    sources = [*(ROOT_DIR / "actionlab").rglob("*.py"), *(ROOT_DIR / "widgets").rglob("*.py"),
               *EXPORT_TEMPLATES_DIR.glob("*.j2")]
    for path in sources:
        for match in CALL.finditer(path.read_text(encoding="utf-8")):
            msgid = match.group("id").encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
            found.setdefault(msgid, path.relative_to(ROOT_DIR).as_posix())
    return found


def test_extraction_finds_calls_in_code_and_fstrings():
    ids = used_message_ids()
    assert "Add card" in ids  # plain call
    assert "Join a workshop" in ids  # inside an f-string
    assert len(ids) > 40


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_every_message_is_translated(lang):
    messages = catalog(lang)
    missing = {msgid: where for msgid, where in used_message_ids().items() if not messages.get(msgid)}
    assert not missing, f"{lang}: no translation for {missing}"


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_placeholders_survive_translation(lang):
    field = re.compile(r"\{(\w+)\}")
    for msgid, text in catalog(lang).items():
        assert set(field.findall(msgid)) == set(field.findall(text)), (lang, msgid, text)


def test_translator_formats_and_falls_back():
    _ = translator("zh")
    assert _("Add card") != "Add card"
    assert "3" in _("Group {n}", n=3)
    assert translator("en")("Group {n}", n=2) == "Group 2"
    assert Translator("en")("no such message") == "no such message"


@pytest.mark.parametrize("given,expected", [("zh_CN", "zh"), ("zh-cn", "zh"), ("en_US", "en"),
                                            ("", "zh"), (None, "zh"), ("fr", "zh")])
def test_normalize_lang(given, expected):
    assert normalize_lang(given) == expected


def test_catalog_files_exist_for_each_language():
    for locale in LANGS.values():
        folder = ROOT_DIR / "actionlab" / "locale" / locale / "LC_MESSAGES"
        assert list(Path(folder).glob("*.po")), locale


PO_FILES = sorted((ROOT_DIR / "actionlab" / "locale").glob("*/LC_MESSAGES/*.po"))


def babel_messages(path: Path) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh)
                if m.id and isinstance(m.id, str) and m.string}


@pytest.mark.parametrize("path", PO_FILES, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_catalog_reader_agrees_with_babel(path):
    """The workbook reads its catalogs itself (no Babel in a page's kernel): it finds what
    Babel's reader finds, in every file."""
    assert read_po_messages(path) == babel_messages(path)


def test_catalog_reader_handles_escapes_continuations_and_skipped_entries(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, fuzzy\nmsgid "Say \\"hi\\"\\n"\nmsgstr ""\n"Sag \\"hallo\\"\\n"\n"\\tnow"\n\n'
        'msgid "Untranslated"\nmsgstr ""\n\n'
        'msgid "One"\nmsgid_plural "Many"\nmsgstr[0] "Eins"\nmsgstr[1] "Viele"\n\n'
        '#~ msgid "Old"\n#~ msgstr "Alt"\n\n'
        'msgctxt "menu"\nmsgid "Open"\nmsgstr "Offen"\n',
        encoding="utf-8")
    expected = {'Say "hi"\n': 'Sag "hallo"\n\tnow', "Open": "Offen"}
    assert read_po_messages(po) == expected == babel_messages(po)


def test_lists_are_joined_as_each_language_writes_them():
    assert translator("zh")(", ").join(["林晓岚", "周明远"]) == "林晓岚、周明远"
    assert translator("en")(", ").join(["Lena", "Marcus"]) == "Lena, Marcus"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_message_has_one_translation_across_the_catalog_files(lang):
    """The files of a language are merged into one catalog: a message translated two ways
    would show whichever file comes last, here and there."""
    seen: dict[str, tuple[str, str]] = {}
    conflicts = []
    for po in sorted((LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po")):
        for key, text in read_po_messages(po).items():
            first = seen.setdefault(key, (po.name, text))
            if first[1] != text:
                conflicts.append(f"{key!r}: {first} / {(po.name, text)}")
    assert not conflicts, "\n".join(conflicts)
