"""The export benchmark runs end to end on a tiny workshop and reports every format.

No timing is asserted: the benchmark reports its targets, the test only checks that it ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from actionlab.exporters import format_names

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_export.py"


def test_tiny_benchmark_reports_every_format(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(BENCH), "--n", "8", "--cards", "40", "--meetings", "3",
         "--actions", "8"],
        capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    metrics = {}
    for line in lines:
        row = json.loads(line)
        assert set(row) == {"metric", "value", "unit", "baseline", "target"}, row
        metrics[row["metric"]] = row
    for fmt in [*format_names(), "minutes_pdf", "minutes_docx"]:
        for name, unit, target in ((f"export_{fmt}_seconds", "s", 2.0),
                                   (f"export_{fmt}_cold_seconds", "s", None),
                                   (f"export_{fmt}_peak_mb", "MB", 300.0),
                                   (f"export_{fmt}_increase_mb", "MB", None)):
            row = metrics.get(name)
            assert row is not None, f"no {name} in:\n{done.stdout}"
            assert row["unit"] == unit and row["target"] == target
            assert isinstance(row["value"], (int, float)) and row["value"] > 0, row
    assert "cold s" in done.stdout and "warm s" in done.stdout  # the readable table
    assert not list(tmp_path.iterdir()), "the benchmark left its temporary folder behind"
