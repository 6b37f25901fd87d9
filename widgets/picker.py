"""Choosing which canvases a workshop uses, and in what order."""

from __future__ import annotations

import ipywidgets as w

from actionlab.library import CanvasDef

from .common import button, wb_classes


class CanvasPicker:
    """A checkbox per canvas with a button to move it up; ``value`` is the ordered choice."""

    def __init__(self, canvases: list[CanvasDef], lang: str, _, selected: tuple[str, ...] = ()):
        self._ = _
        self.lang = lang
        self.order = [c.key for c in canvases]
        self.defs = {c.key: c for c in canvases}
        self.checks = {
            c.key: w.Checkbox(value=c.key in selected, description=c.title(lang), indent=False,
                              layout=w.Layout(width="auto"),
                              **wb_classes("wb-canvas-choice", f"wb-canvas-choice-{c.key}"))
            for c in canvases
        }
        self.ups = {}
        for key in self.order:
            up = button("↑", "wb-canvas-up", f"wb-canvas-up-{key}")
            up.tooltip = _("Move up")
            up.on_click(lambda _b, key=key: self.move_up(key))
            self.ups[key] = up
        self.widget = w.VBox([], **wb_classes("wb-canvas-picker"))
        self._draw()

    def _draw(self) -> None:
        self.widget.children = [
            w.HBox([self.ups[k], self.checks[k]], **wb_classes("wb-canvas-row")) for k in self.order
        ]
        for i, key in enumerate(self.order):
            self.ups[key].disabled = i == 0

    def move_up(self, key: str) -> None:
        i = self.order.index(key)
        if i > 0:
            self.order[i - 1], self.order[i] = self.order[i], self.order[i - 1]
            self._draw()

    @property
    def value(self) -> list[str]:
        return [k for k in self.order if self.checks[k].value]
