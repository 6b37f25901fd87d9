"""A participant's kernel, as a separate process that keeps writing cards.

Run ``python -m tests.support.writer --db URL --code CODE --token TOKEN --prefix P``: it opens
the workbook on the store like a page's kernel does, comes back as the member of the personal
link ``token`` and adds cards "P 1", "P 2" … to its group's restructuring board, printing
``ack <card id> <text>`` only after the service returned (the write is committed). With
``--hold`` it instead opens one write transaction, adds the card "P held" inside it, prints
``holding <text>`` and waits on stdin without committing: a kernel killed mid-transaction.

:class:`Writer` starts one such process and collects what it printed (on a reader thread, so
the test waits on conditions, never on time).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--code", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--count", type=int, default=0, help="stop after N cards (0: never)")
    parser.add_argument("--hold", action="store_true")
    args = parser.parse_args(argv)

    from actionlab.db.models import Card, utcnow
    from actionlab.errors import ActionlabError
    from actionlab.services import Workbook
    from actionlab.services.canvas import Author
    from actionlab.settings import Settings

    wb = Workbook.open(Settings(db_url=args.db))
    workshop = wb.workshops.get(args.code)
    author = Author(wb.workshops.resume(args.code, args.token))
    group = author.member.group_id
    if args.hold:
        text = f"{args.prefix} held"
        with wb.store.write(author.actor) as tx:
            now = utcnow()
            card = Card(workshop_id=workshop.id, group_id=group, canvas="restructure",
                        column="symptoms", text=text, author_id=author.member_id, created_at=now,
                        updated_at=now, fields={}, decided=False)
            tx.session.add(card)
            tx.session.flush()
            tx.log("card.add", "card", card, workshop_id=workshop.id, group_id=group,
                   canvas="restructure", column="symptoms", text=text)
            print(f"holding {card.id} {text}", flush=True)
            sys.stdin.readline()  # killed here
        return 0
    print("ready", flush=True)
    n = 0
    while not args.count or n < args.count:
        n += 1
        text = f"{args.prefix} {n}"
        try:
            card = wb.canvas.add_card(author, workshop, group, "restructure", "symptoms", text)
        except ActionlabError as exc:  # a lock held too long: not acknowledged, try the next
            print(f"error {text} {exc}", flush=True)
            continue
        print(f"ack {card.id} {text}", flush=True)
    wb.close()
    return 0


class Writer:
    """One writer process and the acknowledgements it printed."""

    def __init__(self, db: str, code: str, token: str, prefix: str, *, hold: bool = False,
                 count: int = 0):
        argv = [sys.executable, "-m", "tests.support.writer", f"--db={db}", f"--code={code}",
                f"--token={token}", f"--prefix={prefix}", f"--count={count}"]  # a token may start with -
        if hold:
            argv.append("--hold")
        self.prefix = prefix
        self.acked: dict[int, str] = {}  # card id -> text, in the order printed
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=dict(os.environ))
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            with self._changed:
                self.lines.append(line)
                if line.startswith("ack "):
                    _ack, card_id, text = line.split(" ", 2)
                    self.acked[int(card_id)] = text
                self._changed.notify_all()
        with self._changed:
            self.lines.append("<eof>")
            self._changed.notify_all()

    def wait(self, condition, timeout: float = 120) -> None:
        """Wait until ``condition(self)`` holds; fail with the process's output if it exits."""
        with self._changed:
            done = self._changed.wait_for(
                lambda: condition(self) or "<eof>" in self.lines, timeout=timeout)
        if not done or not condition(self):
            raise AssertionError(f"writer {self.prefix}: condition not met; printed "
                                 f"{self.lines[-5:]}; stderr: {self.stderr()}")

    def wait_acks(self, n: int, timeout: float = 120) -> None:
        self.wait(lambda w: len(w.acked) >= n, timeout)

    def snapshot(self) -> dict[int, str]:
        with self._changed:
            return dict(self.acked)

    def in_flight(self) -> str:
        """The text of the card this writer was adding when it stopped: it may have committed
        without its acknowledgement getting out."""
        position = {"ack": 3, "error": 2}  # ack <id> <prefix> <n>, error <prefix> <n> <why>
        tried = [0]
        with self._changed:
            for line in self.lines:
                parts = line.split(" ")
                if parts[0] in position and len(parts) > position[parts[0]]:
                    tried.append(int(parts[position[parts[0]]]))
        return f"{self.prefix} {max(tried) + 1}"

    def kill(self) -> None:
        """SIGKILL, as a crash would; the lines already printed stay collected."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=30)

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return "(running)"
        return self.proc.stderr.read() if self.proc.stderr and not self.proc.stderr.closed else ""


if __name__ == "__main__":
    sys.exit(main())
