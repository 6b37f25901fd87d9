"""The facilitator's evaluation panel (考核评估): open a survey on the participants' devices,
follow the answers coming in, read the share "satisfied or above" overall and by group (or
level, unit …) with the entries far below the overall flagged, the training needs, and keep
the member assessment: weights and every member's component scores, total and rank.

Facilitator-side only: it draws a chart with matplotlib (:mod:`actionlab.evalcharts`).
"""

from __future__ import annotations

import ipywidgets as w

from actionlab import charts, evalcharts
from actionlab.services import Workbook
from actionlab.services.evaluation import NOT_GIVEN, AssessmentRow, Share, SurveyResults
from actionlab.services.live import ChangeBatch

from .common import MessageLine, button, esc, guarded, html_box, wb_classes
from .roomwatch import RoomWatch
from .teams import profile_labels

NAME = w.Layout(width="10em")
CELL = w.Layout(width="6.5em")
TOTAL = w.Layout(width="12em")
RANK = w.Layout(width="3em")


def percent(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def score_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def sized(value: str, layout: w.Layout, *classes: str) -> w.HTML:
    box = html_box(value, *classes)
    box.layout = layout
    return box


class AssessmentGridRow:
    """One member: name, group, a score box per component, the weighted total and rank."""

    def __init__(self, panel: EvaluationPanel, row: AssessmentRow):
        self.panel = panel
        self.member_id = row.member_id
        self.bad: set[str] = set()  # components whose box holds a refused entry
        self._quiet = False
        self.cells: dict[str, w.Text] = {}
        for key in panel.component_keys:
            cell = w.Text(continuous_update=False, layout=CELL,
                          **wb_classes("wb-assess-score", f"wb-assess-score-{key}"))
            cell.observe(lambda change, k=key: self._typed(k, change["new"]), names="value")
            self.cells[key] = cell
        self.name = sized("", NAME, "wb-assess-name")
        self.group = sized("", NAME, "wb-assess-group")
        self.total = sized("", TOTAL, "wb-assess-total")
        self.rank = sized("", RANK, "wb-assess-rank")
        self.widget = w.HBox([self.name, self.group, *self.cells.values(), self.total, self.rank],
                             **wb_classes("wb-assess-row"))
        self.show(row)

    def _typed(self, key: str, value: str) -> None:
        if self._quiet:
            return
        panel = self.panel
        done = guarded(panel.assess_message, lambda: panel.workbook.assessment.set_score(
            panel.room.workshop, self.member_id, key, value) or True)
        if done is None:
            self.bad.add(key)  # keep what was typed, with the error above
        else:
            self.bad.discard(key)
            panel.refresh_assessment()

    def show(self, row: AssessmentRow) -> None:
        _ = self.panel._
        self.name.value = f'<span data-member="{row.member_id}">{esc(row.name)}</span>'
        self.group.value = esc(row.group or _("not in a group"))
        self._quiet = True
        try:
            for key, cell in self.cells.items():
                if key not in self.bad:
                    cell.value = score_text(row.scores.get(key))
        finally:
            self._quiet = False
        if row.complete:
            self.total.value = f'<b class="wb-assess-total-value">{row.total:.1f}</b>'
            self.rank.value = str(row.rank)
            self.widget.remove_class("wb-assess-incomplete")
        else:
            titles = [self.panel.component_titles[k] for k in row.missing]
            self.total.value = (f'<span class="wb-assess-missing" style="color:#b45309">'
                                f'{esc(_("Incomplete: {parts}", parts=_(", ").join(titles)))}</span>')
            self.rank.value = "–"
            self.widget.add_class("wb-assess-incomplete")


class EvaluationPanel:
    def __init__(self, workbook: Workbook, room: RoomWatch, _):
        self.workbook = workbook
        self.room = room
        self._ = _
        self.lang = lang = room.workshop.lang
        self.message = MessageLine(_)
        self.assess_message = MessageLine(_)
        surveys = workbook.surveys.surveys()
        opened = workbook.surveys.open_key(room.workshop)
        self.pick = w.Dropdown(options=[(s.title(lang), s.key) for s in surveys],
                               value=opened or (surveys[0].key if surveys else None),
                               layout=w.Layout(width="18em"), **wb_classes("wb-survey-pick"))
        self.pick.observe(lambda _c: self.refresh_results(), names="value")
        self.open = button(_("Open on devices"), "wb-survey-open", style="primary")
        self.open.on_click(lambda _b: self._room_act(workbook.surveys.open, self.pick.value))
        self.close = button(_("Close"), "wb-survey-close")
        self.close.on_click(lambda _b: self._room_act(workbook.surveys.close))
        self.status = html_box("", "wb-survey-status")
        self.count = html_box("", "wb-survey-count")
        self.gap = w.BoundedIntText(min=1, max=50, step=1, layout=w.Layout(width="5em"),
                                    **wb_classes("wb-survey-gap"))
        self.gap_save = button(_("Apply"), "wb-survey-gap-save")
        self.gap_save.on_click(lambda _b: self._gap())
        self.results = html_box("", "wb-survey-results")
        self.chart = html_box("", "wb-survey-chart")
        self.choices = html_box("", "wb-survey-choices")
        self.texts = html_box("", "wb-survey-texts")
        self._chart_key = None
        self._weights_shown: dict[str, float] | None = None

        components = workbook.assessment.components()
        self.component_keys = [c.key for c in components]
        self.component_titles = {c.key: c.title(lang) for c in components}
        self.weights = {c.key: w.BoundedFloatText(min=0, max=1000, step=5,
                                                  layout=w.Layout(width="6em"),
                                                  **wb_classes("wb-assess-weight", f"wb-assess-weight-{c.key}"))
                        for c in components}
        self.weights_save = button(_("Save weights"), "wb-assess-weights-save")
        self.weights_save.on_click(lambda _b: self._save_weights())
        self.shares = html_box("", "wb-assess-shares")
        header = w.HBox([sized(f'<b>{esc(_("Name"))}</b>', NAME),
                         sized(f'<b>{esc(_("Group"))}</b>', NAME),
                         *(sized(f'<b>{esc(self.component_titles[k])}</b>', CELL)
                           for k in self.component_keys),
                         sized(f'<b>{esc(_("Weighted total"))}</b>', TOTAL),
                         sized("<b>#</b>", RANK)])
        self.rows: dict[int, AssessmentGridRow] = {}
        self.grid_rows = w.VBox([])
        label = lambda text: html_box(f'<span class="wb-label">{esc(text)}</span>')  # noqa: E731
        self.widget = w.VBox([
            html_box(f'<h4>{esc(_("Surveys"))}</h4>'),
            w.HBox([self.pick, self.open, self.close], layout=w.Layout(flex_flow="row wrap")),
            self.status, self.count,
            w.HBox([label(_("Flag entries this many points or more below the overall share:")),
                    self.gap, self.gap_save], layout=w.Layout(flex_flow="row wrap")),
            self.message.widget,
            self.results, self.chart, self.choices, self.texts,
            html_box(f'<h4>{esc(_("Member assessment"))}</h4>'),
            w.HBox([*(w.VBox([label(self.component_titles[k]), box])
                      for k, box in self.weights.items()), self.weights_save],
                   layout=w.Layout(flex_flow="row wrap", align_items="flex-end"),
                   **wb_classes("wb-assess-weights")),
            self.shares,
            self.assess_message.widget,
            w.VBox([header, self.grid_rows], **wb_classes("wb-assess-grid")),
        ], **wb_classes("wb-evaluation"))
        self.refresh()

    # -- actions ------------------------------------------------------------------------------
    def _room_act(self, action, *args) -> None:
        if guarded(self.message, action, self.room.workshop, *args) is not None:
            self.room.reload()
            self.refresh_status()
            self.refresh_results()

    def _gap(self) -> None:
        if guarded(self.message, self.workbook.surveys.set_flag_gap, self.room.workshop,
                   self.gap.value / 100) is not None:
            self.room.reload()
            self.refresh_results()

    def _save_weights(self) -> None:
        weights = {k: box.value for k, box in self.weights.items()}
        if guarded(self.assess_message, self.workbook.assessment.set_weights, self.room.workshop,
                   weights) is not None:
            self.room.reload()
            self.assess_message.notice(self._("Weights saved."))
            self.refresh_assessment()

    # -- views --------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.refresh_status()
        self.refresh_results()
        self.refresh_assessment()

    def refresh_status(self) -> None:
        _ = self._
        survey = self.workbook.surveys.open_survey(self.room.workshop)
        if survey is None:
            self.status.value = (f'<span class="wb-survey-closed">'
                                 f'{esc(_("No survey is open on the devices."))}</span>')
        else:
            self.status.value = (f'<span class="wb-survey-live" data-survey="{esc(survey.key)}">'
                                 f'{esc(_("Open on the devices: {title}", title=survey.title(self.lang)))}</span>')
        self.close.disabled = survey is None
        self.gap.value = round(100 * self.workbook.surveys.flag_gap(self.room.workshop))

    def _breakdown(self, by: str) -> str:
        _ = self._
        return _("Group") if by == "group" else profile_labels(_).get(by, by)

    def _entry(self, entry: str) -> str:
        return self._("not given") if entry == NOT_GIVEN else entry

    def refresh_results(self) -> None:
        _ = self._
        key = self.pick.value
        if not key:
            self.count.value = self.results.value = self.chart.value = ""
            self.choices.value = self.texts.value = ""
            return
        res = self.workbook.surveys.results(self.room.workshop, key)
        self.count.value = (f'<span class="wb-count">{esc(_("{n} of {total} people have answered.", n=res.respondents, total=res.invited))}</span>')
        self.results.value = self._likert_html(res)
        self.choices.value = self._choices_html(res)
        self.texts.value = self._texts_html(res)
        self._draw_chart(res)

    def _cell(self, share: Share, flagged: bool, *classes: str) -> str:
        _ = self._
        cls = " ".join(("wb-survey-cell", *classes, "wb-survey-flagged" if flagged else ""))
        if not share.answered:
            return f'<td class="{cls.strip()}">–</td>'
        flag = (f' <span class="wb-survey-flag" style="color:#b91c1c;font-weight:bold">'
                f'⚠ {esc(_("far below overall"))}</span>' if flagged else "")
        return (f'<td class="{cls.strip()}">{percent(share.share)} '
                f'<span class="wb-count">({share.answered})</span>{flag}</td>')

    def _likert_html(self, res: SurveyResults) -> str:
        _ = self._
        if not res.has_likert:
            return ""
        if not res.overall.answered:
            return f'<div class="wb-empty">{esc(_("No answers yet."))}</div>'
        head = "".join(f'<th data-entry="{esc(e)}">{esc(self._entry(e))}</th>' for e in res.entries)
        rows = []
        for q in res.questions:
            if q.question.type != "likert":
                continue
            cells = "".join(self._cell(q.by.get(e, Share()), e in q.flagged) for e in res.entries)
            rows.append(f'<tr class="wb-survey-row" data-question="{esc(q.question.key)}">'
                        f'<th>{esc(q.question.title(self.lang))}</th>'
                        f'{self._cell(q.overall, False, "wb-survey-overall")}{cells}</tr>')
        cells = "".join(self._cell(res.overall_by.get(e, Share()), e in res.flagged) for e in res.entries)
        rows.append(f'<tr class="wb-survey-row wb-survey-all" data-question="">'
                    f'<th>{esc(_("All questions"))}</th>'
                    f'{self._cell(res.overall, False, "wb-survey-overall")}{cells}</tr>')
        caption = _("Share of answers at “satisfied” or above, by {what}", what=self._breakdown(res.by))
        note = _("⚠ marks an entry {n} points or more below the overall share.", n=round(100 * res.gap))
        return (f'<table class="wb-survey-table" data-survey="{esc(res.survey.key)}">'
                f'<caption>{esc(caption)}</caption>'
                f'<thead><tr><th></th><th>{esc(_("Overall"))}</th>{head}</tr></thead>'
                f'<tbody>{"".join(rows)}</tbody></table>'
                f'<div class="wb-hint">{esc(note)}</div>')

    def _choices_html(self, res: SurveyResults) -> str:
        _ = self._
        out = []
        for q in res.questions:
            if q.question.type != "choice":
                continue
            entries = [e for e in res.entries if e in q.counts_by]
            head = "".join(f'<th data-entry="{esc(e)}">{esc(self._entry(e))}</th>' for e in entries)
            top = max(q.counts.values(), default=0)
            rows = []
            for option in q.question.options:
                n = q.counts.get(option.key, 0)
                mark = " wb-survey-top" if n and n == top else ""
                cells = "".join(f'<td>{q.counts_by[e].get(option.key, 0)}</td>' for e in entries)
                rows.append(f'<tr class="wb-survey-option{mark}" data-option="{esc(option.key)}">'
                            f'<th>{esc(option.title(self.lang))}</th><td class="wb-survey-overall">{n}</td>{cells}</tr>')
            caption = _("{question}: answers by {what}", question=q.question.title(self.lang),
                        what=self._breakdown(res.by))
            out.append(f'<table class="wb-survey-choice" data-question="{esc(q.question.key)}">'
                       f'<caption>{esc(caption)}</caption>'
                       f'<thead><tr><th></th><th>{esc(_("All"))}</th>{head}</tr></thead>'
                       f'<tbody>{"".join(rows)}</tbody></table>')
        return "".join(out)

    def _texts_html(self, res: SurveyResults) -> str:
        out = []
        for q in res.questions:
            if q.question.type == "text" and q.texts:
                items = "".join(f'<li class="wb-survey-text-item">{esc(t)}</li>' for t in q.texts)
                out.append(f'<div class="wb-survey-text-answers" data-question="{esc(q.question.key)}">'
                           f'<b>{esc(q.question.title(self.lang))}</b><ul>{items}</ul></div>')
        return "".join(out)

    def _draw_chart(self, res: SurveyResults) -> None:
        _ = self._
        shares = {self._entry(e): s.share for e, s in res.overall_by.items()}
        counts = {self._entry(e): s.answered for e, s in res.overall_by.items()}
        flagged = [self._entry(e) for e in res.flagged]
        title = _("{survey}: satisfied or above by {what}", survey=res.survey.title(self.lang),
                  what=self._breakdown(res.by))
        key = (title, tuple(shares.items()), res.overall.share, tuple(flagged), res.gap)
        if key == self._chart_key:
            return
        self._chart_key = key
        if not res.has_likert or not res.overall.answered:
            self.chart.value = ""
            return
        png = evalcharts.satisfaction_bars(shares, res.overall.share, self.lang, flagged=flagged,
                                           counts=counts, title=title, gap=res.gap)
        self.chart.value = (f'<figure class="wb-chart-figure"><img class="wb-chart-img" '
                            f'alt="{esc(title)}" src="{charts.to_data_uri(png)}"></figure>')

    def refresh_assessment(self) -> None:
        _ = self._
        service = self.workbook.assessment
        weights = service.weights(self.room.workshop)
        if weights != self._weights_shown:  # weights typed but not saved yet stay
            self._weights_shown = weights
            for key, box in self.weights.items():
                box.value = weights.get(key, 0)
        shares = service.shares(self.room.workshop)
        parts = " · ".join(f'{esc(self.component_titles[k])} <b>{100 * shares[k]:.0f}%</b>'
                           for k in self.component_keys)
        total = sum(weights.values())
        note = ("" if abs(total - 100) < 1e-9 else
                f'<div class="wb-hint">{esc(_("The weights add up to {sum}, not 100: each counts as its share of the sum, as shown.", sum=f"{total:g}"))}</div>')
        self.shares.value = f'<div>{esc(_("Each part counts for:"))} {parts}</div>{note}'
        table = service.table(self.room.workshop)
        if [r.member_id for r in table] != list(self.rows):
            self.rows = {r.member_id: self.rows.get(r.member_id) or AssessmentGridRow(self, r)
                         for r in table}
            self.grid_rows.children = [row.widget for row in self.rows.values()] or [
                html_box(f'<div class="wb-empty">{esc(_("Nobody is on the list yet."))}</div>')]
        for r in table:
            self.rows[r.member_id].show(r)

    def on_changes(self, batch: ChangeBatch) -> None:
        room = self.room.on_changes(batch)
        if room:
            self.refresh_status()
        members = batch.touches("member")
        if room or members or batch.touches("survey"):
            self.refresh_results()
        if batch.touches("workshop") or members or batch.touches("assessment"):
            self.refresh_assessment()
