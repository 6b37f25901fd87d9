"""The session record as a PDF (fpdf2): A4, Chinese in an embedded Noto Sans CJK subset with
TrueType outlines, so the text can be selected, searched and copied; tables repeat their header
row on each page; charts as pictures; the organisation's name, header line and logo on every
page, page numbers at the foot.

Characters that neither Noto Sans CJK SC nor the DejaVu Sans fallback has (colour emoji …) are
shown as a box; the Word, HTML and Markdown records keep them.
"""

from __future__ import annotations

import io
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from ..pdffonts import fallback_font, needs_fallback, pdf_fonts, printable
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

FONT = "cjk"
FALLBACK = "dejavu"
INK = (29, 39, 51)
MUTED = (95, 107, 122)
ACCENT = (31, 95, 139)
AGREED = (30, 123, 74)
SOFT = (232, 240, 247)
HEADING_SIZES = {1: 15, 2: 12.5, 3: 11}
BODY = 10
#: A table cell longer than this is cut in the PDF (a row must fit on one page); the other
#: formats keep the whole text.
CELL_LIMIT = 1200


def _cut(text: str, limit: int = CELL_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Pdf(FPDF):
    def __init__(self, d: Document):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.d = d
        self.set_margins(18, 20, 18)
        self.set_auto_page_break(True, margin=18)
        self.logo_ok = bool(d.logo)

    def header(self) -> None:
        d = self.d
        self.set_y(8)
        if self.logo_ok:
            try:
                self.image(io.BytesIO(d.logo), x=self.l_margin, y=6, h=8)
                self.set_x(self.l_margin + 24)
            except Exception:  # noqa: BLE001 - an unreadable logo leaves the words alone
                self.logo_ok = False
        words = " · ".join(p for p in (d.brand_name, d.brand_header) if p) or d.title
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 6, printable(words), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*ACCENT)
        self.line(self.l_margin, 15, self.w - self.r_margin, 15)
        self.set_y(20)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 6, f"{self.page_no()} / {{nb}}", align="C")


class PdfWriter:
    """Renders a :class:`~actionlab.exporters.document.Document` into PDF bytes."""

    def __init__(self, created: datetime | None = None):
        self.created = created

    def render(self, d: Document) -> bytes:
        self.wrap = WrapMode.CHAR if d.lang == "zh" else WrapMode.WORD
        self.colon = "：" if d.lang == "zh" else ": "
        pdf = _Pdf(d)
        text = d.text()
        fonts = pdf_fonts([text, "0123456789/ ·…✔—"])
        for style, path in fonts.items():
            pdf.add_font(FONT, style, str(path))
        if needs_fallback(text):  # Arabic, Hebrew, symbols: loading it costs a little
            pdf.add_font(FALLBACK, "", str(fallback_font()))
            pdf.set_fallback_fonts([FALLBACK], exact_match=False)
        pdf.set_title(d.title)
        pdf.set_subject(d.kind)
        pdf.set_author(d.brand_name or "actionlab")
        pdf.set_creator("actionlab")
        pdf.set_lang("zh-CN" if d.lang == "zh" else "en")
        if self.created is not None:
            pdf.set_creation_date(self.created.astimezone())
        pdf.alias_nb_pages()
        pdf.add_page()
        self.pdf = pdf
        self._text(d.kind, 10, "B", ACCENT)
        self._text(d.title, 20, "B", INK, gap=3)
        for block in d.blocks:
            self._block(block)
        pdf.ln(4)
        self._text(d.footer, 8, "", MUTED)
        return bytes(pdf.output())

    # -- blocks ---------------------------------------------------------------------------
    def _text(self, text: str, size: float, style: str = "", colour=INK, gap: float = 1.0,
              indent: float = 0) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, style, size)
        pdf.set_text_color(*colour)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(pdf.epw - indent, size * 0.5, printable(text), align="L",
                       wrapmode=self.wrap, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if gap:
            pdf.ln(gap)

    def _block(self, block) -> None:
        pdf = self.pdf
        if isinstance(block, Heading):
            size = HEADING_SIZES.get(block.level, BODY)
            if pdf.will_page_break(size * 2.5):
                pdf.add_page()
            pdf.ln(3 if block.level == 1 else 1.5)
            self._text(block.text, size, "B", ACCENT if block.level < 3 else INK, gap=1.5)
        elif isinstance(block, Para):
            size = 8.5 if block.style == "muted" else BODY
            colour = {"muted": MUTED, "agreed": AGREED}.get(block.style, INK)
            style = "B" if block.style in ("strong", "agreed") else ""
            self._text(block.text, size, style, colour, gap=1.5)
        elif isinstance(block, Facts):
            for label, value in block.rows:
                pdf.set_font(FONT, "B", BODY)
                pdf.set_text_color(*MUTED)
                label_text = printable(label + self.colon)
                width = min(pdf.get_string_width(label_text) + 1, pdf.epw * 0.4)
                pdf.cell(width, BODY * 0.5, label_text)
                pdf.set_font(FONT, "", BODY)
                pdf.set_text_color(*INK)
                pdf.multi_cell(pdf.epw - width, BODY * 0.5, printable(value), align="L",
                               wrapmode=self.wrap, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1.5)
        elif isinstance(block, Table):
            self._table(block)
        elif isinstance(block, Bullets):
            for level, text in block.items:
                self._text("• " + text, BODY, indent=4 + 5 * min(level, 6), gap=0.8)
            pdf.ln(1)
        elif isinstance(block, Picture):
            width = pdf.epw
            height = width * 9 / 16
            if pdf.will_page_break(height + 8):
                pdf.add_page()
            pdf.image(io.BytesIO(block.png), x=pdf.l_margin, w=width, alt_text=block.caption)
            self._text(block.caption, 8.5, "", MUTED, gap=2)

    def _table(self, block: Table) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, "", 9)
        pdf.set_text_color(*INK)
        pdf.set_draw_color(200, 206, 214)
        widths = block.widths or (1,) * len(block.header)
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.6,
                       headings_style=FontFace(emphasis="BOLD", color=ACCENT, fill_color=SOFT),
                       wrapmode=self.wrap, padding=1.2, repeat_headings=1) as table:
            row = table.row()
            for text in block.header:
                row.cell(printable(text))
            for values in block.rows:
                row = table.row()
                for text in values:
                    row.cell(printable(_cut(text)))
        pdf.ln(3)


class PdfExporter(DocumentExporter):
    """A PDF with the CJK font embedded and selectable text."""

    name = "pdf"
    suffix = ".pdf"
    media_type = "application/pdf"

    writer = PdfWriter
