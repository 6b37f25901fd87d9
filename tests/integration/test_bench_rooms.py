"""The rooms benchmark runs end to end at its smallest: 4 participants over 2 rooms on one
PostgreSQL, simulated pages, then plain Voila with the same pages.

No timing is asserted: the benchmark reports its targets, the test checks that it ran, that
every page opened and every card reached its room's projector, on both setups, and that it
reported every metric in the agreed form.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.benchrun import run_bench
from tests.support.pg import find_bindir

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_rooms.py"
REQUIRE_POSTGRES = os.environ.get("ACTIONLAB_TEST_REQUIRE_POSTGRES", "").lower() in {
    "1", "true", "yes"}

#: metric -> (unit, target, measured on plain Voila too)
METRICS = {
    "rooms_propagation_p50_ms": ("ms", None, True),
    "rooms_propagation_p95_ms": ("ms", 500.0, True),
    "rooms_propagation_max_ms": ("ms", None, True),
    "rooms_own_page_p50_ms": ("ms", None, True),
    "rooms_join_p50_s": ("s", None, True),
    "rooms_join_p95_s": ("s", None, True),
    "rooms_kernel_mean_rss_mb": ("MB", 60.0, True),
    "rooms_kernel_mean_uss_mb": ("MB", None, True),
    "rooms_kernel_mean_pss_mb": ("MB", None, True),
    "rooms_kernels_total_rss_mb": ("MB", None, False),
    "rooms_store_servers_rss_mb": ("MB", None, False),  # plain Voila has none
    "rooms_room1_kernels_rss_mb": ("MB", None, False),
    "rooms_room2_kernels_rss_mb": ("MB", None, False),
}


def test_tiny_rooms_benchmark_reports_every_metric(tmp_path):
    if find_bindir() is None:
        reason = ("PostgreSQL server programs (initdb, pg_ctl, postgres) not installed; "
                  "run 'make system-deps' or install the Debian package 'postgresql'")
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " (ACTIONLAB_TEST_REQUIRE_POSTGRES is set)", pytrace=False)
        pytest.skip(reason)
    # the people arrive over two seconds, as when a room is told to scan the code
    stdout, rows = run_bench(BENCH, ["--n", "4", "--rooms", "2", "--edits", "4", "--rate", "4",
                                     "--spread", "2", "--join-parallel", "4"], tmp_path)
    for name, (unit, target, on_plain_voila) in METRICS.items():
        row = rows.get(name)
        assert row is not None, f"no {name} in:\n{stdout}"
        assert row["unit"] == unit and row["target"] == target, row
        sides = ("value", "baseline") if on_plain_voila else ("value",)
        for side in sides:
            assert isinstance(row[side], (int, float)) and row[side] > 0, row
    # every page opened and every card reached its projector, in the rooms and on plain Voila
    for name in ("rooms_pages_failed", "rooms_cards_missed"):
        assert rows[name]["value"] == 0 and rows[name]["baseline"] == 0, rows[name]
    assert rows["rooms_participants"]["value"] == 4 and rows["rooms_participants"]["baseline"] == 4
    assert rows["rooms_rooms"]["value"] == 2
    # a kernel's own pages, its share of the shared ones, all it has mapped: each holds the last
    for side in ("value", "baseline"):
        uss, pss, rss = (rows[f"rooms_kernel_mean_{kind}_mb"][side] for kind in ("uss", "pss", "rss"))
        assert uss <= pss <= rss, (side, uss, pss, rss)
    assert "ratio" in stdout  # the readable table
    assert not list(tmp_path.glob("actionlab-*")), "the benchmark left a temporary folder behind"
