"""The session record as a PDF (fpdf2): A4, Chinese in an embedded Noto Sans CJK subset with
TrueType outlines, so the text can be selected, searched and copied; tables repeat their header
row on each page; charts as pictures; the organisation's name, header line and logo on every
page, page numbers at the foot.

Characters that neither Noto Sans CJK SC nor the DejaVu Sans fallback has (colour emoji …) are
shown as a box; the Word, HTML and Markdown records keep them. A table cell too long for
a page is cut there (with "…"); the other formats keep it whole.
"""

from __future__ import annotations

import io
import re
from datetime import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ..pdffonts import fallback_font, odd_chars, pdf_fonts, printable
from .document import (
    ACCENT,
    AGREED,
    AGREED_MARK,
    INK,
    MUTED,
    SOFT,
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
HEADING_SIZES = {1: 15, 2: 12.5, 3: 11}
BODY = 10
#: Break opportunities: a run of spaces, a run of Latin letters and digits (a word), or any
#: other single character (each CJK character may start a new line).
_TOKENS = re.compile(r"\s+|[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+|.", re.S)


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


class _CharWidths(dict):
    """Each character's width at size 1 in one style, measured when first asked for."""

    def __init__(self, measure, style: str):
        super().__init__()
        self.measure, self.style = measure, style

    def __missing__(self, ch: str) -> float:
        self[ch] = width = self.measure(ch, self.style)
        return width


class _Widths(dict):
    """The :class:`_CharWidths` of each style."""

    def __init__(self, measure):
        super().__init__()
        self.measure = measure

    def __missing__(self, style: str) -> _CharWidths:
        self[style] = table = _CharWidths(self.measure, style)
        return table


class PdfWriter:
    """Renders a :class:`~actionlab.exporters.document.Document` into PDF bytes."""

    def __init__(self, created: datetime | None = None):
        self.created = created

    def render(self, d: Document) -> bytes:
        self._widths = _Widths(self._measure)
        self.colon = "：" if d.lang == "zh" else ": "
        pdf = _Pdf(d)
        text = d.text()
        fonts = pdf_fonts([text, "0123456789/ ·…—" + AGREED_MARK])
        for style, path in fonts.items():
            pdf.add_font(FONT, style, str(path))
        self.odd = odd_chars(text)
        if self.odd:  # Arabic, Hebrew, symbols: loading it costs a little
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

    # -- text layout ------------------------------------------------------------------------
    # fpdf2's multi_cell measures every character many times over; a record has hundreds of
    # paragraphs, so lines are broken here with each character's width measured once.
    def _measure(self, ch: str, style: str) -> float:
        """Width of ``ch`` at size 1 (mm) in the body font, measured by fpdf2."""
        pdf = self.pdf
        size, font_style = pdf.font_size_pt, pdf.font_style
        pdf.set_font(FONT, style, 1)
        try:
            width = pdf.get_string_width(ch)
        except Exception:  # noqa: BLE001 - a character no font has: one em
            width = 0.0
        pdf.set_font(FONT, font_style, size)
        return width or 1.0 * 0.3528

    def _width(self, ch: str, style: str) -> float:
        return self._widths[style][ch]

    def _token_width(self, token: str, style: str) -> float:
        return sum(map(self._widths[style].__getitem__, token))

    def wrap(self, text: str, width: float, size: float, style: str = "") -> list[str]:
        """``text`` broken into lines no wider than ``width`` mm at ``size`` pt: at spaces
        between words, anywhere between CJK characters, inside a word only when it is longer
        than a line."""
        out: list[str] = []
        limit = width / size
        for paragraph in text.split("\n"):
            line, used = "", 0.0
            for token in _TOKENS.findall(paragraph):
                w = self._token_width(token, style)
                if used + w <= limit:
                    line, used = line + token, used + w
                    continue
                if token.isspace():
                    out.append(line.rstrip())
                    line, used = "", 0.0
                    continue
                if line.strip():
                    out.append(line.rstrip())
                line, used = "", 0.0
                for ch in token:  # a word longer than a line, or one CJK character
                    cw = self._width(ch, style)
                    if used + cw > limit and line:
                        out.append(line)
                        line, used = "", 0.0
                    line, used = line + ch, used + cw
            out.append(line.rstrip())
        return out

    def _put(self, x: float, y: float, width: float, height: float, line: str) -> None:
        """One line of text in a box ``height`` high at (x, y), placed as ``cell`` places it.
        ``text`` writes the same glyphs at a tenth of the cost; ``cell`` is kept for the lines
        where a fallback font must be chosen character by character."""
        pdf = self.pdf
        if self.odd.isdisjoint(line):
            if line:
                pdf.text(x + pdf.c_margin, y + 0.5 * height + 0.3 * pdf.font_size, line)
        else:
            pdf.set_xy(x, y)
            pdf.cell(width, height, line)

    def _lines(self, lines: list[str], x: float, width: float, height: float) -> None:
        pdf = self.pdf
        for line in lines:
            if pdf.get_y() + height > pdf.page_break_trigger:
                pdf.add_page()
            y = pdf.get_y()
            self._put(x, y, width, height, line)
            pdf.set_xy(pdf.l_margin, y + height)

    # -- blocks ---------------------------------------------------------------------------
    def _text(self, text: str, size: float, style: str = "", colour=INK, gap: float = 1.0,
              indent: float = 0) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, style, size)
        pdf.set_text_color(*colour)
        width = pdf.epw - indent
        self._lines(self.wrap(printable(text), width, size, style), pdf.l_margin + indent,
                    width, size * 0.5)
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
                if pdf.get_y() + BODY * 0.5 > pdf.page_break_trigger:
                    pdf.add_page()
                y = pdf.get_y()
                pdf.cell(width, BODY * 0.5, label_text)
                pdf.set_font(FONT, "", BODY)
                pdf.set_text_color(*INK)
                pdf.set_y(y)
                self._lines(self.wrap(printable(value), pdf.epw - width, BODY), pdf.l_margin + width,
                            pdf.epw - width, BODY * 0.5)
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
        """A table drawn row by row: cells wrapped like paragraphs, the header row again at the
        top of each page, and a cell cut (with "…") where its row would not fit on a page."""
        pdf = self.pdf
        size, pad, lh = 9, 1.2, 4.4
        widths = block.widths or (1,) * len(block.header)
        total = sum(widths)
        cols = [pdf.epw * w / total for w in widths]
        most = int((pdf.page_break_trigger - pdf.t_margin - 30) / lh)  # lines a row may have

        def layout(values, style):
            cells = [self.wrap(printable(v), c - 2 * pad, size, style) for v, c in zip(values, cols, strict=True)]
            return [cell if len(cell) <= most else [*cell[: most - 1], "…"] for cell in cells]

        def draw(cells, header: bool) -> None:
            height = max(len(c) for c in cells) * lh + 2 * pad
            if pdf.get_y() + height > pdf.page_break_trigger:
                pdf.add_page()
                if not header:
                    draw(head, True)
            x, y = pdf.l_margin, pdf.get_y()
            pdf.set_draw_color(200, 206, 214)
            pdf.set_fill_color(*SOFT)
            pdf.set_font(FONT, "B" if header else "", size)
            pdf.set_text_color(*(ACCENT if header else INK))
            for lines, width in zip(cells, cols, strict=True):
                pdf.rect(x, y, width, height, style="DF" if header else "D")
                for i, line in enumerate(lines):
                    self._put(x + pad, y + pad + i * lh, width - 2 * pad, lh, line)
                x += width
            pdf.set_xy(pdf.l_margin, y + height)

        head = layout(block.header, "B")
        draw(head, True)
        for values in block.rows:
            draw(layout(values, ""), False)
        pdf.ln(3)


class PdfExporter(DocumentExporter):
    """A PDF with the CJK font embedded and selectable text."""

    name = "pdf"
    suffix = ".pdf"
    media_type = "application/pdf"

    writer = PdfWriter
