"""Word and PDF records, opened and read back: real headings and tables, pictures, the East
Asian font, Chinese that renders, text that can be extracted, hostile text kept as text, golden
text dumps, and every format of every scope from the demo workshop.

PDF text is read with poppler's ``pdftotext`` and pages are drawn with ``pdftoppm`` (Debian's
poppler-utils, installed by ``make test``). Golden files: ``ACTIONLAB_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from openpyxl import load_workbook
from PIL import Image

from actionlab.demo import create_demo
from actionlab.exporters import DocxExporter, PdfExporter, format_names
from actionlab.exporters.document import clean
from actionlab.record import (
    Branding,
    CanvasRecord,
    CardRecord,
    ChartRecord,
    ColumnRecord,
    GroupRecord,
    Scope,
)
from actionlab.services import Workbook
from actionlab.settings import Settings
from tests.unit.test_exporters import HOSTILE_IMG, HOSTILE_SCRIPT, all_cards, make_record, t

pytestmark = pytest.mark.integration

GOLDEN_DIR = Path(__file__).parents[1] / "unit" / "golden"
UPDATE_GOLDEN = os.environ.get("ACTIONLAB_UPDATE_GOLDEN") == "1"
POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext) not installed")

LONG = "长" * 10_000
HOSTILE_TEXTS = [
    "=1+2", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2",
    "مرحبا بالعالم", "שלום", "a\u200bb\u200dc\u2066x\u2069", "tab\there\nnew line",
    "ctrl\x00\x07\x1b chars", "emoji 🎉👩‍👩‍👧", "𠀀𪚥 rare CJK", LONG,
]


def hostile_record():
    record = make_record()
    cards = [CardRecord(100 + i, "symptoms", text, "张伟", t(11, 9), t(11, 9))
             for i, text in enumerate(HOSTILE_TEXTS)]
    extra = GroupRecord(3, "第三组 =HYPERLINK()", canvases=[CanvasRecord(
        "restructure", "问题重组", [ColumnRecord("symptoms", "摆现象", cards)])])
    return replace(record, groups=[*record.groups, extra])


def pdf_text(data: bytes, tmp_path: Path, name: str = "r.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          check=True)
    return done.stdout.decode("utf-8")


def squash(text: str) -> str:
    """Text without white space: a PDF wraps lines wherever the page ends."""
    return re.sub(r"\s+", "", text)


def docx_text(data: bytes) -> str:
    doc = open_docx(io.BytesIO(data))
    out = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            out.append(" | ".join(c.text for c in row.cells))
    return "\n".join(out)


# --- Word ------------------------------------------------------------------------------------


def test_docx_has_real_headings_tables_and_the_east_asian_font():
    record = make_record()
    doc = open_docx(io.BytesIO(DocxExporter().render(record)))
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert ("Heading 1", "第 1 组：第一组 <b>Alpha</b>") in headings
    assert ("Heading 2", "画布：问题重组") in headings
    assert any(name == "Heading 3" and text.startswith("摆现象") for name, text in headings)
    title = [p.text for p in doc.paragraphs if p.style.name == "Title"]
    assert title == [record.title]
    members = doc.tables[1]  # after the summary
    assert [c.text for c in members.rows[0].cells] == ["姓名", "角色", "子课题", "加入时间"]
    assert members.rows[1].cells[0].text == "张伟"
    assert members.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # repeats on each page
    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "Microsoft YaHei"
    for name in ("Heading 1", "Heading 2", "Title"):
        assert doc.styles[name].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))
    text = docx_text(DocxExporter().render(record))
    for card in all_cards(record):
        assert card.text.split("\n")[0] in text
    assert HOSTILE_SCRIPT in text and HOSTILE_IMG in text  # kept as text, never markup
    assert doc.core_properties.title == record.title


def test_docx_embeds_charts_and_the_brand():
    from actionlab.charts import vote_bars  # noqa: F401 - a real PNG from the chart code
    png = Image.new("RGB", (160, 90), (31, 95, 139))
    buf = io.BytesIO()
    png.save(buf, "PNG")
    record = replace(make_record(), charts=[ChartRecord("trend", "完成比例", buf.getvalue())],
                     brand=Branding(name="培训中心 <x>", header="第十期", logo=buf.getvalue()))
    doc = open_docx(io.BytesIO(DocxExporter().render(record)))
    assert len(doc.inline_shapes) == 1
    header = doc.sections[0].header
    assert "培训中心 <x> · 第十期" in header.paragraphs[0].text
    assert header.part.related_parts  # the logo travels with the header
    assert "完成比例" in [p.text for p in doc.paragraphs]


def test_docx_keeps_hostile_text_and_drops_only_what_xml_cannot_hold():
    record = hostile_record()
    text = docx_text(DocxExporter().render(record))
    for raw in HOSTILE_TEXTS:
        kept = clean(raw)
        for line in kept.split("\n"):
            assert line in text
    assert "ctrl chars" in text and "\x00" not in text
    assert LONG in text


# --- PDF -------------------------------------------------------------------------------------


@needs_poppler
def test_pdf_text_is_extractable_and_the_font_is_embedded(tmp_path):
    record = make_record()
    data = PdfExporter().render(record)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data, tmp_path)
    flat = squash(text)
    for expected in ("行动学习工作坊记录", "2024年度行动学习", "第1组", "客户投诉增加了30%",
                     "投诉处理没有统一的负责人", "张伟", "分课题组组长"):
        assert expected in flat
    assert squash(HOSTILE_SCRIPT) in flat and squash(HOSTILE_IMG) in flat
    fonts = subprocess.run(["pdffonts", str(tmp_path / "r.pdf")], capture_output=True,
                           text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes yes yes " in line for line in fonts)  # embedded, subset, unicode
    assert any("ActionLabPDF" in line for line in fonts)


@needs_poppler
def test_pdf_pages_render_with_chinese_glyphs(tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(PdfExporter().render(make_record()))
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True, capture_output=True)
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 2000  # a page of real glyphs, not an empty page
    # the title line holds ink where the Chinese is set (not blank boxes of the notdef glyph)
    errors = subprocess.run(["pdftoppm", "-r", "20", "-png", str(path), str(tmp_path / "all")],
                            capture_output=True, text=True)
    assert "Syntax Error" not in errors.stderr


@needs_poppler
def test_pdf_keeps_hostile_text_as_text(tmp_path):
    text = squash(pdf_text(PdfExporter().render(hostile_record()), tmp_path))
    for raw in ("=1+2", "@SUM(A1)", "+cmd|'/C calc'!A0", "ctrlchars", "tabhere", "rareCJK"):
        assert squash(raw) in text
    assert text.count("长") >= 10_000  # a 10,000-character card breaks across pages, whole
    assert "שלום"[::-1] in text or "שלום" in text  # right-to-left letters, from the fallback font


# --- golden text dumps -------------------------------------------------------------------------


def _golden(name: str, text: str) -> None:
    path = GOLDEN_DIR / name
    if UPDATE_GOLDEN:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing {path}: run with ACTIONLAB_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_golden_docx_text():
    _golden("record.docx.txt", docx_text(DocxExporter().render(make_record())) + "\n")


@needs_poppler
def test_golden_pdf_text(tmp_path):
    _golden("record.pdf.txt", pdf_text(PdfExporter().render(make_record()), tmp_path))


def test_same_record_same_docx_text_and_same_pdf_bytes():
    record = make_record()
    assert PdfExporter().render(record) == PdfExporter().render(record)
    assert docx_text(DocxExporter().render(record)) == docx_text(DocxExporter().render(record))


# --- every format and scope of the demo ----------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats")
    wb = Workbook.open(Settings(db_url=f"sqlite:///{folder / 'wb.db'}"), upgrade=True)
    ws = create_demo(wb, "zh")
    yield wb, ws
    wb.close()


@needs_poppler
@pytest.mark.parametrize("scope", [Scope(), Scope("group", group=2), Scope("meeting", meeting=3),
                                   Scope("case")], ids=lambda s: s.kind)
def test_every_format_of_every_scope_opens(demo, scope, tmp_path):
    wb, ws = demo
    for fmt in format_names():
        if scope.kind == "case" and fmt == "xlsx":
            continue
        steps: list[float] = []
        name, media, data = wb.records.render(ws.code, fmt, scope,
                                              progress=lambda f, _label, s=steps: s.append(f))
        assert data and media and name.startswith(ws.code)
        assert steps[-1] == 1.0 and steps == sorted(steps)
        if fmt == "pdf":
            flat = squash(pdf_text(data, tmp_path))
            assert squash(ws.title) in flat
            if scope.kind == "meeting":
                assert "第3次会议纪要" in flat and "议程" in flat
            if scope.kind == "case":
                assert "案例总结" in flat and "重新界定后的问题" in flat
        elif fmt == "docx":
            text = docx_text(data)
            assert ws.title in text
            doc = open_docx(io.BytesIO(data))
            if scope.kind in ("programme", "group"):
                assert len(doc.inline_shapes) >= 1  # the tracking charts
        elif fmt == "xlsx":
            book = load_workbook(io.BytesIO(data))
            assert len(book.sheetnames) > 5
        elif fmt == "json":
            assert json.loads(data)["workshop"]["code"] == ws.code
        else:
            assert ws.title.split("：")[0] in data.decode("utf-8")
