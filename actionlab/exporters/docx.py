"""The session record as a Word document (python-docx).

Real Word headings (the navigation pane lists them), real tables with a repeated header row,
charts as pictures. Every style names an East Asian font as well as a Latin one, so Word and
WPS set Chinese in a Chinese face instead of guessing. The organisation's name, header line
and logo go in the page header; page numbers in the footer.
"""

from __future__ import annotations

import io
from datetime import datetime
from xml.sax.saxutils import escape

from docx import Document as new_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
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
INK, MUTED, ACCENT = (RGBColor(*rgb) for rgb in (colours.INK, colours.MUTED, colours.ACCENT))
SOFT_FILL = "".join(f"{c:02X}" for c in colours.SOFT)
#: Width of the text area of an A4 page with 2 cm margins.
TEXT_WIDTH_CM = 17.0
TWIPS_PER_CM = 1440 / 2.54


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


def _hex(colour) -> str:
    return "".join(f"{c:02X}" for c in colour)


def _run(text: str, size: float | None = None, bold: bool = False, italic: bool = False,
         colour=None) -> str:
    """A run of ``text`` (its line breaks kept as breaks) as WordprocessingML."""
    look = (("<w:b/>" if bold else "") + ("<w:i/>" if italic else "")
            + (f'<w:color w:val="{_hex(colour)}"/>' if colour is not None else "")
            + (f'<w:sz w:val="{round(size * 2)}"/>' if size is not None else ""))
    body = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>'
                          for line in text.split("\n"))
    return f"<w:r>{f'<w:rPr>{look}</w:rPr>' if look else ''}{body}</w:r>"


def _paragraph(runs: str, style: str | None = None, after_pt: float | None = None,
               centred: bool = False) -> str:
    props = ((f'<w:pStyle w:val="{style}"/>' if style else "")
             + (f'<w:spacing w:after="{round(after_pt * 20)}"/>' if after_pt is not None else "")
             + ('<w:jc w:val="center"/>' if centred else ""))
    return f"<w:p>{f'<w:pPr>{props}</w:pPr>' if props else ''}{runs}</w:p>"


def _table(header: list[str], rows: list[list[str]], widths: list[int]) -> str:
    """A table in the Table Grid style, centred, its shaded header row repeated on each page;
    ``widths`` in twentieths of a point."""
    def cell(text: str, width: int, head: bool) -> str:
        shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{SOFT_FILL}"/>' if head else ""
        runs = _run(text, bold=True, colour=colours.ACCENT) if head else _run(text)
        return (f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{shade}</w:tcPr>'
                f"{_paragraph(runs)}</w:tc>")

    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    head = "".join(cell(t, w, True) for t, w in zip(header, widths, strict=True))
    body = "".join("<w:tr>" + "".join(cell(t, w, False) for t, w in zip(values, widths, strict=True))
                   + "</w:tr>" for values in rows)
    return ('<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:type="auto" w:w="0"/>'
            '<w:jc w:val="center"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" '
            'w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
            f'<w:tblGrid>{grid}</w:tblGrid>'
            f'<w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>{head}</w:tr>{body}</w:tbl>')


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

        # The body is written as WordprocessingML and parsed a block at a time: python-docx's
        # objects cost a hundred times more per paragraph, and a record has thousands.
        self._ids = {style.name: style.style_id for style in doc.styles}
        self._pending: list[str] = [
            _paragraph(_run(d.kind), self._ids["Subtitle"]),
            _paragraph(_run(d.title), self._ids["Title"]),
        ]
        for block in d.blocks:
            self._block(doc, block)
        self._pending.append(_paragraph(_run(d.footer, size=8, italic=True,
                                              colour=colours.MUTED)))
        self._flush(doc)
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
    def _flush(self, doc) -> None:
        """Parse the pending WordprocessingML and put it at the end of the body."""
        if not self._pending:
            return
        body = parse_xml(f"<w:body {nsdecls('w')}>{''.join(self._pending)}</w:body>")
        self._pending.clear()
        end = doc.element.body.sectPr
        for element in list(body):
            end.addprevious(element)

    def _block(self, doc, block) -> None:
        add, ids = self._pending.append, self._ids
        if isinstance(block, Heading):
            add(_paragraph(_run(block.text), ids[f"Heading {min(block.level, 3)}"]))
        elif isinstance(block, Para):
            look = {"muted": {"size": 9, "colour": colours.MUTED}, "strong": {"bold": True},
                    "agreed": {"bold": True, "colour": colours.AGREED}}.get(block.style, {})
            add(_paragraph(_run(block.text, **look)))
        elif isinstance(block, Facts):
            for label, value in block.rows:
                add(_paragraph(_run(label + self.colon, bold=True, colour=colours.MUTED)
                               + _run(value), after_pt=1))
        elif isinstance(block, Table):
            widths = block.widths or (1,) * len(block.header)
            total = sum(widths)
            twips = [round(TEXT_WIDTH_CM * w / total * TWIPS_PER_CM) for w in widths]
            add(_table(block.header, block.rows, twips))
            add(_paragraph(""))
        elif isinstance(block, Bullets):
            for level, text in block.items:
                style = "List Bullet" if level == 0 else f"List Bullet {min(level + 1, 3)}"
                add(_paragraph(_run(text), ids[style]))
        elif isinstance(block, Picture):
            self._flush(doc)
            doc.add_picture(io.BytesIO(block.png), width=Cm(TEXT_WIDTH_CM))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            add(_paragraph(_run(block.caption), ids["Caption"]))


class DocxExporter(DocumentExporter):
    """A Word document (.docx) with headings, tables and the charts of the record."""

    name = "docx"
    suffix = ".docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    writer = DocxWriter
