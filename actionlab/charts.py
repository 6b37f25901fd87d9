"""Charts for the console and the projector, as PNG bytes (matplotlib, Agg, no pyplot).

Every chart is made for a room: 1600×900 pixels, large type, readable from the back.
Chinese is set in Noto Sans CJK SC from the ``manimgx-fonts-cjk`` package, never from the
system's fonts. That file is a variable font whose default instance is Thin, and matplotlib
cannot choose a weight of a variable font, so the glyphs a chart uses are cut out of it and
fixed at Medium and Bold with fontTools (about a second for a new set of characters; kept on
disk in the user's cache folder and reused).

Text people typed is drawn as plain text: no mathtext (``$`` stays a dollar sign), no TeX.
The same input gives the same bytes. Empty data gives a "no data yet" picture.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import os
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

from .i18n import translator

__all__ = ["setup_fonts", "to_data_uri", "score_bars", "vote_bars", "impact_matrix",
           "fist_to_five", "diversity_bars", "shorten", "wrap"]

# -- fonts --------------------------------------------------------------------------------
FONT_FILE = "NotoSansCJK-VF.otf.ttc"
SC_FAMILY = "Noto Sans CJK SC"
FALLBACK_FAMILY = "DejaVu Sans"  # ships with matplotlib: symbols Noto lacks
#: Weight as matplotlib asks for it → (style name, position on the font's weight axis).
#: "normal" text is set a little heavier than Regular (Medium) to read well on a projector.
WEIGHTS = {400: ("Regular", 500), 700: ("Bold", 700)}
#: Always in a chart's font: what matplotlib itself may draw (tick numbers, minus sign …).
BASE_CHARS = "".join(chr(c) for c in range(0x20, 0x7F)) + "−…×·—–‘’“”✓★□•"
MISSING = "□"  # stands for a character no font here has (an emoji, say)
FONT_FORMAT = 3  # bump when the way chart fonts are cut changes
CACHE_LIMIT = 300  # font files kept in the cache folder
CACHE_KEEP_S = 24 * 3600  # a file used within this time is never pruned

_lock = threading.Lock()
#: Digest of a character set → its family name and font files, as registered with matplotlib.
_families: dict[str, tuple[str, tuple[Path, ...]]] = {}


@cache
def setup_fonts() -> Path:
    """Find the packaged Noto Sans CJK collection and check that it holds Simplified Chinese
    (once; later calls return the same path)."""
    import manimgx_fonts_cjk

    path = Path(manimgx_fonts_cjk.__file__).resolve().with_name(FONT_FILE)
    if not path.is_file():
        raise RuntimeError(f"the CJK font {FONT_FILE} is missing beside {manimgx_fonts_cjk.__file__}")
    _sc_face(path)
    return path


@cache
def _sc_face(path: Path) -> tuple[int, frozenset[int]]:
    """Index of the Simplified Chinese face in the collection, and the code points it has."""
    from matplotlib.ft2font import FT2Font

    faces = FT2Font(str(path)).num_faces
    for index in range(faces):
        face = FT2Font(str(path), face_index=index)
        if face.family_name == SC_FAMILY:
            return index, frozenset(face.get_charmap())
    raise RuntimeError(f"{path.name} has no face named {SC_FAMILY!r}")


@cache
def _fallback_chars() -> frozenset[int]:
    """Code points of the DejaVu Sans that matplotlib ships."""
    import matplotlib
    from matplotlib.ft2font import FT2Font

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return frozenset(FT2Font(str(path)).get_charmap())


def _cache_dir() -> Path:
    import platformdirs

    for base in (Path(platformdirs.user_cache_dir("actionlab")),
                 Path(tempfile.gettempdir()) / "actionlab-cache"):
        folder = base / "fonts"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    raise RuntimeError("no writable folder for chart fonts")


def _cut(source: Path, face: int, chars: list[int], family: str, targets: dict[int, Path]) -> None:
    """Subset the variable face to ``chars`` and write one static font per weight."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.varLib import instancer

    with TTFont(str(source), fontNumber=face, lazy=True) as font:
        options = subset.Options()
        # Outlines and metrics only. The layout tables of a CJK font are large and slow to
        # subset and to fix at a weight; a chart needs neither their alternate forms
        # (vertical, other locales) nor the kerning of its Latin letters.
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "STAT",
                                "vhea", "vmtx", "VVAR", "VORG"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=chars)
        subsetter.subset(font)
        last = list(targets)[-1]
        for weight, target in targets.items():
            style, axis = WEIGHTS[weight]
            with instancer.instantiateVariableFont(font, {"wght": axis},
                                                   inplace=weight == last) as static:
                names = static["name"]
                for name_id in (1, 2, 3, 4, 6, 16, 17, 21, 22):
                    names.removeNames(nameID=name_id)
                postscript = family.replace(" ", "") + "-" + style
                for name_id, value in ((1, family), (2, style), (3, postscript),
                                       (4, f"{family} {style}"), (6, postscript)):
                    names.setName(value, name_id, 3, 1, 0x409)
                static["OS/2"].usWeightClass = weight
                static.recalcTimestamp = False
                partial = target.with_name(
                    f"{target.name}.{os.getpid()}.{threading.get_ident()}.part")
                static.save(str(partial))
            os.replace(partial, target)


def _prune(folder: Path, keep: set[Path]) -> None:
    """Remove the oldest fonts beyond ``CACHE_LIMIT`` that nobody used for a day."""
    try:
        files = sorted([*folder.glob("*.otf"), *folder.glob("*.ttf")],
                       key=lambda p: p.stat().st_mtime)
    except OSError:
        return
    old = time.time() - CACHE_KEEP_S
    for path in files[: max(len(files) - CACHE_LIMIT, 0)]:
        try:
            if path not in keep and path.stat().st_mtime < old:
                path.unlink()
        except OSError:
            pass


@cache
def _known_chars() -> frozenset[int]:
    """Code points that Noto Sans CJK SC or DejaVu Sans has, and the line breaks."""
    return _sc_face(setup_fonts())[1] | _fallback_chars() | {ord("\n"), ord("\t")}


def _printable(text: str) -> str:
    """``text`` with characters that no chart font has replaced by a box."""
    have = _known_chars()
    if all(ord(ch) in have for ch in text):
        return text
    return "".join(ch if ord(ch) in have else MISSING for ch in text)


#: Public names for the other users of the packaged font (PDF records).
printable = _printable
sc_face = _sc_face
cache_dir = _cache_dir
prune_cache = _prune


def _tick_labels(labels: Iterable[str]) -> list[str]:
    """Tick labels are drawn from the list given here (set again on every draw), so they are
    made printable before they are set."""
    return [_printable(label) for label in labels]


def font_family(texts: Iterable[str]) -> str:
    """The name of a registered font family (Medium and Bold) that holds every character of
    ``texts`` that Noto Sans CJK SC has, cut from the packaged font."""
    path = setup_fonts()
    face, have = _sc_face(path)
    chars = sorted({ord(ch) for text in texts for ch in text} | {ord(ch) for ch in BASE_CHARS})
    chars = [c for c in chars if c in have]
    stat = path.stat()
    digest = hashlib.sha256(
        f"{FONT_FORMAT}|{stat.st_size}|{','.join(map(str, chars))}".encode()).hexdigest()[:16]
    with _lock:
        known = _families.get(digest)
        if known and all(p.is_file() for p in known[1]):
            for target in known[1]:
                os.utime(target)  # in use: not to be pruned
            return known[0]
        family = f"ActionLab CJK {digest}"
        folder = _cache_dir()
        targets = {w: folder / f"{digest}-{w}.otf" for w in WEIGHTS}
        missing = {w: t for w, t in targets.items() if not t.is_file()}
        if missing:
            _cut(path, face, chars, family, missing)
            _prune(folder, set(targets.values()))
        manager = font_manager.fontManager
        # Entries of files gone from the cache would make matplotlib rebuild its font list.
        manager.ttflist = [e for e in manager.ttflist if e.name != family]
        for target in targets.values():
            os.utime(target)
            manager.addfont(str(target))
        _families[digest] = (family, tuple(targets.values()))
        return family


# -- text ---------------------------------------------------------------------------------
def _columns(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def shorten(text: str, limit: int) -> str:
    """One line of at most ``limit`` columns (a Chinese character takes two), with an
    ellipsis when cut."""
    clean = " ".join(str(text).split())
    if _width(clean) <= limit:
        return clean
    out, used = [], 0
    for ch in clean:
        if used + _columns(ch) > limit - 1:
            break
        out.append(ch)
        used += _columns(ch)
    return "".join(out).rstrip() + "…"


def _tokens(text: str) -> list[str]:
    """Words of Latin text and single Chinese characters, spaces kept as their own tokens."""
    out: list[str] = []
    for ch in text:
        if ch == " " or _columns(ch) == 2:
            out.append(ch)
        elif out and out[-1] != " " and _columns(out[-1][-1]) == 1:
            out[-1] += ch
        else:
            out.append(ch)
    return out


#: Punctuation that never begins a line: it stays at the end of the line before.
NO_LINE_START = set("，。、；：？！）」』”’》〉】…,.;:?!)]}%")


def _width(text: str) -> int:
    return sum(map(_columns, text))


def wrap(text: str, limit: int, lines: int = 2) -> str:
    """At most ``lines`` lines of ``limit`` columns, broken between words or Chinese
    characters; what does not fit ends in an ellipsis."""
    rows: list[str] = []
    row = ""
    for token in _tokens(" ".join(str(text).split())):
        if _width(row + token) <= limit or (token in NO_LINE_START and row.strip()):
            row += token
            continue
        if row.strip():
            rows.append(row.rstrip())
        row = ""
        if token == " ":
            continue
        for ch in token:  # a word longer than a line is cut
            if _width(row + ch) > limit:
                rows.append(row)
                row = ""
            row += ch
    if row.strip():
        rows.append(row.rstrip())
    if len(rows) > lines:
        last = rows[lines - 1]
        while last and _width(last) + 1 > limit:
            last = last[:-1]
        rows = rows[: lines - 1] + [last.rstrip() + "…"]
    return "\n".join(rows)


# -- figures ------------------------------------------------------------------------------
DPI = 100
SIZE = (16, 9)  # inches at DPI: 1600×900 pixels, the shape of a projector
SMALL = (9.6, 5.4)  # 960×540 for the fist-to-five check
TITLE, SUBTITLE, LABEL, TICK, NOTE, LEGEND = 30, 20, 22, 20, 18, 18
INK, MUTED, GRID = "#222222", "#666666", "#dddddd"
#: Colours that stay apart for colour-blind people (Okabe–Ito), then more.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000", "#8C564B", "#7F7F7F"]
CHOSEN = "#D55E00"
LOW_HAND, HIGH_HAND = "#D55E00", "#009E73"


def _figure(size: tuple[float, float] = SIZE) -> Figure:
    fig = Figure(figsize=size, dpi=DPI, facecolor="white", layout="constrained")
    FigureCanvasAgg(fig)
    fig.get_layout_engine().set(h_pad=0.15, w_pad=0.15)
    return fig


def _style(ax, grid_axis: str = "y") -> None:
    ax.set_facecolor("white")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(MUTED)
    ax.tick_params(labelsize=TICK, colors=INK, length=6)
    if grid_axis:
        ax.grid(axis=grid_axis, color=GRID, linewidth=1)
        ax.set_axisbelow(True)


def _title(fig: Figure, text: str) -> None:
    fig.suptitle(text, fontsize=TITLE, fontweight="bold", color=INK)


def _chart(title: str, size: tuple[float, float] = SIZE, grid_axis: str = "y"):
    """A titled figure with one plot: ``(figure, axes)``."""
    fig = _figure(size)
    _title(fig, title)
    ax = fig.add_subplot()
    _style(ax, grid_axis)
    return fig, ax


def _set_fonts(fig: Figure) -> None:
    """Set every text of the figure in the chart font, as plain text (no mathtext, no TeX).
    Tick labels matplotlib makes while drawing are numbers, which the font always has."""
    texts = fig.findobj(Text)
    for text in texts:
        text.set_text(_printable(text.get_text()))
    family = [font_family(t.get_text() for t in texts), FALLBACK_FAMILY]
    for text in texts:
        text.set_fontfamily(family)
        text.set_parse_math(False)
        text.set_usetex(False)
    for ax in fig.axes:
        ax.tick_params(which="both", labelfontfamily=family)


def _png(fig: Figure) -> bytes:
    _set_fonts(fig)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return out.getvalue()


def _no_data(title: str, message: str, size: tuple[float, float] = SIZE) -> bytes:
    fig, ax = _chart(title, size, grid_axis="")
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=TITLE, color=MUTED,
            transform=ax.transAxes)
    return _png(fig)


def to_data_uri(png: bytes) -> str:
    """``data:image/png;base64,…`` for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _present(value) -> bool:
    """A number, not None, NaN or pandas' NA."""
    try:
        return not math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def _rank_label(rank, text: str, chosen: bool, limit: int, lines: int) -> str:
    head = ("✓ " if chosen else "") + (f"{int(rank)}. " if _present(rank) else "")
    return wrap(head + " ".join(str(text).split()), limit, lines)


# -- charts -------------------------------------------------------------------------------
def score_bars(ranking, criteria: Sequence[tuple[str, str]], lang: str, *, low: int = 1,
               high: int = 5, limit: int = 8, title: str | None = None) -> bytes:
    """Grouped bars of the mean score per card and criterion, best card first, with the
    weighted total marked over each group. ``ranking`` is :func:`actionlab.analysis.ranking`;
    ``criteria`` are ``(key, label)`` in the definition's order."""
    _ = translator(lang)
    title = title or _("Scores by criterion")
    criteria = [(k, label) for k, label in criteria if k in getattr(ranking, "columns", ())]
    if ranking is None or len(ranking) == 0 or not criteria or ranking["total"].isna().all():
        return _no_data(title, _("No scores yet"))
    shown = ranking.head(limit)
    n = len(shown)
    fig, ax = _chart(title)
    width = 0.8 / len(criteria)
    for i, (key, label) in enumerate(criteria):
        offsets = [x - 0.4 + width * (i + 0.5) for x in range(n)]
        ax.bar(offsets, shown[key].fillna(0), width * 0.92, label=label,
               color=PALETTE[i % len(PALETTE)], zorder=2)
    for x, total in enumerate(shown["total"]):
        if _present(total):
            ax.hlines(total, x - 0.44, x + 0.44, colors=INK, linewidth=4, zorder=3)
            ax.annotate(f"{total:.1f}", (x, total), xytext=(0, 8), textcoords="offset points",
                        ha="center", va="bottom", fontsize=LABEL, fontweight="bold", color=INK,
                        zorder=4, bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                                        "edgecolor": "none", "alpha": 0.85})
        else:
            ax.text(x, 0.15, _("not scored yet"), ha="center", va="bottom", fontsize=NOTE,
                    color=MUTED)
    # About 1350 pixels of plot for n groups; a column of text is some 14 pixels wide.
    per_line = max(8, min(30, 82 // max(n, 1)))
    decided = list(shown["decided"]) if "decided" in shown else [False] * n
    labels = [_rank_label(rank, text, chosen, per_line, 3)
              for rank, text, chosen in zip(shown["rank"], shown["text"], decided, strict=True)]
    ax.set_xticks(range(n), _tick_labels(labels))
    for tick, chosen in zip(ax.get_xticklabels(), decided, strict=True):
        if chosen:
            tick.set_fontweight("bold")
            tick.set_color(CHOSEN)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(0, high + 0.9)
    ax.set_yticks(range(0, high + 1))
    ax.set_ylabel(_("Mean score ({low} to {high})", low=low, high=high), fontsize=LABEL)
    if len(ranking) > n:
        ax.set_title(_("Best {n} of {total}", n=n, total=len(ranking)), loc="right",
                     fontsize=SUBTITLE, color=MUTED)
    handles, names = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color=INK, linewidth=4))
    names.append(_("Weighted total"))
    fig.legend(handles, names, loc="outside lower center", ncols=min(len(names), 7),
               fontsize=LEGEND, frameon=False)
    return _png(fig)


def vote_bars(votes, lang: str, *, column_labels: Mapping[str, str] | None = None,
              limit: int = 12, title: str | None = None) -> bytes:
    """Horizontal bars of the dots per card, most first. ``votes`` is
    :func:`actionlab.analysis.vote_results`; with ``column_labels`` the bars are coloured by
    column, with a legend."""
    _ = translator(lang)
    title = title or _("Votes")
    if votes is None or len(votes) == 0 or int(votes["votes"].sum()) == 0:
        return _no_data(title, _("No votes yet"))
    shown = votes.head(limit)
    n = len(shown)
    fig, ax = _chart(title, grid_axis="x")
    order = list(column_labels or ())  # the canvas's order of columns
    columns = sorted(dict.fromkeys(shown["column"]),
                     key=lambda c: order.index(c) if c in order else len(order))
    by_column = bool(column_labels) and len(columns) > 1
    colour = {c: PALETTE[i % len(PALETTE)] if by_column else PALETTE[0]
              for i, c in enumerate(columns)}
    ys = list(range(n))[::-1]  # most votes on top
    ax.barh(ys, shown["votes"], 0.7, color=[colour[c] for c in shown["column"]], zorder=2)
    top = int(shown["votes"].max())
    for y, count in zip(ys, shown["votes"], strict=True):
        ax.annotate(str(int(count)), (count, y), xytext=(8, 0), textcoords="offset points",
                    ha="left", va="center", fontsize=LABEL, fontweight="bold", color=INK)
    ax.set_yticks(ys, _tick_labels(shorten(t, 40) for t in shown["text"]))
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlim(0, top * 1.12 + 0.6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_("Votes"), fontsize=LABEL)
    if len(votes) > n:
        ax.set_title(_("{n} more cards not shown", n=len(votes) - n), loc="right",
                     fontsize=SUBTITLE, color=MUTED)
    if by_column:
        fig.legend([Patch(color=colour[c]) for c in columns],
                   [column_labels.get(c, c) for c in columns], loc="outside lower center",
                   ncols=len(columns), fontsize=LEGEND, frameon=False)
    return _png(fig)


def impact_matrix(matrix, x_label: str, y_label: str, low: int, high: int, lang: str, *,
                  title: str | None = None) -> bytes:
    """Each option as a point at its mean scores on the two criteria (``x`` and ``y`` of
    :func:`actionlab.analysis.matrix_frame`), over the four quadrants; high on both is
    shaded as the quick wins. Chosen options are stars."""
    _ = translator(lang)
    title = title or _("{x} and {y} of the options", x=x_label, y=y_label)
    placed = matrix.dropna(subset=["x", "y"]) if matrix is not None and len(matrix) else None
    if placed is None or len(placed) == 0:
        return _no_data(title, _("No scores yet"))
    fig, ax = _chart(title, grid_axis="")
    lo, hi, mid = low - 0.5, high + 0.5, (low + high) / 2
    ax.add_patch(Rectangle((mid, mid), hi - mid, hi - mid, color="#DFF2E1", zorder=0))
    ax.axvline(mid, color=MUTED, linewidth=1.5, linestyle="--", zorder=1)
    ax.axhline(mid, color=MUTED, linewidth=1.5, linestyle="--", zorder=1)
    corners = [(hi, hi, "right", "top", _("Quick wins"), "#1B7F3B"),
               (hi, lo, "right", "bottom", _("Major projects"), MUTED),
               (lo, hi, "left", "top", _("Fill-ins"), MUTED),
               (lo, lo, "left", "bottom", _("Not worth it now"), MUTED)]
    obstacles = [
        ax.annotate(text, (x, y), xytext=(-12 if ha == "right" else 12, -10 if va == "top" else 10),
                    textcoords="offset points", ha=ha, va=va, fontsize=LABEL,
                    fontweight="bold", color=colour, zorder=1)
        for x, y, ha, va, text, colour in corners]
    # Without a "decided" column nothing is chosen (placed points have no NaN: all False).
    chosen = placed["decided"].astype(bool) if "decided" in placed else placed["x"].isna()
    ax.scatter(placed["x"][~chosen], placed["y"][~chosen], s=320, color=PALETTE[0],
               edgecolors="white", linewidths=2, zorder=3)
    ax.scatter(placed["x"][chosen], placed["y"][chosen], s=900, marker="*", color=CHOSEN,
               edgecolors=INK, linewidths=1.5, zorder=4)
    labels = []
    order = sorted(zip(placed["x"], placed["y"], placed["text"], chosen, strict=True),
                   key=lambda row: not row[3])  # chosen options get the best places
    for x, y, text, pick in order:
        label = ax.annotate(shorten(text, 26), (x, y), xytext=(LABEL_GAP, 0),
                            textcoords="offset points", ha="left", va="center",
                            fontsize=LABEL - 2, fontweight="bold" if pick else "normal",
                            color=CHOSEN if pick else INK, zorder=5,
                            arrowprops={"arrowstyle": "-", "color": MUTED, "linewidth": 1,
                                        "shrinkA": 2, "shrinkB": 12})
        label.set_in_layout(False)
        labels.append((label, x, y))
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xticks(range(low, high + 1))
    ax.set_yticks(range(low, high + 1))
    ax.set_xlabel(x_label, fontsize=LABEL)
    ax.set_ylabel(y_label, fontsize=LABEL)
    unplaced = len(matrix) - len(placed)
    if unplaced:
        ax.set_title(_("Not scored yet: {n}", n=unplaced), loc="right", fontsize=SUBTITLE,
                     color=MUTED)
    if chosen.any():
        fig.legend([Line2D([], [], marker="*", markersize=24, color=CHOSEN, linestyle="",
                           markeredgecolor=INK)], [_("Chosen")], loc="outside upper right",
                   fontsize=LEGEND, frameon=False)
    _set_fonts(fig)
    fig.draw_without_rendering()  # lays the figure out, so labels can be measured
    renderer = fig.canvas.get_renderer()
    _place_labels(ax, labels, renderer, [o.get_window_extent(renderer) for o in obstacles])
    return _png(fig)


LABEL_GAP = 16  # points between a point and its label
#: Where a label may go, tried in this order: (offset in points, horizontal alignment,
#: vertical alignment, drawn with a leader line). First beside or over the point, then
#: further away along a leader line.
_SPOTS = [((LABEL_GAP, 0), "left", "center", False), ((-LABEL_GAP, 0), "right", "center", False),
          ((0, LABEL_GAP), "center", "bottom", False), ((0, -LABEL_GAP), "center", "top", False),
          *(((sx * dx, sy * dy), "left" if sx > 0 else "right", "center", True)
            for dx in (40, 120, 240) for dy in (30, 60, 90, 120, 150)
            for sy in (1, -1) for sx in (1, -1))]


def _overlap(a: Bbox, b: Bbox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _place_labels(ax, labels: list, renderer, obstacles: list[Bbox], radius: float = 14,
                  rounds: int = 3) -> None:
    """Move each point's label to the first spot that covers no other label, no other point
    and no obstacle and stays inside the plot; failing that, to the spot that covers least.
    Later rounds place each label again against where all the others ended up."""
    frame = ax.get_window_extent(renderer)
    points = [ax.transData.transform((x, y)) for _label, x, y in labels]
    marks = [Bbox.from_extents(px - radius, py - radius, px + radius, py + radius)
             for px, py in points]

    def put(label, spot) -> Bbox:
        offset, ha, va, line = spot
        label.xyann = offset
        label.set_horizontalalignment(ha)
        label.set_verticalalignment(va)
        label.arrow_patch.set_visible(line)
        return Text.get_window_extent(label, renderer)  # the text, without its leader line

    boxes: list[Bbox | None] = [None] * len(labels)
    for _round in range(rounds):
        moved = False
        for i, (label, _x, _y) in enumerate(labels):
            others = [*obstacles, *(b for j, b in enumerate(boxes) if j != i and b is not None),
                      *(m for j, m in enumerate(marks) if j != i)]
            best, best_cost = _SPOTS[0], math.inf
            for spot in _SPOTS:
                box = put(label, spot)
                cost = (sum(_overlap(box, other) for other in others)
                        + 4 * (box.width * box.height - _overlap(box, frame)))
                if spot[3]:  # a leader line should not run through other labels
                    (px, py), (cx, cy) = points[i], box.get_points().mean(axis=0)
                    cost += 100 * sum(
                        other.contains(px + (cx - px) * t / 10, py + (cy - py) * t / 10)
                        for t in range(1, 10) for other in others)
                if cost < best_cost:
                    best, best_cost = spot, cost
                if cost == 0:
                    break
            box = put(label, best)
            moved = moved or boxes[i] is None or tuple(box.bounds) != tuple(boxes[i].bounds)
            boxes[i] = box
        if not moved:
            break


def fist_to_five(histogram: Sequence[int], lang: str, *, title: str | None = None,
                 agree: int = 3) -> bytes:
    """How many people show 0 to 5 fingers; fewer than ``agree`` in the warning colour."""
    _ = translator(lang)
    title = title or _("Fist to five")
    counts = [int(c) for c in histogram or []]
    if not counts or sum(counts) == 0:
        return _no_data(title, _("No hands shown yet"), SMALL)
    fig, ax = _chart(title, SMALL)
    hands = range(len(counts))
    ax.bar(hands, counts, 0.7, color=[LOW_HAND if h < agree else HIGH_HAND for h in hands],
           zorder=2)
    for h, c in zip(hands, counts, strict=True):
        if c:
            ax.annotate(str(c), (h, c), xytext=(0, 4), textcoords="offset points", ha="center",
                        va="bottom", fontsize=LABEL, fontweight="bold", color=INK)
    ax.set_xticks(list(hands), [str(h) for h in hands])
    ax.set_ylim(0, max(counts) * 1.25 + 0.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(_("Fingers shown"), fontsize=LABEL)
    ax.set_ylabel(_("People"), fontsize=LABEL)
    below = sum(counts[:agree])
    note = (_("Agreed: everyone shows {n} or more", n=agree) if below == 0 else
            _("{count} of {total} show less than {n}", count=below, total=sum(counts), n=agree))
    ax.set_title(note, fontsize=SUBTITLE, color=HIGH_HAND if below == 0 else LOW_HAND)
    return _png(fig)


def diversity_bars(diversity: Mapping[str, Mapping[str, Mapping[str, int]]],
                   attribute_labels: Mapping[str, str], lang: str, *,
                   title: str | None = None, most: int = 7) -> bytes:
    """One panel per attribute (in ``attribute_labels``' order), a stacked bar per group of
    how many people have each value; beyond the ``most`` commonest values the rest count as
    "other". An empty value counts as "not given"."""
    _ = translator(lang)
    title = title or _("Diversity of the groups")
    groups = list(diversity or {})
    attributes = list(attribute_labels)
    if not groups or not attributes or not any(
            n for g in groups for values in (diversity[g] or {}).values() for n in values.values()):
        return _no_data(title, _("Nobody is in a group yet"))
    fig = _figure()
    _title(fig, title)
    cols = 1 if len(attributes) == 1 else 2
    rows = math.ceil(len(attributes) / cols)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    other, not_given = _("other"), _("not given")
    for ax in axes[len(attributes):]:
        ax.remove()
    for ax, attribute in zip(axes[:len(attributes)], attributes, strict=True):
        _style(ax)
        per_group: dict[str, dict[str, int]] = {g: {} for g in groups}
        for g in groups:
            for value, n in ((diversity[g] or {}).get(attribute) or {}).items():
                key = str(value) if str(value).strip() else not_given
                per_group[g][key] = per_group[g].get(key, 0) + int(n)
        totals: dict[str, int] = {}
        for counts in per_group.values():
            for value, n in counts.items():
                totals[value] = totals.get(value, 0) + n
        order = sorted((v for v, n in totals.items() if n and v not in (other, not_given)),
                       key=lambda v: (-totals[v], v))
        keep = order if len(order) <= most + 1 else order[:most]
        rest = sum(n for v, n in totals.items() if v not in keep and v != not_given)
        values = keep + ([other] if rest else []) + ([not_given] if totals.get(not_given) else [])
        colour = {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(keep)}
        colour[other], colour[not_given] = "#BBBBBB", "#E5E5E5"
        bottoms = [0] * len(groups)
        for value in values:
            heights = [
                sum(n for v, n in per_group[g].items() if v not in keep and v != not_given)
                if value == other else per_group[g].get(value, 0)
                for g in groups]
            ax.bar(range(len(groups)), heights, 0.65, bottom=bottoms, color=colour[value],
                   label=shorten(value, 16), edgecolor="white", linewidth=1, zorder=2)
            for x, (b, h) in enumerate(zip(bottoms, heights, strict=True)):
                if h:
                    ax.text(x, b + h / 2, str(h), ha="center", va="center", fontsize=NOTE - 2,
                            color=INK if value in (other, not_given) else "white",
                            fontweight="bold")
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        ax.set_xticks(range(len(groups)), _tick_labels(shorten(g, 12) for g in groups))
        ax.tick_params(labelsize=NOTE)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(0, max(bottoms + [1]) * 1.08)
        ax.set_title(attribute_labels[attribute], fontsize=LABEL, fontweight="bold", color=INK)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=NOTE - 2,
                  frameon=False, reverse=True)
    return _png(fig)
