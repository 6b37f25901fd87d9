"""The charts that go into a session record, as PNG pictures with their titles.

Whole programme: every action against its due date and each group's share of actions done,
meeting by meeting. One group, or a case write-up: the same for that group. Minutes of a
meeting: the votes on each canvas the meeting worked on, per group, and the share of actions
done up to that meeting. Facilitator side only (pandas and matplotlib).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import pandas as pd

from . import frames, trackcharts
from .charts import vote_bars
from .i18n import translator
from .record import ChartRecord, WorkshopRecord

TABLES = ("groups", "members", "actions", "action_updates", "meetings")
#: Charts drawn lately, by what they show: exporting the same record in several formats
#: draws each chart once.
_drawn: OrderedDict[str, bytes] = OrderedDict()
_DRAWN_LIMIT = 32


def _cached(kind: str, frame: pd.DataFrame, draw, *args, **kwargs) -> bytes:
    key = hashlib.sha256(repr((kind, frame.to_json(orient="split", date_format="iso"), args,
                               sorted(kwargs.items()))).encode()).hexdigest()
    if key in _drawn:
        _drawn.move_to_end(key)
        return _drawn[key]
    png = draw(frame, *args, **kwargs)
    _drawn[key] = png
    while len(_drawn) > _DRAWN_LIMIT:
        _drawn.popitem(last=False)
    return png


def _tracking(store, library, ws, group_ids, _) -> tuple[pd.DataFrame, pd.DataFrame]:
    data = frames.workshop_frames(store, ws, tables=TABLES, library=library)
    if group_ids is not None:
        data = {name: (frame[frame["group_id"].isin(group_ids)] if "group_id" in frame else frame)
                for name, frame in data.items()}
    return frames.action_timeline(data), frames.progress_trend(data)


def record_charts(store, library, voting, ws, record: WorkshopRecord, *,
                  group_ids: list[int] | None = None, meeting=None) -> list[ChartRecord]:
    """The charts for ``record`` (its scope decides which); none for empty data."""
    _ = translator(ws.lang)
    out: list[ChartRecord] = []
    timeline, trend = _tracking(store, library, ws, group_ids, _)
    if meeting is not None:
        groups = {g.number: g.id for g in store.find_groups(ws.id)}
        for group in record.groups:
            for canvas in group.canvases:
                counts = voting.tally(ws, groups[group.number], canvas.key).counts
                rows = [(c.id, c.text, c.column, counts.get(c.id, 0))
                        for col in canvas.columns for c in col.cards]
                if not any(n for *_x, n in rows):
                    continue
                votes = pd.DataFrame(rows, columns=["card_id", "text", "column", "votes"])
                votes = votes.sort_values("votes", ascending=False, kind="stable")
                title = _("Votes: {canvas} — {group}", canvas=canvas.title, group=group.name)
                labels = {c.key: c.title for c in canvas.columns}
                out.append(ChartRecord(f"votes-{group.number}-{canvas.key}", title,
                                       _cached("votes", votes, vote_bars, ws.lang,
                                               column_labels=labels, title=title)))
    elif len(timeline):
        title = _("Actions against their due dates")
        out.append(ChartRecord("timeline", title,
                               _cached("timeline", timeline, trackcharts.timeline_chart,
                                       ws.lang, title=title)))
    if meeting is not None:  # the minutes of a meeting: the trend up to that meeting
        trend = trend[trend["meeting_number"] <= meeting.number]
    if record.scope.kind != "case" and trend["actions"].gt(0).any():
        title = _("Share of actions done, meeting by meeting")
        out.append(ChartRecord("trend", title, _cached("trend", trend, trackcharts.trend_chart,
                                                       ws.lang, title=title)))
    return out
