"""Evaluation charts for the console and the projector, as PNG bytes (matplotlib, Agg).

Facilitator-side only, like :mod:`actionlab.charts`, whose figure, font and text helpers
this module uses (Chinese set in the packaged Noto Sans CJK, typed text drawn as plain text).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .charts import (
    INK,
    LABEL,
    LEGEND,
    MUTED,
    NOTE,
    PALETTE,
    SUBTITLE,
    _chart,
    _no_data,
    _png,
    _tick_labels,
    shorten,
)
from .i18n import translator

__all__ = ["satisfaction_bars"]

WARN = "#D55E00"  # a flagged entry: far below the overall share
GOOD = PALETTE[0]


def satisfaction_bars(shares: Mapping[str, float | None], overall: float | None, lang: str, *,
                      flagged: Iterable[str] = (), counts: Mapping[str, int] | None = None,
                      title: str | None = None, gap: float | None = None) -> bytes:
    """One bar per breakdown entry (group, level …) of the share of answers at "satisfied"
    or above, in percent, with the overall share as a line; flagged entries in the warning
    colour. ``counts`` (answers per entry) are written under the labels."""
    _ = translator(lang)
    title = title or _("Satisfied or above")
    entries = [e for e, s in (shares or {}).items() if s is not None]
    if not entries or overall is None:
        return _no_data(title, _("No answers yet"))
    flagged = set(flagged)
    fig, ax = _chart(title)
    values = [100 * shares[e] for e in entries]
    colours = [WARN if e in flagged else GOOD for e in entries]
    ax.bar(range(len(entries)), values, 0.6, color=colours, zorder=2)
    for x, (entry, value) in enumerate(zip(entries, values, strict=True)):
        ax.annotate(f"{value:.0f}%" + (" ⚠" if entry in flagged else ""), (x, value),
                    xytext=(0, 6), textcoords="offset points", ha="center", va="bottom",
                    fontsize=LABEL, fontweight="bold", color=WARN if entry in flagged else INK)
    ax.axhline(100 * overall, color=INK, linewidth=3, linestyle="--", zorder=3)
    labels = [shorten(e, 18) + (f"\n{_('{n} answers', n=counts[e])}" if counts and e in counts else "")
              for e in entries]
    ax.set_xticks(range(len(entries)), _tick_labels(labels))
    ax.set_xlim(-0.6, len(entries) - 0.4)
    ax.set_ylim(0, 112)
    ax.set_yticks(range(0, 101, 20), [f"{v}%" for v in range(0, 101, 20)])
    ax.set_ylabel(_("Answers at satisfied or above"), fontsize=LABEL)
    if gap is not None:
        ax.set_title(_("Flagged: {n} points or more below overall", n=round(100 * gap)),
                     loc="right", fontsize=SUBTITLE, color=MUTED)
    handles = [Line2D([], [], color=INK, linewidth=3, linestyle="--"), Patch(color=GOOD)]
    names = [_("Overall {share}", share=f"{100 * overall:.0f}%"), _("Within the gap")]
    if flagged & set(entries):
        handles.append(Patch(color=WARN))
        names.append(_("Far below overall"))
    fig.legend(handles, names, loc="outside lower center", ncols=len(names), fontsize=LEGEND,
               frameon=False)
    for tick, entry in zip(ax.get_xticklabels(), entries, strict=True):
        tick.set_fontsize(NOTE + 2)
        if entry in flagged:
            tick.set_color(WARN)
            tick.set_fontweight("bold")
    return _png(fig)
