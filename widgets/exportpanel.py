"""The console's session-record panel: what to export (the whole programme, one group, the
minutes of one meeting, the case write-up), in which format, with a progress bar while it is
made and a download link when it is ready.

The file travels inside the link itself (a ``data:`` URL made in the kernel), so the
download works under Voila without serving any file from the disk: nothing else on the
machine can be reached through it.
"""

from __future__ import annotations

import base64

import ipywidgets as w

from actionlab.i18n import N_
from actionlab.record import Scope
from actionlab.services import Workbook

from .common import MessageLine, button, esc, guarded, html_box, set_shown, wb_classes

SCOPES = (("programme", N_("The whole programme")), ("group", N_("One group")),
          ("meeting", N_("Minutes of one meeting")), ("case", N_("Case write-up (stage 6)")))
JSON_NOTE = N_("The JSON backup always holds the whole workshop, for a restore with actionlab import.")


class ExportPanel:
    def __init__(self, workbook: Workbook, workshop, _):
        from actionlab.exporters import FORMAT_LABELS, format_names

        self.workbook = workbook
        self.workshop = workshop
        self._ = _
        self.message = MessageLine(_)
        self.scope = w.Dropdown(options=[(_(label), key) for key, label in SCOPES],
                                value="programme", layout=w.Layout(width="16em"),
                                **wb_classes("wb-export-scope"))
        self.group = w.Dropdown(options=[], layout=w.Layout(width="12em"),
                                **wb_classes("wb-export-group"))
        self.meeting = w.Dropdown(options=[], layout=w.Layout(width="20em"),
                                  **wb_classes("wb-export-meeting"))
        self.fmt = w.Dropdown(options=[(FORMAT_LABELS.get(n, n.upper()), n)
                                       for n in format_names()],
                              value="html", layout=w.Layout(width="12em"),
                              **wb_classes("wb-export-format"))
        self.facilitator = w.Text(value=workbook.records.facilitator(workshop),
                                  placeholder=_("Name shown on the minutes"),
                                  continuous_update=False, layout=w.Layout(width="16em"),
                                  **wb_classes("wb-export-facilitator"))
        self.facilitator.observe(self._facilitator, names="value")
        self.export = button(_("Export record"), "wb-export-button", style="primary")
        self.export.on_click(lambda _b: self.run())
        self.bar = w.FloatProgress(value=0, min=0, max=1, layout=w.Layout(width="16em"),
                                   **wb_classes("wb-export-progress"))
        set_shown(self.bar, False)  # until an export starts: an empty bar says nothing
        self.status = html_box("", "wb-export-status")
        self.download = html_box("", "wb-export-download")
        self.hint = html_box("", "wb-export-hint")
        self.scope.observe(lambda _c: self._shown(), names="value")
        self.fmt.observe(lambda _c: self._shown(), names="value")

        def label(text: str) -> w.HTML:
            return html_box(f'<span class="wb-label">{esc(text)}</span>')

        self.widget = w.VBox([
            w.HBox([label(_("What")), self.scope, self.group, self.meeting]),
            w.HBox([label(_("Format")), self.fmt, self.export]),
            w.HBox([label(_("Facilitator")), self.facilitator]),
            self.hint,
            w.HBox([self.bar, self.status]),
            self.message.widget,
            self.download,
        ], **wb_classes("wb-export-panel"))
        self.refresh()

    # -- choices --------------------------------------------------------------------------
    def refresh(self) -> None:
        """The groups and meetings to choose from (again after they changed)."""
        _ = self._
        ws = self.workshop
        groups = self.workbook.workshops.groups(ws)
        self.group.options = [(f'{_("Group {number}", number=g.number)} · {g.name}', g.number)
                              for g in groups]
        meetings = self.workbook.store.find_meetings(ws.id)
        options = [(_("Meeting {number}", number=m.number) + f" · {m.title}"
                    + (f" ({m.held_on})" if m.held_on else ""), m.number) for m in meetings]
        self.meeting.options = options
        if options and self.meeting.value is None:
            self.meeting.value = options[-1][1]
        self._shown()

    def _shown(self) -> None:
        _ = self._
        kind = self.scope.value
        set_shown(self.group, kind in ("group", "case"))
        set_shown(self.meeting, kind == "meeting")
        if kind == "case" and self.group.options and 0 not in [v for _l, v in self.group.options]:
            self.group.options = [(_("Every group"), 0), *self.group.options]
        elif kind != "case":
            self.group.options = [(t, v) for t, v in self.group.options if v != 0]
        if self.group.value is None and self.group.options:
            self.group.value = self.group.options[0][1]
        notes = {"json": _(JSON_NOTE),
                 "xlsx": _("One sheet per table, for sorting and counting in Excel.")}
        note = notes.get(self.fmt.value, "")
        self.hint.value = f'<span class="wb-hint">{esc(note)}</span>' if note else ""

    def chosen(self) -> Scope:
        kind = self.scope.value
        group = self.group.value or None
        if kind == "group":
            return Scope("group", group=group)
        if kind == "meeting":
            return Scope("meeting", meeting=self.meeting.value)
        if kind == "case":
            return Scope("case", group=group)
        return Scope()

    def _facilitator(self, change) -> None:
        ws = guarded(self.message, self.workbook.records.set_facilitator, self.workshop,
                     change["new"])
        if ws is not None:
            self.workshop = ws

    # -- export ---------------------------------------------------------------------------
    def _progress(self, fraction: float, label: str) -> None:
        self.bar.value = max(0.0, min(1.0, fraction))
        self.status.value = f'<span class="wb-export-step">{esc(label)}</span>'

    def run(self) -> None:
        _ = self._
        self.download.value = ""
        self.export.disabled = True
        set_shown(self.bar, True)
        self._progress(0.0, _("Starting"))
        try:
            rendered = guarded(self.message, self.workbook.records.render, self.workshop.code,
                               self.fmt.value, self.chosen(), progress=self._progress)
        finally:
            self.export.disabled = False
        if rendered is None:
            self._progress(0.0, "")
            set_shown(self.bar, False)
            return
        name, media_type, data = rendered
        href = f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"
        size = f"{len(data) / 1024:.0f} KB" if len(data) < 1024 * 1024 else \
            f"{len(data) / 1024 / 1024:.1f} MB"
        self.download.value = (
            f'<a class="wb-export-link" download="{esc(name)}" href="{href}">'
            f'{esc(_("Download {name}", name=name))}</a> <span class="wb-export-size">{size}</span>'
        )
