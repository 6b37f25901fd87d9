"""The session record as one standalone, printable HTML page (``record.html.j2``)."""

from __future__ import annotations

from ..record import WorkshopRecord
from .base import Exporter, make_environment, template_context


class HtmlExporter(Exporter):
    """A self-contained HTML5 page: inline CSS, no external resource, autoescaped."""

    name = "html"
    suffix = ".html"
    media_type = "text/html; charset=utf-8"
    template = "record.html.j2"

    def render(self, record: WorkshopRecord) -> str:
        env = make_environment(self.translator(record), autoescape=True,
                               templates=self.templates)
        return env.get_template(self.template).render(template_context(record))
