"""The facilitator's hand on the canvases (console): any group's board, with the settings that
belong to the facilitator — vote budget and cap, anonymity, criteria weights, reveals — and
proxy votes and scores for people without a device."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from actionlab.services import Workbook
from actionlab.services.canvas import FACILITATOR_AUTHOR
from actionlab.services.live import ChangeBatch
from actionlab.services.options import revealed, weights

from .canvas import CanvasBoard, MemberNames
from .common import MessageLine, button, esc, guarded, html_box, wb_classes

if TYPE_CHECKING:
    from actionlab.db.models import Workshop


class FacilitatePanel:
    def __init__(self, workbook: Workbook, workshop: Workshop, _):
        self.workbook = workbook
        self.workshop = workshop
        self._ = _
        self.lang = workshop.lang
        self.message = MessageLine(_)
        self.names = MemberNames(workbook, workshop)
        self.canvases = workbook.canvas.canvases_of(workshop)
        groups = workbook.workshops.groups(workshop)
        self.group = w.Dropdown(options=[(g.name, g.id) for g in groups], value=groups[0].id,
                                layout=w.Layout(width="14em"), **wb_classes("wb-facilitate-group"))
        self.canvas = w.Dropdown(options=[(c.title(self.lang), c.key) for c in self.canvases],
                                 value=self.canvases[0].key, layout=w.Layout(width="18em"),
                                 **wb_classes("wb-facilitate-canvas"))
        self.group.observe(lambda _c: self.show(), names="value")
        self.canvas.observe(lambda _c: self.show(), names="value")
        self.settings = w.VBox([], **wb_classes("wb-canvas-settings"))
        self.holder = w.VBox([], **wb_classes("wb-facilitate-board"))
        self.board: CanvasBoard | None = None
        self.widget = w.VBox([
            w.HBox([html_box(f'<span class="wb-label">{esc(_("Group"))}</span>'), self.group,
                    html_box(f'<span class="wb-label">{esc(_("Canvas"))}</span>'), self.canvas]),
            self.message.widget,
            self.settings,
            self.holder,
        ], **wb_classes("wb-facilitate"))
        self.show()

    def _definition(self):
        return next(c for c in self.canvases if c.key == self.canvas.value)

    def show(self) -> None:
        group = next(g for g in self.workbook.workshops.groups(self.workshop)
                     if g.id == self.group.value)
        self.board = CanvasBoard(self.workbook, self.workshop, group, self._definition(),
                                 FACILITATOR_AUTHOR, self._, names=self.names)
        self.holder.children = [self.board.widget]
        self._settings()

    # -- the facilitator's settings of this canvas ----------------------------------------
    def _settings(self) -> None:
        _ = self._
        canvas = self._definition()
        parts: list[w.Widget] = []
        if any(c.vote for c in canvas.columns):
            rules = self.workbook.voting.rules(self.workshop, canvas.key)
            self.budget = w.BoundedIntText(value=rules.budget, min=1, max=20,
                                           layout=w.Layout(width="5em"),
                                           **wb_classes("wb-vote-budget"))
            self.cap = w.BoundedIntText(value=rules.cap, min=1, max=20,
                                        layout=w.Layout(width="5em"), **wb_classes("wb-vote-cap"))
            self.anonymous = w.Checkbox(value=rules.anonymous, description=_("Anonymous"),
                                        indent=False, layout=w.Layout(width="auto"),
                                        **wb_classes("wb-vote-anonymous"))
            save = button(_("Save voting rules"), "wb-vote-save")
            save.on_click(lambda _b: self._save_rules())
            clear = button(_("Clear this group's votes"), "wb-vote-clear", style="warning")
            clear.on_click(lambda _b: self._clear_votes())
            parts.append(w.HBox([
                html_box(f'<span class="wb-label">{esc(_("Votes per person"))}</span>'), self.budget,
                html_box(f'<span class="wb-label">{esc(_("Most per card"))}</span>'), self.cap,
                self.anonymous, save, clear,
            ], layout=w.Layout(flex_flow="row wrap"), **wb_classes("wb-vote-rules")))
        for col in canvas.columns:
            if col.private:
                shown = revealed(self.workshop, canvas.key, col.key)
                label = (_("Hide “{column}” again", column=col.title(self.lang)) if shown
                         else _("Reveal “{column}” to everyone", column=col.title(self.lang)))
                reveal = button(label, "wb-reveal", style="" if shown else "info")
                reveal.on_click(lambda _b, c=col.key, s=shown: self._reveal(c, not s))
                parts.append(reveal)
            if col.score is not None and col.score.weighted:
                current = weights(self.workshop, canvas.key, col)
                inputs = {}
                row: list[w.Widget] = [html_box(
                    f'<span class="wb-label">{esc(_("Weights of the criteria"))}</span>')]
                for crit in col.score.criteria:
                    box = w.BoundedFloatText(value=current[crit.key], min=0, max=10, step=0.5,
                                             description=crit.title(self.lang),
                                             layout=w.Layout(width="11em"),
                                             **wb_classes("wb-weight-input", f"wb-weight-{crit.key}"))
                    inputs[crit.key] = box
                    row.append(box)
                save_w = button(_("Save weights"), "wb-weight-save")
                save_w.on_click(lambda _b, c=col.key, i=inputs: self._save_weights(c, i))
                row.append(save_w)
                parts.append(w.HBox(row, layout=w.Layout(flex_flow="row wrap"),
                                    **wb_classes("wb-weights")))
        self.settings.children = parts

    def _reload_workshop(self) -> None:
        self.workshop = self.workbook.store.find_workshop_by_id(self.workshop.id)
        if self.board is not None:
            self.board.workshop = self.workshop
            self.board.refresh()

    def _save_rules(self) -> None:
        done = guarded(self.message, self.workbook.voting.set_rules, self.workshop,
                       self.canvas.value, budget=self.budget.value, cap=self.cap.value,
                       anonymous=self.anonymous.value)
        if done is not None:
            self.message.notice(self._("Voting rules saved."))
            self._reload_workshop()

    def _clear_votes(self) -> None:
        n = guarded(self.message, self.workbook.voting.clear, self.workshop, self.group.value,
                    self.canvas.value)
        if n is not None:
            self.message.notice(self._("{n} votes cleared: a new round can start.", n=n))
            self._reload_workshop()

    def _reveal(self, column: str, shown: bool) -> None:
        if guarded(self.message, self.workbook.canvas.reveal, self.workshop, self.canvas.value,
                   column, shown) is not None:
            self._reload_workshop()
            self._settings()

    def _save_weights(self, column: str, inputs) -> None:
        for key, box in inputs.items():
            if guarded(self.message, self.workbook.scoring.set_weight, self.workshop,
                       self.canvas.value, column, key, box.value) is None:
                return
        self.message.notice(self._("Weights saved."))
        self._reload_workshop()

    def on_changes(self, batch: ChangeBatch) -> None:
        if self.board is not None:
            self.board.on_changes(batch)
            self.workshop = self.board.workshop
