"""Tracking charts (stage 5) for the console and the analysis notebook, as PNG bytes.

``timeline_chart`` draws each group's actions against the calendar (from
:func:`actionlab.frames.action_timeline`); ``trend_chart`` the share of actions done per
group, meeting by meeting (from :func:`actionlab.frames.progress_trend`). Fonts, sizes,
colours and the "no data yet" picture are those of :mod:`actionlab.charts`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

import pandas as pd
from matplotlib import dates as mdates
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from .charts import (
    GRID,
    INK,
    LABEL,
    LEGEND,
    MUTED,
    NOTE,
    PALETTE,
    SUBTITLE,
    TICK,
    _chart,
    _no_data,
    _png,
    _tick_labels,
    _width,
    shorten,
)
from .i18n import translator
from .library import default_library

__all__ = ["timeline_chart", "trend_chart", "status_labels", "STATUS_COLOURS"]

#: Colour of each action status (Okabe–Ito, as the other charts).
STATUS_COLOURS = {"not_started": "#BBBBBB", "in_progress": "#0072B2", "done": "#009E73",
                  "blocked": "#E69F00"}
OVERDUE = "#D55E00"
DATE_FORMAT = "%Y-%m-%d"


def status_labels(lang: str) -> dict[str, str]:
    """Status key → its title on the action plan canvas (data/canvases/actions.yaml)."""
    field = default_library().canvas("actions").column("actions").field("status")
    return {o.key: o.title(lang) for o in field.options}


def _colour(status: str, order: list[str]) -> str:
    if status in STATUS_COLOURS:
        return STATUS_COLOURS[status]
    return PALETTE[(order.index(status) if status in order else 0) % len(PALETTE)]


def _num(value) -> float:
    """A date or time as matplotlib's day number."""
    return mdates.date2num(pd.Timestamp(value).to_pydatetime())


def _today(timeline, today) -> pd.Timestamp:
    given = today if today is not None else getattr(timeline, "attrs", {}).get("today")
    return pd.Timestamp(given if given is not None else date.today()).normalize()


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter(DATE_FORMAT))


def timeline_chart(timeline, lang: str, *, today: date | datetime | str | None = None,
                   title: str | None = None, labels: Mapping[str, str] | None = None,
                   limit: int = 24) -> bytes:
    """Each action as a bar from the day it was written to its due date, grouped by group,
    coloured by status; overdue actions are outlined in red with a hatched stretch up to
    today and the days late written beside it; a dashed line marks today. ``timeline`` is
    :func:`actionlab.frames.action_timeline`; ``today`` defaults to the day it was made for.
    At most ``limit`` actions are drawn (overdue ones first to stay)."""
    _ = translator(lang)
    title = title or _("Actions against their due dates")
    dated = (timeline[timeline["start"].notna() | timeline["due"].notna()]
             if timeline is not None and len(timeline) else None)
    if dated is None or len(dated) == 0:
        return _no_data(title, _("No actions yet"))
    labels = {**status_labels(lang), **(labels or {})}
    day = _today(timeline, today)
    shown = dated
    if len(dated) > limit:  # keep the overdue ones, then the earliest due
        keep = dated.sort_values(["overdue", "due"], ascending=[False, True],
                                 na_position="last", kind="stable").head(limit).index
        shown = dated.loc[dated.index.isin(keep)]
    split = "workshop" in shown.columns and shown["workshop"].nunique() > 1
    keys = ["workshop", "group"] if split else ["group"]
    fig, ax = _chart(title, grid_axis="x")
    order = [str(s) for s in shown["status"].cat.categories] if isinstance(
        shown["status"].dtype, pd.CategoricalDtype) else list(STATUS_COLOURS)
    ticks, names, heads, late_ticks = [], [], [], []
    y = 0
    for key, rows in shown.groupby(keys, observed=True, sort=True):
        head = " · ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        if y:
            ax.axhline(y - 0.5, color=GRID, linewidth=1.5, zorder=1)
        ticks.append(y)
        names.append(shorten(head, 34))
        heads.append(len(ticks) - 1)
        y += 1
        for row in rows.itertuples(index=False):
            _action_bar(ax, row, y, day, order, _)
            ticks.append(y)
            who = f" · {shorten(row.owner, 12)}" if isinstance(row.owner, str) and row.owner else ""
            names.append(shorten(row.action, 38 - _width(who)) + who)
            if row.overdue:
                late_ticks.append(len(ticks) - 1)
            y += 1
    ax.axvline(_num(day), color=INK, linestyle="--", linewidth=2, zorder=4)
    ax.annotate(_("Today"), (_num(day), 1.0), xycoords=("data", "axes fraction"),
                xytext=(0, 6), textcoords="offset points", ha="center", va="bottom",
                fontsize=NOTE, fontweight="bold", color=INK)
    ax.set_yticks(ticks, _tick_labels(names))
    for index, tick in enumerate(ax.get_yticklabels()):
        if index in heads:
            tick.set_fontweight("bold")
        elif index in late_ticks:
            tick.set_color(OVERDUE)
    ax.tick_params(axis="y", length=0, labelsize=TICK - 2)
    ax.set_ylim(y - 0.4, -0.7)
    points = [_num(v) for v in (*shown["start"], *shown["due"], day) if not pd.isna(v)]
    span = max(max(points) - min(points), 14)
    ax.set_xlim(min(points) - span * 0.03, max(points) + span * 0.12)
    _date_axis(ax)
    if len(dated) > len(shown):
        ax.set_title(_("{n} more actions not shown", n=len(dated) - len(shown)), loc="right",
                     fontsize=SUBTITLE, color=MUTED)
    present = [s for s in order if (shown["status"] == s).any()] or order
    handles = [Patch(color=_colour(s, order)) for s in present]
    names = [labels.get(s, s) for s in present]
    handles += [Patch(facecolor="white", edgecolor=OVERDUE, hatch="///", linewidth=2),
                Line2D([], [], color=INK, linestyle="--", linewidth=2)]
    names += [_("Overdue"), _("Today")]
    fig.legend(handles, names, loc="outside lower center", ncols=len(names), fontsize=LEGEND,
               frameon=False)
    return _png(fig)


def _action_bar(ax, row, y: int, day: pd.Timestamp, order: list[str], _) -> None:
    start = row.start if not pd.isna(row.start) else row.due
    status = str(row.status) if isinstance(row.status, str) else ""
    colour = _colour(status, order) if status else "#DDDDDD"
    if pd.isna(row.due):  # no due date: a pale bar up to today, and a note
        end = max(day, start + timedelta(days=1))
        ax.barh(y, _num(end) - _num(start), left=_num(start), height=0.6, color=colour,
                alpha=0.35, zorder=2)
        ax.annotate(_("no due date"), (_num(end), y), xytext=(6, 0), textcoords="offset points",
                    ha="left", va="center", fontsize=NOTE - 2, color=MUTED)
        return
    left, right = sorted((_num(start), _num(row.due)))
    ax.barh(y, max(right - left, 0.8), left=left, height=0.6, color=colour, zorder=2,
            edgecolor=OVERDUE if row.overdue else "white", linewidth=3 if row.overdue else 1)
    if row.overdue:
        ax.barh(y, _num(day) - _num(row.due), left=_num(row.due), height=0.6,
                facecolor="none", edgecolor=OVERDUE, hatch="///", linewidth=2, zorder=3)
        ax.annotate(_("{n} d late", n=int(row.days_overdue)), (_num(day), y), xytext=(8, 0),
                    textcoords="offset points", ha="left", va="center", fontsize=NOTE,
                    fontweight="bold", color=OVERDUE, zorder=5)


def trend_chart(trend, lang: str, *, status: str = "done", title: str | None = None,
                labels: Mapping[str, str] | None = None) -> bytes:
    """One line per group: the share of its actions in ``status`` (done by default) at each
    meeting, against the meetings' dates; the last value is written at the line's end.
    ``trend`` is :func:`actionlab.frames.progress_trend` (one or several workshops)."""
    _ = translator(lang)
    label = {**status_labels(lang), **(labels or {})}.get(status, status)
    title = title or (_("Share of actions done, meeting by meeting") if status == "done" else
                      _("Share of actions: {status}, meeting by meeting", status=label))
    column = f"{status}_share"
    points = (trend[trend[column].notna()] if trend is not None and len(trend)
              and column in trend.columns else None)
    if points is None or len(points) == 0:
        return _no_data(title, _("No meetings with actions yet"))
    fig, ax = _chart(title)
    split = "workshop" in points.columns and points["workshop"].nunique() > 1
    keys = ["workshop", "group"] if split else ["group"]
    ends = []
    lines = points.groupby(keys, observed=True, sort=True)
    for i, (key, rows) in enumerate(lines):
        rows = rows.sort_values("date", kind="stable")
        name = " · ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        xs = [_num(d) for d in rows["date"]]
        colour = PALETTE[i % len(PALETTE)]
        ax.plot(xs, list(rows[column]), marker="o", markersize=12, linewidth=4, color=colour,
                label=shorten(name, 30), zorder=3 + i / 100)
        ends.append((xs[-1], float(rows[column].iloc[-1]), colour))
    _end_labels(ax, ends)
    dates = sorted({_num(d) for d in points["date"]})
    span = max(dates[-1] - dates[0], 14)
    ax.set_xlim(dates[0] - span * 0.05, dates[-1] + span * 0.15)
    years = {pd.Timestamp(d).year for d in points["date"]}
    if not split and len(dates) <= 10:  # a tick at each meeting, with its number
        meetings = points.drop_duplicates("date").sort_values("date")
        short = "%m-%d" if len(years) == 1 else DATE_FORMAT
        ax.set_xticks([_num(d) for d in meetings["date"]], [
            f"{pd.Timestamp(d):{short}}\n" + _("Meeting {n}", n=int(n))
            for d, n in zip(meetings["date"], meetings["meeting_number"], strict=True)])
        ax.tick_params(axis="x", labelsize=NOTE)
        if len(years) == 1:
            ax.set_xlabel(str(years.pop()), fontsize=NOTE, color=MUTED)
    else:
        _date_axis(ax)
    ax.set_ylim(-0.04, 1.1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel(_("Share of the group's actions"), fontsize=LABEL)
    ax.grid(axis="x", color=GRID, linewidth=1)
    if lines.ngroups > 3:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=LEGEND - 2,
                  frameon=False)
    else:
        fig.legend(loc="outside lower center", ncols=lines.ngroups, fontsize=LEGEND,
                   frameon=False)
    return _png(fig)


def _end_labels(ax, ends: list[tuple[float, float, str]], gap: float = 0.075) -> None:
    """The last value of each line beside its end; labels of lines ending close together
    are moved apart (``gap`` in shares) so that none hides another."""
    placed: list[tuple[float, float, float, str]] = []
    for x, value, colour in sorted(ends, key=lambda e: (e[1], e[0])):
        y = value
        for px, _value, py, _colour in placed:
            if abs(px - x) < 12 and y - py < gap:
                y = py + gap
        placed.append((x, value, y, colour))
    for x, value, y, colour in placed:
        ax.annotate(f"{value:.0%}", (x, y), xytext=(12, 0), textcoords="offset points",
                    ha="left", va="center", fontsize=LABEL, fontweight="bold", color=colour,
                    annotation_clip=False)
