"""Fonts for PDF records: Noto Sans CJK SC cut to the characters a record uses, with TrueType
outlines, so the PDF embeds a small font subset and its text can be selected and searched.

The packaged font is a variable CFF2 collection. A PDF needs static outlines, and CFF2 cannot
be embedded as it is, so the glyphs a record uses are drawn at the Regular and Bold positions
of the weight axis and converted to quadratic (TrueType) outlines. About a second for 600 new
characters; the result is kept in the user's cache folder next to the chart fonts and reused.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from . import charts

#: fpdf2 style → (name style, position on the weight axis, OS/2 weight class).
STYLES = {"": ("Regular", 400, 400), "B": ("Bold", 700, 700)}
PDF_FONT_FORMAT = 1  # bump when the way these fonts are made changes
FAMILY = "ActionLab PDF"
_lock = threading.Lock()


@cache
def fallback_font() -> Path:
    """DejaVu Sans from matplotlib: Arabic, Hebrew and symbols that Noto Sans CJK lacks."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def odd_chars(text: str) -> set[str]:
    """The characters of ``text`` that only the fallback font has."""
    _face, have = charts.sc_face(charts.setup_fonts())
    return {ch for ch in set(text) - {"\n", "\t"} if ord(ch) not in have}


def printable(text: str) -> str:
    """``text`` with characters that neither PDF font has replaced by a box (a tab by
    spaces)."""
    return charts.printable(text.replace("\t", "    "))


def pdf_fonts(texts: Iterable[str]) -> dict[str, Path]:
    """fpdf2 style ("" or "B") → a TrueType file holding every character of ``texts`` that
    Noto Sans CJK SC has (plus ASCII and common punctuation)."""
    path = charts.setup_fonts()
    face, have = charts.sc_face(path)
    chars = sorted({ord(ch) for text in texts for ch in text} | {ord(ch) for ch in charts.BASE_CHARS})
    chars = [c for c in chars if c in have]
    digest = hashlib.sha256(
        f"pdf{PDF_FONT_FORMAT}|{path.stat().st_size}|{','.join(map(str, chars))}".encode()
    ).hexdigest()[:16]
    folder = charts.cache_dir()
    targets = {style: folder / f"{digest}-pdf-{weight}.ttf"
               for style, (_n, weight, _c) in STYLES.items()}
    with _lock:
        missing = {s: t for s, t in targets.items() if not t.is_file()}
        if missing:
            _make(path, face, chars, missing)
            charts.prune_cache(folder, set(targets.values()))
        for target in targets.values():
            os.utime(target)  # in use: not to be pruned
    return targets


def _make(source: Path, face: int, chars: list[int], targets: dict[str, Path]) -> None:
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    with TTFont(str(source), fontNumber=face, lazy=True) as font:
        options = subset.Options()
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "STAT", "vhea", "vmtx",
                                "VVAR", "VORG"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=chars)
        subsetter.subset(font)
        order = font.getGlyphOrder()
        for style, target in targets.items():
            name, axis, weight_class = STYLES[style]
            glyphset = font.getGlyphSet(location={"wght": axis})
            glyphs, metrics = {}, {}
            for glyph_name in order:
                pen = TTGlyphPen(None)
                glyph = glyphset[glyph_name]
                glyph.draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
                glyphs[glyph_name] = pen.glyph()
                metrics[glyph_name] = round(glyph.width)
            static = TTFont()
            static.setGlyphOrder(order)
            for tag in ("head", "hhea", "OS/2", "cmap", "name", "post"):
                static[tag] = font[tag]
            glyf = newTable("glyf")
            glyf.glyphOrder = order
            glyf.glyphs = glyphs
            static["glyf"] = glyf
            static["loca"] = newTable("loca")
            hmtx = newTable("hmtx")
            hmtx.metrics = {}
            for glyph_name in order:
                glyph = glyphs[glyph_name]
                glyph.recalcBounds(glyf)
                hmtx.metrics[glyph_name] = (metrics[glyph_name], getattr(glyph, "xMin", 0))
            static["hmtx"] = hmtx
            maxp = newTable("maxp")
            maxp.tableVersion = 0x00010000
            for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                         "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                         "maxComponentElements", "maxPoints", "maxContours",
                         "maxCompositePoints", "maxCompositeContours", "maxComponentDepth"):
                setattr(maxp, attr, 0)
            maxp.maxZones = 1
            maxp.numGlyphs = len(order)
            static["maxp"] = maxp
            static["head"].glyphDataFormat = 0
            static["post"].formatType = 3.0
            static["OS/2"].usWeightClass = weight_class
            names = static["name"]
            for name_id in (1, 2, 3, 4, 6, 16, 17, 21, 22, 25):
                names.removeNames(nameID=name_id)
            postscript = FAMILY.replace(" ", "") + "-" + name
            for name_id, value in ((1, FAMILY), (2, name), (3, postscript),
                                   (4, f"{FAMILY} {name}"), (6, postscript)):
                names.setName(value, name_id, 3, 1, 0x409)
            static.sfntVersion = "\x00\x01\x00\x00"
            partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.part")
            static.save(str(partial))
            os.replace(partial, target)
