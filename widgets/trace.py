"""Traceability in the console: pick a group and follow its chain from the key problem to
goals, strategies, actions, what happened to each action and the lessons learned. Each level
opens and closes by itself (HTML ``details``)."""

from __future__ import annotations

import ipywidgets as w

from actionlab.services import Workbook
from actionlab.services.live import ChangeBatch
from actionlab.services.trace import TraceNode, TraceService

from .common import esc, html_box, wb_classes
from .roomwatch import RoomWatch

#: Entities whose changes can alter a group's chain.
WATCHED = ("card", "progress", "lesson", "member", "meeting")


def trace_service(workbook: Workbook) -> TraceService:
    """The workbook's trace service (a new one over its store until it has one)."""
    found = getattr(workbook, "trace", None)
    return found if found is not None else TraceService(workbook.store, workbook.library)


def tree_html(root: TraceNode, describe, _, *, open_all: bool = False) -> str:
    """The chain as nested ``details``; the key problems start open, deeper levels closed."""

    def node_html(node: TraceNode, level: int) -> str:
        label, text, detail = describe(node)
        mark = ' <span class="wb-trace-agreed">✔</span>' if node.decided else ""
        head = (f'<span class="wb-trace-label">{esc(label)}</span>'
                + (f' <span class="wb-trace-text">{esc(text)}</span>' if text else "") + mark
                + (f' <span class="wb-trace-detail">{esc(detail)}</span>' if detail else ""))
        classes = f"wb-trace-node wb-trace-{node.kind}"
        if not node.children:
            return f'<div class="{classes} wb-trace-leaf">{head}</div>'
        opened = " open" if open_all or level == 0 else ""
        inner = "".join(node_html(child, level + 1) for child in node.children)
        return (f'<details class="{classes}"{opened}><summary>{head} '
                f'<span class="wb-count">{len(node.children)}</span></summary>'
                f'<div class="wb-trace-children">{inner}</div></details>')

    body = "".join(node_html(child, 0) for child in root.children)
    return body or f'<div class="wb-empty">{esc(_("Nothing to trace yet: the group has no key problem, goals or actions."))}</div>'


class TracePanel:
    def __init__(self, workbook: Workbook, room: RoomWatch, _):
        self.workbook = workbook
        self.service = trace_service(workbook)
        self.room = room
        self._ = _
        self.lang = getattr(_, "lang", None) or room.workshop.lang
        groups = workbook.workshops.groups(room.workshop)
        self.group = w.Dropdown(options=[(g.name, g.id) for g in groups],
                                value=groups[0].id if groups else None,
                                layout=w.Layout(width="20em"), **wb_classes("wb-trace-group"))
        self.group.observe(lambda _c: self.refresh(), names="value")
        self.expand = w.ToggleButton(value=False, description=_("Open every level"),
                                     layout=w.Layout(width="auto"), **wb_classes("wb-trace-expand"))
        self.expand.observe(lambda _c: self.refresh(), names="value")
        self.tree = html_box("", "wb-trace-tree")
        self.widget = w.VBox([
            html_box(f'<h4>{esc(_("From the key problem to the lessons"))}</h4>'),
            w.HBox([html_box(f'<span class="wb-label">{esc(_("Group"))}</span>'), self.group,
                    self.expand], layout=w.Layout(flex_flow="row wrap")),
            self.tree,
        ], **wb_classes("wb-trace"))
        self.refresh()

    def refresh(self) -> None:
        if self.group.value is None:
            html = f'<div class="wb-empty">{esc(self._("No groups yet."))}</div>'
        else:
            workshop = self.room.workshop
            root = self.service.chain(workshop, self.group.value)
            html = tree_html(root, self.service.describer(workshop, self.lang), self._,
                             open_all=self.expand.value)
        if html != self.tree.value:  # an unchanged tree keeps the levels someone opened
            self.tree.value = html

    def on_changes(self, batch: ChangeBatch) -> None:
        self.room.on_changes(batch)
        gid = self.group.value
        if gid is not None and any(batch.touches(entity, gid) for entity in WATCHED):
            self.refresh()
