"""Benchmarks of the store's hot paths (not part of the test run: ``make bench``).

Targets for a room of 5 groups × 8 people with every page polling a few times a second:
  * one poll of the change log (nothing new) stays under 2 ms with 20 000 changes stored;
  * adding a card (one transaction + one change row) stays under 20 ms on SQLite.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from actionlab.services import Workbook
from actionlab.services.canvas import FACILITATOR_AUTHOR
from actionlab.settings import Settings

TARGETS_MS = {"poll (nothing new)": 2.0, "add card": 20.0}


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--changes", type=int, default=20000, help="change-log rows to pre-fill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        wb = Workbook.open(Settings(db_url=url), upgrade=True)
        ws = wb.workshops.create("Bench", "en", 5)
        groups = wb.workshops.groups(ws)
        print(f"pre-filling {args.changes} changes …", flush=True)
        for i in range(args.changes):
            wb.canvas.add_card(FACILITATOR_AUTHOR, ws, groups[i % 5].id, "restructure",
                               "symptoms", f"card {i}")
        feed = wb.feed(ws.id)
        results = {
            "poll (nothing new)": timed(feed.poll, 2000),
            "add card": timed(lambda: wb.canvas.add_card(FACILITATOR_AUTHOR, ws, groups[0].id,
                                                         "restructure", "causes", "x"), 300),
        }
        wb.close()
    failed = 0
    for name, samples in results.items():
        median = statistics.median(samples)
        p95 = statistics.quantiles(samples, n=20)[-1]
        ok = median <= TARGETS_MS[name]
        failed += not ok
        print(f"{name:20s} median {median:7.3f} ms  p95 {p95:7.3f} ms  target {TARGETS_MS[name]} ms  "
              f"{'ok' if ok else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
