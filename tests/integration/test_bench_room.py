"""The room benchmark runs end to end with two participants, against plain Voila too.

No timing is asserted: the benchmark reports its targets, the test only checks that it ran and
reported every metric for both servers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.benchrun import run_bench
from tests.support.browser import CHROMIUM

pytestmark = [pytest.mark.integration, pytest.mark.ui]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_room.py"

#: metric -> (unit, target)
METRICS = {
    **{f"{name}_p{p}_s": ("s", None) for name in ("join_html", "join_form_tti", "join_canvas")
       for p in (50, 95)},
    "join_burst_server_cpu_s": ("s", None), "join_burst_browser_cpu_s": ("s", None),
    "join_burst_driver_cpu_s": ("s", None),
    "alone_join_tti_s": ("s", None), "alone_server_cpu_s": ("s", None),
    "alone_browser_cpu_s": ("s", None), "alone_driver_cpu_s": ("s", None), "join_burst_cpu_floor_s": ("s", None),
    "blank_page_browser_cpu_s": ("s", None), "join_burst_blank_floor_s": ("s", None),
    "alone_slow_phone_join_tti_s": ("s", None), "alone_slow_phone_form_tti_s": ("s", None),
    "join_tti_p50_s": ("s", 1.0), "join_tti_p95_s": ("s", 2.0),
    "propagation_p50_ms": ("ms", None), "propagation_p95_ms": ("ms", 300.0),
    "participant_kernel_rss_mb": ("MB", 60.0), "participant_kernel_rss_max_mb": ("MB", 60.0),
    "participant_kernels_rss_total_mb": ("MB", None), "kernels_total_rss_mb": ("MB", None),
    "server_rss_total_mb": ("MB", None), "server_pss_total_mb": ("MB", None),
}


def test_tiny_room_benchmark_reports_every_metric(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make test installs it)")
    stdout, rows = run_bench(BENCH, ["--n", "2", "--edits", "2", "--spread", "1"], tmp_path)
    for name, (unit, target) in METRICS.items():
        row = rows.get(name)
        assert row is not None, f"no {name} in:\n{stdout}"
        assert row["unit"] == unit and row["target"] == target, row
        for side in ("value", "baseline"):  # measured on both servers
            assert isinstance(row[side], (int, float)) and row[side] > 0, row
    # both servers: every page joined, each participant kernel found among the processes
    assert rows["join_failed_pages"]["value"] == 0 and rows["join_failed_pages"]["baseline"] == 0
    assert rows["kernel_processes"]["value"] >= 2 and rows["kernel_processes"]["baseline"] >= 3
    assert rows["pool_ready_s"]["baseline"] is None  # plain Voila has no pool
    # actionlab's participants reach the store through its store server; plain Voila has none
    assert rows["store_server_rss_mb"]["value"] > 0 and rows["store_server_rss_mb"]["baseline"] is None
    # a page of the workbook costs the browser more than a trivial page in a new context
    assert rows["alone_browser_cpu_s"]["value"] > rows["blank_page_browser_cpu_s"]["value"]
    # a page on a CPU four times slower (the default --phone-slowdown) joins later, on both
    for side in ("value", "baseline"):
        assert rows["alone_slow_phone_join_tti_s"][side] > rows["alone_join_tti_s"][side]
    assert "ratio" in stdout  # the readable table
    assert not list(tmp_path.glob("actionlab-bench-room-*")), "the benchmark left its folder behind"
