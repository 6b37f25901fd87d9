"""Running a benchmark under test: the run, and its metric lines read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: The fields of every metric line a benchmark prints (the issue's form, plus its target).
METRIC_FIELDS = {"metric", "value", "unit", "baseline", "target"}


def run_bench(script: Path, args: list[str], tmp_path: Path,
              timeout: float = 900) -> tuple[str, dict[str, dict]]:
    """Run ``script`` with its temporary files under ``tmp_path``; it must succeed. Returns
    its output and its metric lines by name, each checked to have exactly METRIC_FIELDS."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(script), *args], capture_output=True,
                          text=True, env=env, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    rows = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            assert set(row) == METRIC_FIELDS, row
            rows[row["metric"]] = row
    return done.stdout, rows
