"""The console's backup line: when the store was last backed up, and a button to do it now
(the same service as ``actionlab backup``)."""

from __future__ import annotations

from datetime import datetime, timezone

import ipywidgets as w

from actionlab.errors import ActionlabError, InvalidInput
from actionlab.i18n import N_
from actionlab.services import Workbook
from actionlab.services.storebackup import BackupResult, StoreBackupService, human_size

from .common import MessageLine, button, esc, guarded, html_box, local_time, wb_classes


def _when(iso: str | None) -> str:
    """A recorded UTC time as local time: ``14:05`` today, ``2026-03-02 14:05`` before."""
    if not iso:
        return ""
    at = datetime.fromisoformat(iso)
    today = datetime.now(timezone.utc).astimezone().date()
    same_day = at.replace(tzinfo=timezone.utc).astimezone().date() == today
    return local_time(at, "%H:%M" if same_day else "%Y-%m-%d %H:%M")


class BackupInfo:
    """``BackupInfo(workbook, _)``: ``.widget``; ``refresh()`` re-reads the last backup (a
    backup taken by the command or another console writes no change-log row, so the page
    calls it on its own timer)."""

    def __init__(self, workbook: Workbook, _):
        self._ = _
        self.service = StoreBackupService(workbook.store, workbook.settings)
        self.message = MessageLine(_)
        self.last = html_box("", "wb-backup-last")
        self.now = button(_("Back up now"), "wb-backup-now")
        self.now.on_click(lambda _b: self.back_up())
        self.folder = html_box(
            f'<span class="wb-hint">{esc(_("Backups go to {folder}.", folder=str(self.service.folder())))}</span>',
            "wb-backup-folder")
        self.widget = w.VBox([
            html_box(f'<h4>{esc(_("Store backup"))}</h4>'),
            w.HBox([self.last, self.now]),
            self.folder,
            self.message.widget,
        ], **wb_classes("wb-backup-info"))
        self._shown = None
        self.refresh()

    def refresh(self) -> None:
        _ = self._
        try:
            doc = self.service.last()
        except ActionlabError as exc:  # the store is out of reach: say so where the line is
            self._shown = None
            self.last.value = (f'<span class="wb-backup-state" data-state="unknown">'
                               f'{esc(_("Something went wrong: {detail}", detail=str(exc)))}</span>')
            return
        if doc == self._shown:
            return
        self._shown = doc
        if not doc:
            text, state = _("No backup of the store yet."), "none"
        elif doc.get("ok"):
            text, state = _("Last backup: {time}, {size}", time=_when(doc["at"]),
                            size=human_size(doc.get("size") or 0)), "ok"
        else:
            error = doc.get("error") or {}
            problem = _(error.get("id") or "?", **(error.get("params") or {}))
            text, state = _("Last backup failed at {time}: {problem}", time=_when(doc["at"]),
                            problem=problem), "failed"
            good = doc.get("last_ok")
            if good:
                text += " · " + _("Last good backup: {time}, {size}", time=_when(good["at"]),
                                  size=human_size(good.get("size") or 0))
        self.last.value = f'<span class="wb-backup-state" data-state="{state}">{esc(text)}</span>'

    def back_up(self) -> BackupResult | None:
        """What the button does: back up, then show the outcome."""
        self.now.disabled = True
        self.now.description = self._("Backing up…")
        try:
            result = guarded(self.message, self.service.back_up)
        finally:
            self.now.disabled = False
            self.now.description = self._("Back up now")
        self._shown = None
        self.refresh()
        if result is not None:
            if result.ok:
                self.message.notice(self._("Backup saved: {path}", path=str(result.path)))
            else:
                self.message.error(InvalidInput(N_("The copy failed its integrity check: {problem}"),
                                                problem=result.check))
        return result
