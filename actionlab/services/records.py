"""Session records: a snapshot of a workshop for the exporters, and exporting it."""

from __future__ import annotations

from datetime import timezone
from pathlib import Path

from ..db.models import utcnow
from ..errors import LibraryError
from ..i18n import translator
from ..library import Library
from ..record import (
    CanvasRecord,
    CardRecord,
    ColumnRecord,
    GroupRecord,
    MemberRecord,
    WorkshopRecord,
)
from ..store import Store


def _local(value):
    """Stored times are UTC; records show the wall-clock time of the room."""
    return value.replace(tzinfo=timezone.utc).astimezone() if value is not None else None


class RecordService:
    def __init__(self, store: Store, library: Library):
        self.store = store
        self.library = library

    def _role_title(self, role: str, lang: str) -> str:
        try:
            return self.library.item("roles", role).title(lang)
        except LibraryError:
            return role

    def build(self, code: str) -> WorkshopRecord:
        """Everything recorded for workshop ``code``, in the workshop's language."""
        revision = self.store.find_latest_revision()
        ws = self.store.find_workshop(code)
        lang = ws.lang
        _ = translator(lang)
        members = self.store.find_members(ws.id)
        names = {m.id: m.name for m in members}
        cards = self.store.find_cards(ws.id)
        canvases = [self.library.canvas(k) for k in ws.canvases]
        groups = []
        for group in self.store.find_groups(ws.id):
            group_canvases = []
            for canvas in canvases:
                columns = []
                for col in canvas.columns:
                    col_cards = [
                        CardRecord(
                            id=c.id,
                            column=c.column,
                            text=c.text,
                            author=names.get(c.author_id, _("Facilitator")),
                            created_at=_local(c.created_at),
                            updated_at=_local(c.updated_at),
                        )
                        for c in cards
                        if c.group_id == group.id and c.canvas == canvas.key and c.column == col.key
                    ]
                    columns.append(ColumnRecord(key=col.key, title=col.title(lang), cards=col_cards))
                group_canvases.append(
                    CanvasRecord(key=canvas.key, title=canvas.title(lang), columns=columns)
                )
            groups.append(
                GroupRecord(
                    number=group.number,
                    name=group.name,
                    members=[
                        MemberRecord(name=m.name, role=self._role_title(m.role, lang),
                                     joined_at=_local(m.joined_at))
                        for m in members
                        if m.group_id == group.id
                    ],
                    canvases=group_canvases,
                )
            )
        return WorkshopRecord(code=ws.code, title=ws.title, lang=lang, created_at=_local(ws.created_at),
                              exported_at=_local(utcnow()), revision=revision, groups=groups)

    def render(self, code: str, fmt: str) -> tuple[str, str, bytes]:
        """The record as a download: (file name, media type, content)."""
        from ..exporters import get_exporter

        exporter = get_exporter(fmt)
        record = self.build(code)
        content = exporter.render(record)
        data = content.encode("utf-8") if isinstance(content, str) else content
        return f"{record.code}-record{exporter.suffix}", exporter.media_type, data

    def export(self, code: str, fmt: str, out: str | Path) -> Path:
        from ..exporters import get_exporter  # exporters are optional heavy imports

        exporter = get_exporter(fmt)
        return exporter.export(self.build(code), Path(out))
