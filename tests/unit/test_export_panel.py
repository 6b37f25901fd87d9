"""The console's export panel: its progress bar shows only once an export has started."""

from __future__ import annotations

from actionlab.errors import StoreError
from actionlab.i18n import translator
from widgets.common import is_shown
from widgets.exportpanel import ExportPanel


def test_the_bar_appears_with_an_export_and_stands_full_after_it(wb):
    ws = wb.workshops.create("Bar", "en", 1)
    panel = ExportPanel(wb, ws, translator("en"))
    assert not is_shown(panel.bar)  # nothing exported yet: no empty bar
    panel.fmt.value = "md"
    panel.run()
    assert is_shown(panel.bar) and panel.bar.value == 1.0
    assert "wb-export-link" in panel.download.value


def test_a_failed_export_hides_the_bar_again_and_says_why(wb, monkeypatch):
    ws = wb.workshops.create("Bar", "en", 1)
    panel = ExportPanel(wb, ws, translator("en"))

    def broken(*_a, **_k):
        raise StoreError("database unavailable")

    monkeypatch.setattr(wb.records, "render", broken)
    panel.run()
    assert not is_shown(panel.bar)
    assert panel.download.value == ""
    assert panel.message.widget.value  # the reason is on the page
