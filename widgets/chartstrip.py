"""Charts under a group's board on the projector and the console: scores per criterion, the
impact × feasibility matrix, vote results.

Facilitator-side only: this module imports pandas and matplotlib (through
:mod:`actionlab.analysis` and :mod:`actionlab.charts`), so a participant's page never imports
it. A chart is drawn again only when its data changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w
import pandas as pd

from actionlab import analysis, charts
from actionlab.library import CanvasDef
from actionlab.services import Workbook
from actionlab.services.live import ChangeBatch

from .common import esc, html_box, set_shown, wb_classes

if TYPE_CHECKING:
    from actionlab.db.models import Group, Workshop

CHART_ENTITIES = ("card", "vote", "score")


class ChartStrip:
    def __init__(self, workbook: Workbook, workshop: Workshop, group: Group, canvas: CanvasDef, _):
        self.workbook = workbook
        self.workshop = workshop
        self.group = group
        self.canvas = canvas
        self._ = _
        self.lang = workshop.lang
        self._last: dict[str, str] = {}
        self.boxes: dict[str, w.HTML] = {}
        for col in canvas.columns:
            if col.score is not None:
                if col.score.chart == "bars":
                    self.boxes[f"rank:{col.key}"] = html_box("", "wb-ranking")
                self.boxes[f"score:{col.key}"] = html_box("", "wb-chart", "wb-chart-scores")
        if any(col.vote for col in canvas.columns):
            self.boxes["votes"] = html_box("", "wb-chart", "wb-chart-votes")
        self.widget = w.VBox(list(self.boxes.values()), **wb_classes("wb-charts"))
        if not self.boxes:
            set_shown(self.widget, False)
        self.refresh()

    @property
    def has_charts(self) -> bool:
        return bool(self.boxes)

    def _draw(self, key: str, frame, render, title: str) -> None:
        """Render ``frame`` with ``render`` unless the same data is already shown."""
        digest = frame.to_json(orient="split", date_format="iso")
        if self._last.get(key) == digest:
            return
        self._last[key] = digest
        if not self._worth_drawing(key, frame):
            self.boxes[key].value = ""  # nothing to look at yet: leave the room to the board
            return
        png = render(frame)
        self.boxes[key].value = (
            f'<figure class="wb-chart-figure"><img class="wb-chart-img" alt="{esc(title)}" '
            f'src="{charts.to_data_uri(png)}"></figure>')

    @staticmethod
    def _worth_drawing(key: str, frame) -> bool:
        if frame.empty:
            return False
        if key == "votes":
            return bool(frame["votes"].sum())
        for column in ("raters",):
            if column in frame:
                return bool(frame[column].fillna(0).sum())
        return True

    def refresh(self) -> None:
        wb_, ws, gid, key, lang = self.workbook, self.workshop, self.group.id, self.canvas.key, self.lang
        for col in self.canvas.columns:
            if col.score is None:
                continue
            labels = [(c.key, c.title(lang)) for c in col.score.criteria]
            if col.score.chart == "matrix":
                frame = analysis.matrix_frame(wb_, ws, gid, key, col.key)
                self._draw(f"score:{col.key}", frame, lambda f, c=col, lb=labels: charts.impact_matrix(
                    f, lb[0][1], lb[1][1], c.score.low, c.score.high, lang), col.title(lang))
            else:
                frame = analysis.ranking(wb_, ws, gid, key, col.key)
                self.boxes[f"rank:{col.key}"].value = self._ranking_html(frame, col.title(lang))
                self._draw(f"score:{col.key}", frame,
                           lambda f, lb=labels: charts.score_bars(f, lb, lang), col.title(lang))
        if "votes" in self.boxes:
            frame = analysis.vote_results(wb_, ws, gid, key)
            self._draw("votes", frame, lambda f: charts.vote_bars(f, lang), self._("votes"))

    def _ranking_html(self, frame, title: str) -> str:
        _ = self._
        rows = []
        for row in frame.itertuples():
            rank = "–" if pd.isna(row.rank) else int(row.rank)  # NA: nobody scored it yet
            total = "–" if pd.isna(row.total) else f"{row.total:.2f}"
            mark = " wb-ranking-decided" if getattr(row, "decided", False) else ""
            rows.append(f'<tr class="wb-ranking-row{mark}"><td class="wb-ranking-rank">{rank}</td>'
                        f'<td class="wb-ranking-text">{esc(row.text)}</td>'
                        f'<td class="wb-ranking-total">{total}</td>'
                        f'<td class="wb-ranking-raters">{int(row.raters)}</td></tr>')
        if not rows:
            return ""
        return (f'<table class="wb-ranking-table"><caption>{esc(_("Ranking: {what}", what=title))}</caption>'
                f'<thead><tr><th>#</th><th></th><th>{esc(_("Score"))}</th><th>{esc(_("Scored by"))}</th></tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table>')

    def on_changes(self, batch: ChangeBatch) -> None:
        if batch.touches("workshop"):
            self.workshop = self.workbook.store.find_workshop_by_id(self.workshop.id)
            self._last.clear()  # weights or reveals may change every chart
        if self.has_charts and (batch.touches("workshop") or any(
                batch.touches(e, self.group.id) for e in CHART_ENTITIES)):
            self.refresh()
