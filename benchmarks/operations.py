#!/usr/bin/python3
"""What metrics and rate limiting cost (issue 7): sysbench oltp_point_select against one
MariaDB directly and through two ShardGate processes in front of it, alternated in one
sitting (direct, off, on, direct, off, on, ...), median of N rounds.

- "off": admin.metrics false, no rate limits, logging.slow_query_ms 0, query_stats_size 0.
- "on":  admin.metrics true (and /metrics scraped every second during the run), the user's
         rate_limit and client_ip_rate_limit set far above what the machine can do (every
         statement takes tokens from both buckets, none waits), the slow log on
         (slow_query_ms 1000) and /stats/queries on (query_stats_size 200: every statement
         is fingerprinted).

Target: the proxy/direct ratio with everything on within 3% of the same with it off. The
proxy CPU per query (user+sys from /proc/PID/stat over the queries served) is reported too:
it is much steadier than throughput on a shared 2-core machine.

    /usr/bin/python3 benchmarks/operations.py                    # ~4 min
    /usr/bin/python3 benchmarks/operations.py --time 5 --rounds 1  # quick look
"""
import argparse
import os
import statistics
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, HERE)

from harness.mariadb_server import MariaDBServer  # noqa: E402
from harness.shardgate_process import ShardGate, make_config  # noqa: E402
from passthrough import cpu_seconds, parse, sysbench  # noqa: E402


def proxy_config(port, server_port, on, workers):
    limit = {"queries_per_second": 50_000_000, "burst": 1_000_000}
    user = {"name": "app", "password": "app"}
    if on:
        user["rate_limit"] = limit
        user["client_ip_rate_limit"] = limit
    cfg = make_config(port, port + 3000, {"bench": f"127.0.0.1:{server_port}"}, level="warn",
                      workers=workers, users=[user],
                      top={"logging": {"slow_query_ms": 1000 if on else 0,
                                       "query_stats_size": 200 if on else 0},
                           "admin": {"metrics": on}, "reload": {"watch": False}})
    cfg["clusters"]["bench"]["pool"] = {"max_connections": 32}
    return cfg


def run(port, pid, server_pid, args, threads, ps_mode, scrape_port=None):
    stop = threading.Event()
    scrapes = [0]

    def scraper():
        while not stop.wait(1.0):
            with urllib.request.urlopen(f"http://127.0.0.1:{scrape_port}/metrics", timeout=10) as r:
                r.read()
            scrapes[0] += 1
    t = threading.Thread(target=scraper) if scrape_port else None
    if t:
        t.start()
    p0 = cpu_seconds(pid) if pid else 0.0
    s0 = cpu_seconds(server_pid)
    try:
        r = parse(sysbench(port, threads, args.time, ps_mode, args.table_size))
    finally:
        stop.set()
        if t:
            t.join()
    r["proxy_cpu_us"] = (cpu_seconds(pid) - p0) * 1e6 / r["queries"] if pid else 0.0
    r["server_cpu_us"] = (cpu_seconds(server_pid) - s0) * 1e6 / r["queries"]
    r["scrapes"] = scrapes[0]
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time", type=int, default=10, help="seconds per run (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="direct/off/on rounds per configuration")
    ap.add_argument("--table-size", type=int, default=100000)
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench-ops"))
    ap.add_argument("--binary", default=os.environ.get("SHARDGATE_BIN", os.path.join(ROOT, "build", "shardgate")))
    ap.add_argument("--server-port", type=int, default=23397)
    ap.add_argument("--proxy-port", type=int, default=26097)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--configs", default="16:disable,16:auto",
                    help="comma list of threads:ps-mode (default: %(default)s)")
    args = ap.parse_args()

    server = MariaDBServer("bench-ops-db", args.server_port, args.workdir).start()
    server.sql("SET GLOBAL max_connections=2000")
    if not server.sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='sbtest' "
                      "AND table_name='sbtest1'")[0][0]:
        sysbench(args.server_port, 2, 0, "disable", args.table_size, mode="prepare")
    off = ShardGate(proxy_config(args.proxy_port, args.server_port, False, args.workers),
                    os.path.join(args.workdir, "off"), binary=args.binary, name="off").start()
    on = ShardGate(proxy_config(args.proxy_port + 1, args.server_port, True, args.workers),
                   os.path.join(args.workdir, "on"), binary=args.binary, name="on").start()
    rows = []
    try:
        for spec in args.configs.split(","):
            threads, ps_mode = spec.split(":")
            threads = int(threads)
            for p in (off, on):
                sysbench(p.port, threads, 3, ps_mode, args.table_size)  # warm-up
            direct, offs, ons = [], [], []
            for _ in range(args.rounds):
                direct.append(run(args.server_port, None, server.pid, args, threads, ps_mode))
                offs.append(run(off.port, off.pid, server.pid, args, threads, ps_mode))
                ons.append(run(on.port, on.pid, server.pid, args, threads, ps_mode,
                               scrape_port=on.admin_port))
            off_ratio = [o["qps"] / d["qps"] for d, o in zip(direct, offs)]
            on_ratio = [o["qps"] / d["qps"] for d, o in zip(direct, ons)]
            row = {
                "config": f"{threads} thr, ps-mode={ps_mode}",
                "direct_qps": statistics.median(d["qps"] for d in direct),
                "off_ratio": statistics.median(off_ratio),
                "on_ratio": statistics.median(on_ratio),
                "on_vs_off": statistics.median(n / f for n, f in zip(on_ratio, off_ratio)),
                "off_cpu_us": statistics.median(o["proxy_cpu_us"] for o in offs),
                "on_cpu_us": statistics.median(o["proxy_cpu_us"] for o in ons),
                "scrapes": sum(o["scrapes"] for o in ons),
                "errors": sum(r["errors"] for r in direct + offs + ons),
                "pairs": " ".join(f"{f:.2f}/{n:.2f}" for f, n in zip(off_ratio, on_ratio)),
            }
            rows.append(row)
            print(row, flush=True)
    finally:
        off.stop()
        on.stop()
        server.stop()

    print(f"\n## Metrics and rate limiting cost ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{args.time}s runs, median of {args.rounds} alternating rounds)\n")
    print("| configuration | direct q/s | off: proxy/direct | on: proxy/direct | on / off | "
          "ShardGate CPU/query off -> on | rounds (off/on) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['config']} | {r['direct_qps']:.0f} | {r['off_ratio']:.3f} | {r['on_ratio']:.3f} | "
              f"{r['on_vs_off']:.3f} | {r['off_cpu_us']:.2f} -> {r['on_cpu_us']:.2f} us | {r['pairs']} |")
    if any(r["errors"] for r in rows):
        print("\nWARNING: sysbench reported errors", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
