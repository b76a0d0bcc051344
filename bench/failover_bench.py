"""Failover with real processes: graceful stops and kills of the active worker during an
announcement, on PostgreSQL, counted at a local Bot API server.

    .venv/bin/python -m bench.failover_bench [--recipients 2000] [--sigterms 20] [--kills 6] [--processes 3]

Three `forbedring-bot run` processes (polling) share a fresh database (created and dropped
here, on the server of TEST_POSTGRES_URL); an announcement of N recipients is in the outbox.
Every few seconds the active worker is stopped (SIGTERM, then kill -9 for the last ones) and
started again, so there are always standbys. Prints, beside each goal: recipients served,
duplicates per kind of stop, the longest takeover (stop → the next message out), rows left
in 'sending'.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import make_url

from storage import migrate
from storage.database import Database
from tests.run_suites import DEFAULT_POSTGRES, _admin
from tests.test_multi_process import active_pid, announce, outbox_states, sent, start, wait_for
from tests.test_real_runner import LocalBotApi, cli_env


async def fresh_database(server_url: str) -> str:
    name = f"failover_{secrets.token_hex(4)}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    await migrate.upgrade(db.engine)
    await db.dispose()
    return url


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--sigterms", type=int, default=20)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--processes", type=int, default=3)
    args = parser.parse_args()
    server = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    url = asyncio.run(fresh_database(server))
    workdir = Path(tempfile.mkdtemp(prefix="failover-"))
    api = LocalBotApi()
    expected = announce(url, args.recipients)
    env = cli_env(workdir, url, api)
    env.update({"OUTBOX_RATE": "30", "OUTBOX_LEASE_SECONDS": "5", "LOG_LEVEL": "WARNING"})
    processes: dict[int, subprocess.Popen] = {}
    started = 0

    def launch():
        nonlocal started
        started += 1
        p = start(workdir, env, f"p{started}")
        processes[p.pid] = p

    for _ in range(args.processes):
        launch()
    plan = [signal.SIGTERM] * args.sigterms + [signal.SIGKILL] * args.kills
    takeovers: dict[str, list[float]] = {"SIGTERM": [], "SIGKILL": []}
    after_sigterms = 0  # duplicates once every SIGTERM is done and a lease has run out
    began = time.monotonic()
    try:
        per_stop = max(10, int(args.recipients * 0.8 / max(1, len(plan))))
        for n, how in enumerate(plan):
            kind = "SIGTERM" if how == signal.SIGTERM else "SIGKILL"
            wait_for(lambda: len(sent(api)) >= (n + 1) * per_stop, 300, "messages to go out")
            victim = wait_for(lambda: active_pid(url), 60, "an active worker")
            before = len(sent(api))
            processes[victim].send_signal(how)
            stopped = time.monotonic()
            processes.pop(victim).wait(timeout=90)
            launch()  # a fresh standby, as an orchestrator would restart it
            wait_for(lambda: len(sent(api)) > before, 120, "sending to go on")
            takeovers[kind].append(time.monotonic() - stopped)
            if n == args.sigterms - 1:
                time.sleep(6)  # a lease (5 s) runs out: a resend of a SIGTERM's message would show now
                after_sigterms = sum(c - 1 for c in Counter(sent(api)).values())
        wait_for(lambda: set(expected) <= set(sent(api)), 600, "every recipient")
        wait_for(lambda: outbox_states(url).get("sent", 0) >= args.recipients, 60, "every row marked sent")
    finally:
        for p in processes.values():
            p.send_signal(signal.SIGTERM)
        for p in processes.values():
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        api.close()
    elapsed = time.monotonic() - began
    counts = Counter(sent(api))
    duplicates = sum(c - 1 for c in counts.values())
    states = outbox_states(url)
    asyncio.run(_admin(server, f'DROP DATABASE "{make_url(url).database}" WITH (FORCE)'))
    print(f"failover: {args.processes} processes, {args.recipients} recipients, {args.sigterms} SIGTERM and "
          f"{args.kills} kill -9 of the active worker, {elapsed:.0f} s")
    print(f"  recipients served          {len(set(counts) & set(expected))} of {len(expected)}   goal: all")
    print(f"  duplicates, SIGTERM        {after_sigterms}   goal: 0 over {args.sigterms}")
    print(f"  duplicates, kill -9        {duplicates - after_sigterms}   goal: <= 1 per kill (<= {args.kills})")
    for kind, times in takeovers.items():
        if times:
            print(f"  takeover after {kind:8s}  median {statistics.median(times):.1f} s, longest {max(times):.1f} s"
                  f"   goal: < 30 s")
    print(f"  rows left in 'sending'     {states.get('sending', 0)}   goal: 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
