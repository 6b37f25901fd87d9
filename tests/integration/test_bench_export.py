"""The export benchmark runs end to end on a tiny workshop and reports every format.

No timing is asserted: the benchmark reports its targets, the test only checks that it ran, for
actionlab and for the plain notebook it is compared with (bench/baseline/records.ipynb).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from actionlab.exporters import format_names
from tests.support.benchrun import run_bench

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_export.py"


def test_tiny_benchmark_reports_every_format(tmp_path):
    stdout, metrics = run_bench(BENCH, ["--n", "8", "--cards", "40", "--meetings", "3",
                                        "--actions", "8"], tmp_path)
    for fmt in [*format_names(), "minutes_pdf", "minutes_docx"]:
        whole = not fmt.startswith("minutes")  # the plain notebook writes the whole programme only
        for name, unit, target in ((f"export_{fmt}_seconds", "s", 2.0),
                                   (f"export_{fmt}_cold_seconds", "s", None),
                                   (f"export_{fmt}_peak_mb", "MB", 300.0),
                                   (f"export_{fmt}_increase_mb", "MB", None)):
            row = metrics.get(name)
            assert row is not None, f"no {name} in:\n{stdout}"
            assert row["unit"] == unit and row["target"] == target
            assert isinstance(row["value"], (int, float)) and row["value"] > 0, row
            if whole:
                assert isinstance(row["baseline"], (int, float)) and row["baseline"] > 0, row
            else:
                assert row["baseline"] is None, row
    assert "cold s" in stdout and "warm s" in stdout  # the readable tables
    assert "plain notebook" in stdout and "FAILED" not in stdout
    assert not list(tmp_path.iterdir()), "the benchmark left its temporary folder behind"
