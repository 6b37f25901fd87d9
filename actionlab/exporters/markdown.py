"""The session record as Markdown (``templates/export/record.md.j2``)."""

from __future__ import annotations

from ..record import WorkshopRecord
from .base import Exporter, make_environment, template_context
from .escape import md_escape


class MarkdownExporter(Exporter):
    """A Markdown record. Every typed text goes through ``md_escape`` in the template."""

    name = "md"
    suffix = ".md"
    media_type = "text/markdown; charset=utf-8"
    template = "record.md.j2"

    def render(self, record: WorkshopRecord) -> str:
        env = make_environment(
            self.translator(record), autoescape=False, filters={"md_escape": md_escape},
            templates=self.templates,
        )
        return env.get_template(self.template).render(template_context(record))
