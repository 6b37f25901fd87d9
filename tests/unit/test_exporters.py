"""Session-record exporters: content, escaping, standalone HTML, atomic files, golden files.

Golden files are compared exactly; regenerate them with ``ACTIONLAB_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from actionlab.errors import InvalidInput
from actionlab.exporters import (
    EXPORTERS,
    Exporter,
    HtmlExporter,
    MarkdownExporter,
    exporter_names,
    get_exporter,
)
from actionlab.exporters.escape import md_escape
from actionlab.record import (
    CanvasRecord,
    CardRecord,
    ColumnRecord,
    GroupRecord,
    MapLine,
    MemberRecord,
    WorkshopRecord,
)

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("ACTIONLAB_UPDATE_GOLDEN") == "1"

HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_SCRIPT = "<script>alert(1)</script>"


def t(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute)


def _columns(cards_by_column: dict[str, list[CardRecord]]) -> list[ColumnRecord]:
    titles = {
        "symptoms": "摆现象",
        "problems": "查问题",
        "causes": "析原因",
        "key_problem": "关键问题",
    }
    return [ColumnRecord(key, title, cards_by_column.get(key, [])) for key, title in titles.items()]


def make_record(lang: str = "zh") -> WorkshopRecord:
    group1 = GroupRecord(
        number=1,
        name="第一组 <b>Alpha</b>",
        members=[
            MemberRecord("张伟", "分课题组组长", t(10, 9, 5), subtask="梳理投诉流程 <b>"),
            MemberRecord("Li **Na**", "小组联络员", t(10, 9, 7)),
            MemberRecord(HOSTILE_IMG, "# heading", t(10, 9, 9)),
        ],
        canvases=[
            CanvasRecord(
                key="restructure",
                title="问题重组",
                columns=_columns(
                    {
                        "symptoms": [
                            CardRecord(
                                1,
                                "symptoms",
                                "客户投诉增加了 30%",
                                "张伟",
                                t(10, 9, 30),
                                t(10, 9, 30),
                            ),
                            CardRecord(
                                2,
                                "symptoms",
                                HOSTILE_SCRIPT,
                                "Li **Na**",
                                t(10, 9, 31),
                                t(10, 10, 2),
                            ),
                            CardRecord(
                                3,
                                "symptoms",
                                "[link](javascript:alert(1))",
                                HOSTILE_IMG,
                                t(10, 9, 32),
                                t(10, 9, 32),
                            ),
                        ],
                        "problems": [
                            CardRecord(
                                4,
                                "problems",
                                "| pipe |\n# heading\n- not a list",
                                "促进师",
                                t(10, 9, 40),
                                t(10, 9, 40),
                            ),
                        ],
                        "causes": [
                            CardRecord(
                                5,
                                "causes",
                                "**bold** and _under_ `tick` \\ back",
                                "张伟",
                                t(10, 9, 45),
                                t(10, 11, 15),
                            ),
                        ],
                        "key_problem": [
                            CardRecord(
                                7,
                                "key_problem",
                                "投诉处理没有统一的负责人",
                                "张伟",
                                t(10, 11, 30),
                                t(10, 11, 30),
                                details=(("票数", "4"), ("所属", HOSTILE_SCRIPT)),
                                decided=True,
                            ),
                        ],
                    }
                ),
                compare=(("客户满意度低",), ("投诉处理没有统一的负责人",)),
                compare_titles=("最初的问题", "关键问题"),
                map=[
                    MapLine(0, "关键问题", "投诉处理没有统一的负责人", True),
                    MapLine(1, "目标", HOSTILE_IMG),
                ],
            )
        ],
    )
    group2 = GroupRecord(
        number=2,
        name="Team Beta | 第二组",
        members=[MemberRecord("Alice O'Neil & Bob", "Member", t(10, 9, 12))],
        canvases=[
            CanvasRecord(
                key="restructure",
                title="Problem restructuring",
                columns=[
                    ColumnRecord(
                        "symptoms",
                        "Symptoms <i>",
                        [
                            CardRecord(
                                6,
                                "symptoms",
                                "Meetings start late.\nNobody owns the agenda.",
                                "Alice O'Neil & Bob",
                                t(10, 10, 0),
                                t(10, 10, 0),
                            )
                        ],
                    ),
                    ColumnRecord("problems", "Problems", []),
                ],
            )
        ],
    )
    return WorkshopRecord(
        code="K7Q2ZP",
        title="2024 年度行动学习 <img src=x onerror=alert(1)> & review",
        lang=lang,
        created_at=t(10, 8, 55),
        exported_at=t(12, 17, 30),
        revision=42,
        groups=[group1, group2],
    )


def all_cards(record: WorkshopRecord) -> list[CardRecord]:
    return [
        card for g in record.groups for c in g.canvases for col in c.columns for card in col.cards
    ]


def all_columns(record: WorkshopRecord) -> list[ColumnRecord]:
    return [col for g in record.groups for c in g.canvases for col in c.columns]


class RecordParser(HTMLParser):
    """Collects the tags, attributes and the text of each element with a ``wb-`` class."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.texts: dict[str, list[str]] = {}
        self._open: list[tuple[str, list[str]]] = []
        self.html_lang: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        attrs = dict(attrs)
        if tag == "html":
            self.html_lang = attrs.get("lang")
        classes = (attrs.get("class") or "").split()
        if tag not in {"meta", "br", "link"}:
            self._open.append((tag, classes))
            for cls in classes:
                self.texts.setdefault(cls, []).append("")

    def handle_endtag(self, tag):
        while self._open:
            open_tag, _ = self._open.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        for _, classes in self._open:
            for cls in classes:
                self.texts[cls][-1] += data


def parse(html: str) -> RecordParser:
    parser = RecordParser()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture
def record() -> WorkshopRecord:
    return make_record()


# --- registry ------------------------------------------------------------------------------


def test_registry_knows_md_and_html():
    assert EXPORTERS["md"] is MarkdownExporter
    assert EXPORTERS["html"] is HtmlExporter
    assert exporter_names()[:2] == ["md", "html"]
    assert isinstance(get_exporter("md"), MarkdownExporter)
    assert isinstance(get_exporter("HTML"), HtmlExporter)
    for name in exporter_names():
        exporter = get_exporter(name)
        assert isinstance(exporter, Exporter)
        assert exporter.name == name
        assert exporter.suffix.startswith(".")
        assert exporter.media_type


def test_unknown_format_raises_invalid_input():
    with pytest.raises(InvalidInput) as info:
        get_exporter("odt")
    assert info.value.message_id == "Unknown export format {name}"
    assert info.value.params == {"name": "odt"}


def test_exporter_base_is_abstract():
    with pytest.raises(TypeError):
        Exporter()  # type: ignore[abstract]


# --- shared content --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["md", "html"])
def test_hostile_markup_never_appears_raw(record, name):
    out = get_exporter(name).render(record)
    assert "<img" not in out
    assert "<script" not in out
    assert "<b>" not in out
    assert "<i>" not in out
    assert "&lt;img src=x onerror=alert(1)&gt;" in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


@pytest.mark.parametrize("name", ["md", "html"])
def test_chinese_text_is_intact(record, name):
    out = get_exporter(name).render(record)
    for text in [
        "2024 年度行动学习",
        "客户投诉增加了 30%",
        "张伟",
        "分课题组组长",
        "问题重组",
        "关键问题",
        "促进师",
    ]:
        assert text in out
    assert "第 1 组" in out and "第 2 组" in out
    assert "成员" in out and "卡片" in out and "（暂无卡片）" in out


def test_markdown_contains_every_typed_text_escaped(record):
    md = MarkdownExporter().render(record)
    for card in all_cards(record):
        assert md_escape(card.text) in md
        assert md_escape(card.author) in md
    for column in all_columns(record):
        assert f"#### {md_escape(column.title)}\n" in md
    for group in record.groups:
        assert md_escape(group.name) in md
        for member in group.members:
            assert f"| {md_escape(member.name)} | {md_escape(member.role)} |" in md
    assert f"# {md_escape(record.title)}\n" in md
    # markdown structure the hostile text must not break
    assert "\n# heading" not in md
    assert "\n- not a list" not in md
    assert "[link](" not in md
    assert "**bold**" not in md


def test_markdown_summary_counts(record):
    md = MarkdownExporter().render(record)
    assert "| 2 | 4 | 7 |" in md
    assert record.member_count == 4 and record.card_count == 7


def test_markdown_edited_and_empty(record):
    md = MarkdownExporter().render(record)
    assert md.count("编辑于 ") == 2
    assert "编辑于 2024-05-10 10:02" in md
    assert "编辑于 2024-05-10 11:15" in md
    # one empty column in group 1 (key problem), one in group 2 (problems)
    assert md.count("（暂无卡片）") == 1


def test_html_contains_every_typed_text_exactly(record):
    parsed = parse(HtmlExporter().render(record))
    cards = all_cards(record)
    assert parsed.texts["wb-record-card-text"] == [card.text for card in cards]
    assert parsed.texts["wb-record-author"] == [card.author for card in cards]
    assert [text.strip() for text in parsed.texts["wb-record-column-title"]] == [
        f"{col.title} {len(col.cards)}" for col in all_columns(record)
    ]
    assert parsed.texts["wb-record-group-name"] == [g.name for g in record.groups]
    assert parsed.texts["wb-record-title"] == [record.title]
    members = [m for g in record.groups for m in g.members]
    assert len(parsed.texts["wb-record-member"]) == len(members)
    for row, member in zip(parsed.texts["wb-record-member"], members, strict=True):
        assert row.startswith(member.name + member.role)
    assert len(parsed.texts["wb-record-card"]) == record.card_count
    assert len(parsed.texts["wb-record-group"]) == 2
    assert len(parsed.texts["wb-record-column"]) == len(all_columns(record))


def test_html_summary_counts(record):
    parsed = parse(HtmlExporter().render(record))
    assert parsed.texts["wb-record-groups-count"] == ["2"]
    assert parsed.texts["wb-record-members-count"] == ["4"]
    assert parsed.texts["wb-record-cards-count"] == ["7"]


def test_html_edited_and_empty(record):
    parsed = parse(HtmlExporter().render(record))
    assert parsed.texts["wb-record-edited"] == [
        "编辑于 2024-05-10 10:02",
        "编辑于 2024-05-10 11:15",
    ]
    assert parsed.texts["wb-record-empty"] == ["（暂无卡片）"]


def test_html_is_a_standalone_page(record):
    html = HtmlExporter().render(record)
    assert html.startswith("<!DOCTYPE html>\n")
    parsed = parse(html)
    assert parsed.html_lang == "zh-CN"
    assert ("charset", "utf-8") in parsed.attrs
    assert {"html", "head", "body", "style", "title", "main"} <= set(parsed.tags)
    assert "script" not in parsed.tags
    assert not {"link", "img", "iframe", "object", "embed"} & set(parsed.tags)
    for attr, _value in parsed.attrs:
        assert attr not in {"src", "href", "srcset", "style"} and not attr.startswith("on")
    assert not re.search(r"https?://", html)
    assert "url(" not in html and "@import" not in html and "@font-face" not in html
    assert (
        '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'
        in html
    )
    for cls in ("wb-record", "wb-record-group", "wb-record-column", "wb-record-card"):
        assert cls in parsed.texts
    assert "@media print" in html


def test_english_record_uses_english_headings():
    record = make_record("en")
    html = HtmlExporter().render(record)
    md = MarkdownExporter().render(record)
    assert parse(html).html_lang == "en"
    for out in (html, md):
        assert "Members" in out and "Cards" in out and "Summary" in out
        assert "Group 1" in out and "Join code" in out
        assert "(no cards yet)" in out
        assert "edited 2024-05-10 10:02" in out
        assert "成员" not in out and "第 1 组" not in out
        assert "客户投诉增加了 30%" in out  # typed text is never translated


def test_empty_workshop_renders():
    empty = WorkshopRecord("ABC123", "空", "zh", t(1, 8), t(1, 9), 0)
    md = MarkdownExporter().render(empty)
    html = HtmlExporter().render(empty)
    assert "| 0 | 0 | 0 |" in md
    assert "（暂无小组）" in md and "（暂无小组）" in html
    lonely = WorkshopRecord("ABC123", "x", "en", t(1, 8), t(1, 9), 1, [GroupRecord(1, "G")])
    for out in (MarkdownExporter().render(lonely), HtmlExporter().render(lonely)):
        assert "(no members yet)" in out and "(no canvases yet)" in out


# --- files --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["md", "html"])
def test_export_into_a_directory_uses_the_code(record, tmp_path, name):
    exporter = get_exporter(name)
    written = exporter.export(record, tmp_path)
    assert written == tmp_path / f"K7Q2ZP-record{exporter.suffix}"
    assert written.read_text(encoding="utf-8") == exporter.render(record)
    assert sorted(p.name for p in tmp_path.iterdir()) == [written.name]


def test_export_to_a_file_creates_parents(record, tmp_path):
    target = tmp_path / "a" / "b" / "out.md"
    assert MarkdownExporter().export(record, str(target)) == target
    assert target.read_bytes().decode("utf-8") == MarkdownExporter().render(record)
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)


def test_export_writes_through_a_temp_file_in_the_same_dir(record, tmp_path, monkeypatch):
    target = tmp_path / "record.html"
    target.write_text("old", encoding="utf-8")
    calls = []
    real_replace = os.replace

    def spy(src, dst):
        src, dst = Path(src), Path(dst)
        calls.append((src, dst))
        assert src.parent == dst.parent == tmp_path
        assert src != dst and src.exists()
        assert dst.read_text(encoding="utf-8") == "old"  # target untouched until the swap
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    HtmlExporter().export(record, target)
    assert len(calls) == 1 and calls[0][1] == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.html"]


def test_failed_export_leaves_old_file_and_no_temp(record, tmp_path, monkeypatch):
    target = tmp_path / "record.md"
    target.write_text("old", encoding="utf-8")

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        MarkdownExporter().export(record, target)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.md"]


def test_unsafe_code_is_cleaned_for_the_file_name(record, tmp_path):
    odd = WorkshopRecord("../x y", "t", "en", t(1, 8), t(1, 9), 0)
    assert MarkdownExporter().export(odd, tmp_path) == tmp_path / "x_y-record.md"


# --- golden files ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "golden"), [("md", "record.md"), ("html", "record.html")])
def test_golden(record, name, golden):
    path = GOLDEN_DIR / golden
    out = get_exporter(name).render(record)
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(out.encode("utf-8"))
    assert path.exists(), f"missing {path}: run with ACTIONLAB_UPDATE_GOLDEN=1"
    assert out == path.read_bytes().decode("utf-8")
