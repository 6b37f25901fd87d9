"""The pages' front end in the template (static/frontend.js and .css) is what its source in
templates/frontend/ builds: nobody edits the built files, and a change to the source is not
forgotten. `make test` installs the build tools (npm ci); this builds again, offline."""

from __future__ import annotations

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
