#!/usr/bin/python3
"""RSS per idle client connection (../shared/BENCHMARKS.md run 6; target <= 6 KiB at 5,000).

Starts one MariaDB; per round a fresh ShardGate (release build, 2 workers, pool of 32)
whose RSS is read (VmRSS) before any client, then with N authenticated connections
(asyncio clients, tests/harness/async_client.py):
  (a) after login, (b) after every connection ran one statement, in waves of 100 at a time
      (so the figure is what idle clients cost, not the peak of 5,000 statements at once),
      and went idle again.
Per-connection figure = (RSS with N open - RSS before) / N; median of --rounds rounds.

    /usr/bin/python3 benchmarks/idle_connections.py               # 5,000 connections, 3 rounds
    /usr/bin/python3 benchmarks/idle_connections.py --clients 1000 --rounds 1
"""
import argparse
import asyncio
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from harness import async_client  # noqa: E402
from harness.mariadb_server import MariaDBServer  # noqa: E402
from harness.netutil import rss_kib  # noqa: E402
from harness.shardgate_process import ShardGate, make_config  # noqa: E402


async def open_all(port, n):
    sem = asyncio.Semaphore(200)

    async def one():
        async with sem:
            return await async_client.connect("127.0.0.1", port, db="sbtest")

    return await asyncio.gather(*(one() for _ in range(n)))


async def round_trip(conns, wave=100):
    for i in range(0, len(conns), wave):
        await asyncio.gather(*(c.query("SELECT 1") for c in conns[i:i + wave]))


def settle(pid, seconds=1.0):
    time.sleep(seconds)
    return rss_kib(pid)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench-idle"))
    ap.add_argument("--binary", default=os.environ.get("SHARDGATE_BIN", os.path.join(ROOT, "build", "shardgate")))
    ap.add_argument("--server-port", type=int, default=23397)
    ap.add_argument("--proxy-port", type=int, default=26097)
    args = ap.parse_args()

    server = MariaDBServer("idle-db", args.server_port, args.workdir).start()
    cfg = make_config(args.proxy_port, args.proxy_port + 3000, {"db": f"127.0.0.1:{args.server_port}"},
                      level="warn", workers=2)
    cfg["clusters"]["db"]["pool"] = {"max_connections": 32}
    after_login, after_query = [], []
    try:
        for r in range(args.rounds):
            proxy = ShardGate(cfg, os.path.join(args.workdir, "proxy"), binary=args.binary).start()
            try:
                async def measure():
                    before = settle(proxy.pid)
                    conns = await open_all(args.proxy_port, args.clients)
                    login = settle(proxy.pid)
                    await round_trip(conns)
                    used = settle(proxy.pid)
                    for c in conns:
                        c.close()
                    return before, login, used

                before, login, used = asyncio.run(measure())
            finally:
                proxy.stop()
            a = (login - before) * 1024 / args.clients
            b = (used - before) * 1024 / args.clients
            after_login.append(a)
            after_query.append(b)
            print(f"round {r + 1}: RSS {before} KiB -> {login} KiB after {args.clients} logins "
                  f"({a:.0f} B each) -> {used} KiB after one statement each ({b:.0f} B each)", flush=True)
    finally:
        server.stop()
    print(f"\n## RSS per idle client connection ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{args.clients} connections, median of {args.rounds} rounds)\n")
    print("| state | bytes per connection | target |")
    print("|---|---|---|")
    print(f"| logged in, idle | {statistics.median(after_login):.0f} ({statistics.median(after_login) / 1024:.1f} KiB) "
          f"| <= 6 KiB |")
    print(f"| after one statement each, idle | {statistics.median(after_query):.0f} "
          f"({statistics.median(after_query) / 1024:.1f} KiB) | <= 6 KiB |")


if __name__ == "__main__":
    main()
