"""The console's session-record panel in a real browser against a real Voila server.

On the Chinese demo workshop the facilitator names themselves (with markup in the name),
exports the minutes of one meeting as PDF, one group as Word, the case write-up as HTML, the
data as Excel and the JSON backup; each file comes through a ``data:`` link, is saved by the
browser and opened with the tools a reader would use. A case write-up in Excel is refused
with a clear message and no link; the server hands out no file from the disk.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from actionlab.i18n import translator
from actionlab.services import Workbook
from actionlab.settings import Settings

pytestmark = pytest.mark.ui

FACILITATOR = "李老师 <img src=x onerror=alert(1)>"
LANG = "zh"  # the demo workshop's language, and the console's

#: Records each width the progress bar takes, so the test sees it move, not only its end.
WATCH_BAR = """() => {
    const bar = document.querySelector(".wb-export-progress .progress-bar");
    if (window.__barWatch) window.__barWatch.disconnect();
    window.__barWidths = [];
    window.__barWatch = new MutationObserver(() => window.__barWidths.push(bar.style.width));
    window.__barWatch.observe(bar, {attributes: true, attributeFilter: ["style"]});
}"""


def export(console, fmt: str, name: re.Pattern, save_to: Path) -> tuple[str, Path]:
    """Choose the format, export, wait for the link to the new file and download it."""
    panel = console.locator(".wb-export-panel")
    panel.locator(".wb-export-format select").select_option(label=fmt)
    console.evaluate(WATCH_BAR)
    panel.locator(".wb-export-button").click()
    link = panel.locator(".wb-export-download a.wb-export-link")
    # the first PDF or Word cuts the CJK font and draws the charts (seconds on a quiet
    # machine, much longer on a busy one)
    expect(link).to_have_attribute("download", name, timeout=180_000)
    expect(panel.locator(".wb-export-size")).to_have_text(re.compile(r"^\d+(\.\d)? [KM]B$"))
    # the bar went forward while the file was made, and stands full
    expect(panel.locator(".wb-export-progress .progress-bar")).to_have_attribute(
        "style", re.compile(r"width: 100%"))
    widths = console.evaluate("window.__barWidths")
    assert any(w not in ("0%", "100%") for w in widths), widths
    href = link.get_attribute("href")
    with console.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == link.get_attribute("download")
    path = save_to / download.suggested_filename
    download.save_as(path)
    return href, path


def pdf_text(path: Path) -> str:
    """The PDF's text without white space (a PDF wraps lines wherever the page ends)."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                          text=True, check=True, timeout=60).stdout
    return squash(text)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def dark_share(pdf: Path) -> float:
    """The share of dark pixels on the PDF's first page, rendered at 40 dpi."""
    from PIL import Image

    stem = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(stem)], check=True, timeout=60)
    image = Image.open(f"{stem}.png").convert("L")
    counts = image.histogram()
    return sum(counts[:128]) / sum(counts)


def status_of(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=20) as answer:
            return answer.status, answer.read(200)
    except urllib.error.HTTPError as refused:
        return refused.code, b""


def test_export_panel_downloads_each_format_through_a_data_link(pages, server, tmp_path):
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.skip("poppler-utils (pdftotext, pdftoppm) is not installed")
    _ = translator(LANG)
    made = server.cli("demo", "--lang", LANG)
    assert made.returncode == 0, made.stderr
    code = made.stdout.strip().splitlines()[0]
    with Workbook.open(Settings(db_url=server.db_url)) as wb:
        ws = wb.workshops.get(code)
        meeting = wb.store.find_meetings(ws.id)[1]  # its title is unique in the demo
        group, *others = wb.workshops.groups(ws)
        members = [m.name for m in wb.workshops.members(ws) if m.group_id == group.id]
    downloads = tmp_path / "downloads"
    downloads.mkdir()

    console = pages.open(server.url("console", key=server.key, lang=LANG, code=code))
    panel = console.locator(".wb-export-panel")
    expect(panel).to_be_visible()

    # -- the facilitator's name, saved when the field loses focus ----------------------
    name_box = panel.locator(".wb-export-facilitator input")
    name_box.fill(FACILITATOR)
    name_box.blur()  # the exports below show it

    # -- the minutes of one meeting as PDF ----------------------------------------------
    panel.locator(".wb-export-scope select").select_option(label=_("Minutes of one meeting"))
    meetings = panel.locator(".wb-export-meeting select")
    expect(meetings).to_be_visible()
    expect(panel.locator(".wb-export-group select")).to_be_hidden()
    option = meetings.locator("option", has_text=meeting.title)
    expect(option).to_have_count(1)
    meetings.select_option(value=option.get_attribute("value"))
    expect(panel.locator(".wb-export-progress")).to_be_hidden()  # no empty bar before a first export
    href, pdf = export(console, "PDF", re.compile(rf"^{code}.*\.pdf$"), downloads)
    assert href.startswith("data:application/pdf;base64,")
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert squash(meeting.title) in text
    assert squash(_("Minutes of meeting {number}", number=meeting.number)) in text
    assert squash(FACILITATOR) in text  # as text, not as markup
    assert dark_share(pdf) > 0.002
    expect(panel.locator(".wb-export-status")).to_have_text(_("Ready"))

    # -- one group as Word -------------------------------------------------------------
    import docx

    panel.locator(".wb-export-scope select").select_option(label=_("One group"))
    groups = panel.locator(".wb-export-group select")
    expect(groups).to_be_visible()
    expect(meetings).to_be_hidden()
    option = groups.locator("option", has_text=group.name)
    groups.select_option(value=option.get_attribute("value"))
    href, word = export(console, "Word (.docx)", re.compile(rf"^{code}.*\.docx$"), downloads)
    assert href.startswith("data:application/vnd.openxmlformats-officedocument"
                           ".wordprocessingml.document;base64,")
    document = docx.Document(str(word))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert any(group.name in h for h in headings), headings
    tables = ["\n".join(cell.text for row in t.rows for cell in row.cells)
              for t in document.tables]
    assert any(all(m in t for m in members) for t in tables), members
    assert not [h for h in headings for g in others if g.name in h], "only the chosen group"

    # -- the case write-up as HTML ---------------------------------------------------------
    panel.locator(".wb-export-scope select").select_option(label=_("Case write-up (stage 6)"))
    expect(groups).to_be_visible()
    href, page = export(console, "HTML", re.compile(rf"^{code}.*\.html$"), downloads)
    assert href.startswith("data:text/html")
    html = page.read_text(encoding="utf-8")
    assert "李老师 &lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" not in html
    assert _("Case write-up") in html

    # -- the whole programme's data as Excel, and the JSON backup ------------------------------
    import openpyxl

    panel.locator(".wb-export-scope select").select_option(label=_("The whole programme"))
    expect(groups).to_be_hidden()
    _href, sheet = export(console, "Excel (.xlsx)", re.compile(rf"^{code}.*\.xlsx$"), downloads)
    book = openpyxl.load_workbook(sheet, read_only=True)
    assert len(book.sheetnames) >= 5, book.sheetnames
    book.close()
    _href, backup = export(console, "JSON", re.compile(rf"^{code}.*\.json$"), downloads)
    assert json.loads(backup.read_text(encoding="utf-8"))["workshop"]["code"] == code
    pages.shot(console, "export-panel")

    # -- the case write-up in Excel: a clear message, no link ------------------------------
    panel.locator(".wb-export-scope select").select_option(label=_("Case write-up (stage 6)"))
    panel.locator(".wb-export-format select").select_option(label="Excel (.xlsx)")
    panel.locator(".wb-export-button").click()
    expect(panel.locator(".wb-message .wb-error")).to_have_text(
        _("The case write-up is a document: choose Word, PDF, HTML or Markdown."))
    expect(panel.locator(".wb-export-link")).to_have_count(0)
    expect(panel.locator(".wb-export-button")).to_be_enabled()
    assert console.evaluate("document.querySelectorAll('img[src=x]').length") == 0

    # -- a backup of the whole store from the console, shown with its time and size ---------
    backup = console.locator(".wb-backup-info")
    expect(backup.locator(".wb-backup-state")).to_have_attribute("data-state", "none")
    backup.locator(".wb-backup-now").click()
    expect(backup.locator(".wb-backup-state")).to_have_attribute("data-state", "ok")
    expect(backup.locator(".wb-backup-state")).to_contain_text(_("Last backup: {time}, {size}")
                                                               .split("{")[0].strip())
    with Workbook.open(Settings(db_url=server.db_url)) as wb:
        copy = Path(wb.store.find_server_state("backup")["path"])
    assert copy.read_bytes().startswith(b"SQLite format 3")
    status, body = status_of(f"{server.base}/voila/files{copy}")
    assert status in (403, 404) and not body.startswith(b"SQLite format")

    # -- the server hands out no file: not the database, not the notebooks -----------------
    db_file = server.db_url.removeprefix("sqlite:///")
    for path in (f"/voila/files{db_file}", f"/files{db_file}", "/voila/files/console.ipynb",
                 "/files/console.ipynb", "/voila/files/%2e%2e/%2e%2e/pyproject.toml",
                 f"/voila/files/{Path(db_file).name}"):
        status, body = status_of(server.base + path)
        assert status in (403, 404), (path, status)
        assert not body.startswith(b"SQLite format"), path
