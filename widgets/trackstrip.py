"""The tracking charts of the console's Follow-up tab: every action on a timeline against its
due date (overdue ones marked) and each group's share of actions done across the meetings.

Facilitator-side only (pandas and matplotlib through :mod:`actionlab.frames` and
:mod:`actionlab.trackcharts`). Drawn again only when the data behind a chart changed.
"""

from __future__ import annotations

import ipywidgets as w

from actionlab import charts, frames, trackcharts
from actionlab.services import Workbook
from actionlab.services.live import ChangeBatch

from .common import esc, html_box, wb_classes
from .roomwatch import RoomWatch

TABLES = ("groups", "members", "actions", "action_updates", "meetings")
WATCHED = ("card", "progress", "meeting", "member")


class TrackCharts:
    def __init__(self, workbook: Workbook, room: RoomWatch, _):
        self.workbook = workbook
        self.room = room
        self._ = _
        self.timeline = html_box("", "wb-chart", "wb-chart-timeline")
        self.trend = html_box("", "wb-chart", "wb-chart-trend")
        self._last: dict[str, str] = {}
        self.widget = w.VBox([self.timeline, self.trend], **wb_classes("wb-track-charts"))
        self.refresh()

    def on_changes(self, batch: ChangeBatch) -> None:
        if any(batch.touches(e) for e in WATCHED):
            self.refresh()

    def refresh(self) -> None:
        ws = self.room.workshop
        data = frames.workshop_frames(self.workbook.store, ws, tables=TABLES,
                                      library=self.workbook.library)
        self._draw(self.timeline, "timeline", frames.action_timeline(data), trackcharts.timeline_chart,
                   self._("Actions against their due dates"))
        self._draw(self.trend, "trend", frames.progress_trend(data), trackcharts.trend_chart,
                   self._("Share of actions done, meeting by meeting"))

    def _draw(self, box, key: str, frame, render, title: str) -> None:
        digest = frame.to_json(orient="split", date_format="iso")
        if self._last.get(key) == digest:
            return
        self._last[key] = digest
        if frame.empty:
            box.value = ""
            return
        png = render(frame, self.room.workshop.lang)
        box.value = (f'<figure class="wb-chart-figure"><img class="wb-chart-img" alt="{esc(title)}" '
                     f'src="{charts.to_data_uri(png)}"></figure>')
