"""The pages' front end in the template (static/frontend.js and .css) is what its source in
templates/frontend/ builds: nobody edits the built files, and a change to the source is not
forgotten. `make test` installs the build tools (npm ci); this builds again, offline."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "templates" / "frontend"
STATIC = ROOT / "templates" / "voila" / "templates" / "actionlab" / "static"


def test_the_committed_front_end_is_built_from_its_source(tmp_path):
    node = shutil.which("node")
    if node is None or not (FRONTEND / "node_modules" / "esbuild").is_dir():
        pytest.fail("the front end's build tools are missing: run `make frontend-deps` "
                    "(Node.js and npm, then npm ci in templates/frontend)")
    done = subprocess.run([node, "build.mjs", "--out", str(tmp_path)], cwd=FRONTEND,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for name in ("frontend.js", "frontend.css"):
        built = (tmp_path / name).read_bytes()
        assert built == (STATIC / name).read_bytes(), (
            f"static/{name} is not what templates/frontend builds: run `make frontend`")
    # the widgets the pages use are in it (ipywidgets' controls, drawn from the kernel's models)
    script = (tmp_path / "frontend.js").read_text(encoding="utf-8")
    for model in ("ButtonModel", "TextareaModel", "DropdownModel", "TabModel", "HTMLModel"):
        assert model in script


def test_html_in_a_description_is_shown_as_text_and_the_script_stays_small():
    """ipywidgets' sanitize-html is replaced by src/escape-html.mjs: markup never passes."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is missing: run `make frontend-deps`")
    hostile = '<img src=x onerror="alert(1)"> & \'quoted\' <b>bold</b>'
    script = ("import escape from './src/escape-html.mjs';"
              f"console.log(JSON.stringify(escape({json.dumps(hostile)})));")
    done = subprocess.run([node, "--input-type=module", "-e", script], cwd=FRONTEND,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert "<" not in shown and ">" not in shown and '"' not in shown
    assert shown == ("&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; &#39;quoted&#39; "
                     "&lt;b&gt;bold&lt;/b&gt;")
    # without sanitize-html's HTML and CSS parsers (0.29 → 0.19 MB) and without jQuery (its
    # stand-in src/dom-events.cjs, tested in tests/ui/test_dom_events.py) a phone fetches 0.16 MB
    built = (STATIC / "frontend.js").read_bytes()
    assert b"isPropagationStopped" not in built, "jQuery is bundled again"
    packed = len(gzip.compress(built, compresslevel=9))
    assert packed < 175_000, f"frontend.js is {packed} bytes compressed"
