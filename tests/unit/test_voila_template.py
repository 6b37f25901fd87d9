"""The Voila room template (templates/voila/templates/actionlab) loads nothing from other hosts.

Workshop rooms may have no internet, so every script and style must come from the Voila
server. Three checks:

* the template's own files contain no http(s) URL at all;
* every block of the upstream lab templates (Voila's and nbconvert's, as installed) that would
  pull content from a CDN is overridden, and no override hands such a block back through
  ``super()``;
* the page Voila renders from the template (offline, through Voila's own exporter) has no
  external ``<script src>``/``<link href>``; the same render with Voila's plain "lab" template
  does, which shows the check can fail.
"""

from __future__ import annotations

import asyncio
import html as html_lib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from jinja2 import Environment, nodes

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
TEMPLATE_DIR = TEMPLATES / "voila" / "templates" / "actionlab"
INDEX = TEMPLATE_DIR / "index.html.j2"

ANY_URL = re.compile(r"(?i)\bhttps?://|(?:src|href)\s*=\s*[\"']//|url\(\s*[\"']?//")
# an external resource a browser would fetch (not, e.g., an XML namespace of an inline SVG)
FETCHED_URL = re.compile(
    r"""(?ix)
    (?:\b(?:src|href)\s*=\s*["']?|\bimport\s*\(\s*["']|\burl\(\s*["']?|@import\s+["'])
    (?:https?:)?//
    """
)
MACROS_FETCHING_FROM_CDN = {"mathjax", "mermaid_js", "jupyter_widgets"}
NOT_EXTERNAL_URL_VARS = {"base_url"}  # resources.base_url is the Voila server itself
BLOCKS_WITH_CDN_CONTENT = {
    "notebook_css",  # Voila lab: Font Awesome from cdn.jsdelivr.net
    "html_head_js_requirejs",  # nbconvert lab: require.js
    "jupyter_widgets",  # nbconvert lab: static widget manager
    "html_head_js_mathjax",  # nbconvert lab: MathJax
    "html_head_js_mermaidjs",  # nbconvert lab: mermaid
}

_env = Environment(extensions=["jinja2.ext.do"])


def template_files() -> list[Path]:
    return sorted(p for p in TEMPLATE_DIR.rglob("*") if p.is_file())


# -- reading templates ---------------------------------------------------------------------------


def _own_nodes(block: nodes.Block):
    """Nodes of a block, not descending into nested blocks (they are judged on their own)."""
    stack = list(block.body)
    while stack:
        node = stack.pop()
        if isinstance(node, nodes.Block):
            continue
        yield node
        stack.extend(node.iter_child_nodes())


def _blocks(source: str) -> dict[str, nodes.Block]:
    return {b.name: b for b in _env.parse(source).find_all(nodes.Block)}


def fetches_external(block: nodes.Block) -> bool:
    """Does the block itself (nested blocks aside) put external content into the page?"""
    for node in _own_nodes(block):
        if isinstance(node, nodes.TemplateData) and FETCHED_URL.search(node.data):
            return True
        if (
            isinstance(node, nodes.Getattr)
            and node.attr.endswith("_url")
            and node.attr not in NOT_EXTERNAL_URL_VARS
        ):
            return True
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            if node.node.name in MACROS_FETCHING_FROM_CDN:
                return True
    return False


def super_depths(block: nodes.Block) -> set[int]:
    """1 for ``super()``, 2 for ``super.super()`` ... called in the block itself."""
    depths = set()
    for node in _own_nodes(block):
        if not isinstance(node, nodes.Call):
            continue
        target, depth = node.node, 1
        while isinstance(target, nodes.Getattr) and target.attr == "super":
            target, depth = target.node, depth + 1
        if isinstance(target, nodes.Name) and target.name == "super":
            depths.add(depth)
    return depths


def upstream_chain() -> list[dict[str, nodes.Block]]:
    """Blocks of the templates ours extends, nearest first: Voila lab, then nbconvert lab."""
    from jupyter_core.paths import jupyter_path

    chain = []
    for relative in ("voila/templates/lab/index.html.j2", "nbconvert/templates/lab/index.html.j2"):
        for root in jupyter_path():
            path = Path(root) / relative
            if path.is_file():
                chain.append(_blocks(path.read_text(encoding="utf-8")))
                break
        else:
            pytest.skip(f"{relative} not installed")
    return chain


def renders_external(chain: list[dict[str, nodes.Block]], level: int, name: str) -> bool:
    """Would rendering block ``name`` from ``chain[level]`` upward bring in CDN content?"""
    while level < len(chain) and name not in chain[level]:
        level += 1
    if level >= len(chain):
        return False
    block = chain[level][name]
    if fetches_external(block):
        return True
    return any(renders_external(chain, level + d, name) for d in super_depths(block))


# -- the template's files ------------------------------------------------------------------------


def test_template_has_expected_files() -> None:
    names = {p.relative_to(TEMPLATE_DIR).as_posix() for p in template_files()}
    assert {"conf.json", "index.html.j2", "static/actionlab.css", "static/actionlab.js",
            "static/frontend.js", "static/frontend.css"} <= names


def test_conf_extends_lab() -> None:
    conf = json.loads((TEMPLATE_DIR / "conf.json").read_text(encoding="utf-8"))
    assert conf["base_template"] == "lab"
    assert conf["mimetypes"]["text/html"] is True


#: Built from templates/frontend/: the libraries in it name web pages in their messages and
#: licences, never as something to load (the UI tests fail on any request to another host).
BUILT = {"frontend.js"}


@pytest.mark.parametrize("path", template_files(), ids=lambda p: p.name)
def test_no_url_in_template_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    pattern = FETCHED_URL if path.name in BUILT else ANY_URL
    found = [m.group(0) for m in pattern.finditer(text)]
    assert found == [], f"{path.relative_to(ROOT)} names another host: {found}"


def test_url_patterns_catch_cdn_links() -> None:
    cdn = '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/x/all.min.css">'
    assert ANY_URL.search(cdn) and FETCHED_URL.search(cdn)
    assert FETCHED_URL.search('<script src="//cdnjs.cloudflare.com/x.js"></script>')
    assert FETCHED_URL.search('await import("https://cdnjs.cloudflare.com/m.mjs")')
    assert not FETCHED_URL.search('<svg xmlns="http://www.w3.org/2000/svg">')
    assert not FETCHED_URL.search('<script src="/voila/static/voila.js"></script>')


def test_index_extends_lab_and_overrides_cdn_blocks() -> None:
    source = INDEX.read_text(encoding="utf-8")
    tree = _env.parse(source)
    extends = list(tree.find_all(nodes.Extends))
    assert len(extends) == 1 and extends[0].template.value == "lab/index.html.j2"
    ours = _blocks(source)
    missing = BLOCKS_WITH_CDN_CONTENT - set(ours)
    assert not missing, f"blocks that would pull CDN content are not overridden: {missing}"
    for name in BLOCKS_WITH_CDN_CONTENT:
        assert not fetches_external(ours[name]), name
    # our own additions are served by Voila from the template's static folder
    assert 'resources.include_css("static/actionlab.css")' in source
    assert 'resources.include_js("static/actionlab.js")' in source


def test_every_upstream_cdn_block_is_overridden() -> None:
    chain = upstream_chain()
    risky = {name for blocks in chain for name, block in blocks.items() if fetches_external(block)}
    # the detector must find what we know is there, or it proves nothing
    assert {"notebook_css", "html_head_js_mathjax", "html_head_js_mermaidjs"} <= risky
    ours = _blocks(INDEX.read_text(encoding="utf-8"))
    assert risky <= set(ours), f"not overridden: {risky - set(ours)}"
    for name, block in ours.items():
        leaks = [d for d in super_depths(block) if renders_external(chain, d - 1, name)]
        assert not leaks, f"block {name} hands CDN content back through super() (depth {leaks})"


def test_super_detection() -> None:
    block = _blocks("{% block a %}{{ super() }}{{ super.super() }}{% endblock %}")["a"]
    assert super_depths(block) == {1, 2}
    chain = [
        _blocks('{% block a %}<link href="https://cdn.example/x.css">{{ super() }}{% endblock %}'),
        _blocks("{% block a %}local{% endblock %}"),
    ]
    assert renders_external(chain, 0, "a")
    assert not renders_external(chain, 1, "a")


# -- the page Voila renders ----------------------------------------------------------------------


def render_page(template: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Render a small notebook the way Voila does, without a server or a kernel."""
    nbformat = pytest.importorskip("nbformat")
    exporter_mod = pytest.importorskip("voila.exporter")
    from voila.paths import collect_template_paths

    monkeypatch.setenv("JUPYTER_PATH", str(TEMPLATES))  # what `actionlab serve` sets
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 行动学习 $x^2$"),
            nbformat.v4.new_code_cell("print('hi')"),
        ]
    )
    paths = collect_template_paths(["voila", "nbconvert"], template)
    exporter = exporter_mod.VoilaExporter(
        template_paths=paths, template_name=template, theme="light", base_url="/"
    )

    async def cells(notebook, _kernel_id):
        for cell in notebook.cells:
            yield cell

    context = {
        "frontend": "voila",
        "main_js": "voila.js",
        "kernel_start": lambda _nb: "kernel-id",
        "cell_generator": cells,
        "notebook_execute": lambda _nb, _kernel_id: None,
        "progressive_rendering": False,
    }
    resources = {
        "base_url": "/",
        "theme": "light",
        "template": template,
        "metadata": {"name": "page"},
        "page_config": {},
    }

    async def run() -> str:
        parts = []
        async for html, _ in exporter.generate_from_notebook_node(
            nb, resources=resources, extra_context=context, page_config={}
        ):
            parts.append(html)
        return "".join(parts)

    # A thread of its own: in a full run, Playwright's sync API (UI tests) may already have an
    # event loop running in this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(run())).result()


def external_resources(html: str) -> list[str]:
    tags = re.findall(r"<(?:script|link)\b[^>]*>", html, flags=re.I)
    return [t for t in tags if FETCHED_URL.search(t)] + [
        m.group(0) for m in re.finditer(r"import\(\s*[\"'](?:https?:)?//[^\"']*", html)
    ]


@pytest.mark.slow  # draws real charts / renders a page: `make test` runs it
def test_rendered_page_is_self_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    html = render_page("actionlab", monkeypatch)
    assert external_resources(html) == []
    assert "/voila/templates/actionlab/static/actionlab.css" in html
    assert "/voila/templates/actionlab/static/actionlab.js" in html
    # the page's own front end draws the widgets, not Voila's JupyterLab application
    assert "/voila/templates/actionlab/static/frontend.js" in html
    assert "/voila/templates/actionlab/static/frontend.css" in html
    assert "voila-style.js" not in html and "/voila/static/voila.js" not in html
    assert "/voila/templates/actionlab/static/index.css" in html
    assert "行动学习" in html_lib.unescape(html)  # the cells are there too


@pytest.mark.slow  # renders a page / draws charts: `make test` runs it
def test_plain_lab_page_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    html = render_page("lab", monkeypatch)
    assert any("cdn.jsdelivr.net" in tag for tag in external_resources(html))
