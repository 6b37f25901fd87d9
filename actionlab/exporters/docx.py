"""The session record as a Word document (python-docx).

Real Word headings (the navigation pane lists them), real tables with a repeated header row,
charts as pictures. Every style names an East Asian font as well as a Latin one, so Word and
WPS set Chinese in a Chinese face instead of guessing. The organisation's name, header line
and logo go in the page header; page numbers in the footer.
"""

from __future__ import annotations

import io
from datetime import datetime

from docx import Document as new_docx
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from . import document as colours
from .document import (
    Bullets,
    Document,
    DocumentExporter,
    Facts,
    Heading,
    Para,
    Picture,
    Table,
)

#: Fonts named in every style: Latin text, and East Asian text (present on every Chinese
#: Windows; WPS and LibreOffice map it to their own Chinese sans-serif face when missing).
LATIN_FONT = "Calibri"
EAST_ASIAN_FONT = "Microsoft YaHei"
INK, MUTED, ACCENT, AGREED = (RGBColor(*rgb) for rgb in (colours.INK, colours.MUTED,
                                                          colours.ACCENT, colours.AGREED))
SOFT_FILL = "".join(f"{c:02X}" for c in colours.SOFT)
#: Width of the text area of an A4 page with 2 cm margins.
TEXT_WIDTH_CM = 17.0


def _fonts(style_or_run, size: float | None = None, bold: bool | None = None, colour=None) -> None:
    font = style_or_run.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if colour is not None:
        font.color.rgb = colour
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def _language(doc, lang: str) -> None:
    """Mark the text's language so spelling and line breaking follow it."""
    rpr = doc.styles["Normal"].element.get_or_add_rPr()
    el = OxmlElement("w:lang")
    el.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-GB")
    el.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(el)


def _repeat_header(row) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    el = OxmlElement("w:shd")
    el.set(qn("w:val"), "clear")
    el.set(qn("w:color"), "auto")
    el.set(qn("w:fill"), fill)
    tcpr.append(el)


def _look(run, size: float | None = None, bold: bool | None = None, colour=None) -> None:
    """A run's size, weight and colour (its fonts come from the paragraph's style)."""
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour


def _lines(paragraph, text: str, **run_style) -> None:
    """``text`` in a paragraph, its line breaks kept as breaks."""
    for i, line in enumerate(text.split("\n")):
        if i:
            paragraph.runs[-1].add_break()
        run = paragraph.add_run(line)
        if run_style:
            _look(run, **run_style)


def _page_number(paragraph) -> None:
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        run = paragraph.add_run()
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


class DocxWriter:
    """Renders a :class:`~actionlab.exporters.document.Document` into .docx bytes."""

    def __init__(self, created: datetime | None = None):
        self.created = created

    def render(self, d: Document) -> bytes:
        self.colon = "：" if d.lang == "zh" else ": "
        doc = new_docx()
        self._styles(doc, d.lang)
        section = doc.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(2.0))
        self._header_footer(section, d)
        props = doc.core_properties
        props.title = d.title
        props.subject = d.kind
        props.author = d.brand_name or "actionlab"
        props.comments = d.footer
        props.language = "zh-CN" if d.lang == "zh" else "en"
        if self.created is not None:
            props.created = props.modified = self.created.replace(tzinfo=None)
        props.last_modified_by = "actionlab"
        props.revision = 1

        # Styles are found by id once: python-docx looks a name up among all styles each time.
        self._ids = {style.name: style.style_id for style in doc.styles}
        self._para(doc, "Subtitle").add_run(d.kind)
        self._para(doc, "Title").add_run(d.title)
        for block in d.blocks:
            self._block(doc, block)
        end = doc.add_paragraph()
        end.add_run(d.footer).italic = True
        _look(end.runs[0], size=8, colour=MUTED)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()

    # -- styles ---------------------------------------------------------------------------
    @staticmethod
    def _styles(doc, lang: str) -> None:
        styles = doc.styles
        _fonts(styles["Normal"], size=10.5, colour=INK)
        styles["Normal"].paragraph_format.space_after = Pt(4)
        _language(doc, lang)
        for name, size in (("Title", 22), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
            _fonts(styles[name], size=size, bold=True, colour=ACCENT if name != "Title" else INK)
        _fonts(styles["Subtitle"], size=10, bold=True, colour=ACCENT)
        for name in ("List Bullet", "List Bullet 2", "List Bullet 3", "Table Grid", "Caption",
                     "Header", "Footer"):
            if name in [s.name for s in styles]:
                _fonts(styles[name])

    @staticmethod
    def _header_footer(section, d: Document) -> None:
        header = section.header.paragraphs[0]
        if d.logo:
            try:
                header.add_run().add_picture(io.BytesIO(d.logo), height=Cm(1.0))
                header.add_run("  ")
            except Exception:  # noqa: BLE001 - a logo Word cannot read leaves the name alone
                pass
        words = " · ".join(p for p in (d.brand_name, d.brand_header) if p) or d.title
        run = header.add_run(words)
        _fonts(run, size=8, colour=MUTED)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _page_number(footer)

    # -- blocks ---------------------------------------------------------------------------
    def _para(self, doc, style: str):
        paragraph = doc.add_paragraph()
        paragraph._p.get_or_add_pPr().style = self._ids[style]
        return paragraph

    def _block(self, doc, block) -> None:
        if isinstance(block, Heading):
            self._para(doc, f"Heading {min(block.level, 3)}").add_run(block.text)
        elif isinstance(block, Para):
            p = doc.add_paragraph()
            style = {"muted": {"size": 9, "colour": MUTED}, "strong": {"bold": True},
                     "agreed": {"bold": True, "colour": AGREED}}.get(block.style, {})
            _lines(p, block.text, **style)
        elif isinstance(block, Facts):
            for label, value in block.rows:
                p = doc.add_paragraph()
                p.paragraph_format.space_after = Pt(1)
                label_run = p.add_run(label + self.colon)
                _look(label_run, bold=True, colour=MUTED)
                _lines(p, value)
        elif isinstance(block, Table):
            self._table(doc, block)
        elif isinstance(block, Bullets):
            for level, text in block.items:
                style = "List Bullet" if level == 0 else f"List Bullet {min(level + 1, 3)}"
                _lines(self._para(doc, style), text)
        elif isinstance(block, Picture):
            doc.add_picture(io.BytesIO(block.png), width=Cm(TEXT_WIDTH_CM))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            caption = self._para(doc, "Caption")
            caption.add_run(block.caption)

    @staticmethod
    def _table(doc, block: Table) -> None:
        table = doc.add_table(rows=1, cols=len(block.header))
        table.style = doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        widths = block.widths or (1,) * len(block.header)
        total = sum(widths)
        cols = [Cm(TEXT_WIDTH_CM * w / total) for w in widths]
        head = table.rows[0]
        _repeat_header(head)
        for cell, text, width in zip(head.cells, block.header, cols, strict=True):
            cell.width = width
            _shade(cell, SOFT_FILL)
            _lines(cell.paragraphs[0], text, bold=True, colour=ACCENT)
        for values in block.rows:
            row = table.add_row()
            for cell, text, width in zip(row.cells, values, cols, strict=True):
                cell.width = width
                _lines(cell.paragraphs[0], text)
        doc.add_paragraph()


class DocxExporter(DocumentExporter):
    """A Word document (.docx) with headings, tables and the charts of the record."""

    name = "docx"
    suffix = ".docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    writer = DocxWriter
