#!/usr/bin/python3
"""Scatter-gather benchmark: what merging across 4 shards costs in ShardGate.

(1) `SELECT COUNT(*) FROM orders` over 4 shards (250,000 rows each) through ShardGate:
    p50/p95 latency over N runs. Alternated with it in the same sitting, the same COUNT(*)
    sent directly to all 4 shards at once (4 threads, each timing its own leg; the slowest
    leg of the iteration is what a scatter must wait for). Reported: proxy p50 / p50 of the
    slowest leg (target <= 1.3).
(2) `SELECT * FROM orders ORDER BY rnd LIMIT 10 OFFSET 100000` over the 1,000,000 rows
    through ShardGate (rnd is unique, so the answer is fully decided): ShardGate's RSS
    (/proc/PID/status VmRSS) sampled every 10 ms while the query runs; reported RSS before,
    peak, growth (target <= 64 MiB) and the time. The rows must equal a direct computation:
    the 100,010 smallest rnd of every shard merged in Python, then those 10 rows read by rnd.

Both need the scatter-gather merge engine; while ShardGate refuses the statements (1235)
the script reports that and exits 1.

    /usr/bin/python3 benchmarks/scatter.py                    # ~2-3 min after the first load
    /usr/bin/python3 benchmarks/scatter.py --runs 50 --deep-runs 1   # quick look
    /usr/bin/python3 benchmarks/scatter.py --keep              # leave the servers running

Servers: 4 mariadbd on 127.0.0.1:23380-23383 (data under build/bench-scatter/, loaded once
with INSERT ... SELECT from the SEQUENCE engine and reused), ShardGate on 26091 (release
build, workers 2, logging warn).
"""
import argparse
import heapq
import os
import signal
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))

import pymysql  # noqa: E402

from harness.mariadb_server import MariaDBServer  # noqa: E402
from harness.netutil import rss_kib  # noqa: E402
from harness.shardgate_process import ShardGate, make_config  # noqa: E402

DB = "scatterbench"
SHARDS = 4
DDL = ("CREATE TABLE IF NOT EXISTS orders (order_no CHAR(19) NOT NULL PRIMARY KEY, member_id INT NOT NULL,"
       " amount DECIMAL(12,2) NOT NULL, status VARCHAR(16) NOT NULL, created DATETIME NOT NULL,"
       " rnd BIGINT UNSIGNED NOT NULL, note VARCHAR(100) NULL, KEY (rnd)) DEFAULT CHARSET=utf8mb4")
PATTERN = r"^ORD(?<date>\d{8})(?<seq>\d{8})$"


class Timeout(Exception):
    pass


def connect(port, db=DB, read_timeout=300, raw=False):
    kw = {"conv": {}} if raw else {}
    return pymysql.connect(host="127.0.0.1", port=port, user="app", password="app", database=db,
                           charset="utf8mb4", autocommit=True, connect_timeout=10,
                           read_timeout=read_timeout, write_timeout=300, **kw)


def load_shard(server, index, rows):
    """rows orders on shard `index`: seq = s * 4 + index (hash modulo 4 puts them there);
    rnd = a permutation of the global number (unique over all shards)."""
    with server.connect() as c, c.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {DB}")
        cur.execute(f"USE {DB}")
        cur.execute(DDL)
        cur.execute("SELECT COUNT(*) FROM orders")
        if cur.fetchone()[0] == rows:
            return False
        cur.execute("TRUNCATE orders")
        cur.execute(
            "INSERT INTO orders SELECT"
            " CONCAT('ORD', DATE_FORMAT(DATE '2025-01-01' + INTERVAL (seq % 700) DAY, '%Y%m%d'),"
            f"        LPAD(seq * {SHARDS} + {index}, 8, '0')),"
            f" 1 + (seq * 7 + {index}) % 50000,"
            f" ((seq * 7919 + {index}) % 2000000) / 100 - 5000,"
            f" ELT(1 + (seq + {index}) % 4, 'PAID', 'SHIPPED', 'NEW', 'CANCELLED'),"
            " DATE '2025-01-01' + INTERVAL (seq % 700) DAY + INTERVAL (seq % 86400) SECOND,"
            f" ((seq * {SHARDS} + {index}) * 2654435761) % 4294967296,"
            " CONCAT('note ', seq % 1000)"
            f" FROM seq_1_to_{rows}")
        c.commit()
    return True


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p * (len(s) - 1)))))]


def error_text(e):
    return f"ERROR {e.args[0]}: {e.args[1]}" if len(e.args) > 1 else str(e)


def bench_count(proxy_port, shard_ports, runs, warmup):
    """Alternate: COUNT(*) through ShardGate, then the 4 direct legs at once."""
    proxy = connect(proxy_port)
    legs = [connect(p) for p in shard_ports]
    start, done = threading.Barrier(len(legs) + 1), threading.Barrier(len(legs) + 1)
    leg_times = [0.0] * len(legs)
    leg_counts = [0] * len(legs)
    stop = [False]

    def leg(i):
        while True:
            start.wait()
            if stop[0]:
                return
            t = time.perf_counter()
            with legs[i].cursor() as cur:
                cur.execute("SELECT COUNT(*) FROM orders")
                leg_counts[i] = cur.fetchone()[0]
            leg_times[i] = time.perf_counter() - t
            done.wait()

    threads = [threading.Thread(target=leg, args=(i,), daemon=True) for i in range(len(legs))]
    for t in threads:
        t.start()
    proxy_ms, slowest_ms, error, total = [], [], None, None
    try:
        for it in range(warmup + runs):
            t = time.perf_counter()
            try:
                with proxy.cursor() as cur:
                    cur.execute("SELECT COUNT(*) FROM orders")
                    total = cur.fetchone()[0]
            except pymysql.MySQLError as e:
                error = error_text(e)
                break
            p = time.perf_counter() - t
            start.wait()
            done.wait()
            if total != sum(leg_counts):
                error = f"ShardGate counted {total}, the shards {sum(leg_counts)}"
                break
            if it >= warmup:
                proxy_ms.append(p * 1000)
                slowest_ms.append(max(leg_times) * 1000)
    finally:
        stop[0] = True
        start.wait()
        for t in threads:
            t.join(5)
        proxy.close()
        for c in legs:
            c.close()
    return {"proxy_ms": proxy_ms, "slowest_ms": slowest_ms, "error": error, "total": total}


def expected_deep(shard_ports, order_col, offset, limit):
    """The answer computed without ShardGate: per-shard smallest offset+limit values merged."""
    heads = []
    for p in shard_ports:
        with connect(p, raw=True) as c, c.cursor() as cur:
            cur.execute(f"SELECT {order_col} FROM orders ORDER BY {order_col} LIMIT {offset + limit}")
            heads.append([int(r[0]) for r in cur.fetchall()])
    want = list(heapq.merge(*heads))[offset:offset + limit]
    rows = []
    for p in shard_ports:
        with connect(p, raw=True) as c, c.cursor() as cur:
            cur.execute(f"SELECT * FROM orders WHERE {order_col} IN ({', '.join(map(str, want))})")
            rows += cur.fetchall()
    rows.sort(key=lambda r: want.index(int(r[5])))
    return rows


def bench_deep(proxy_port, pid, shard_ports, order_col, offset, limit, runs, expected):
    out = []
    for _ in range(runs):
        before = rss_kib(pid)
        samples = [before]
        running = [True]

        def sample():
            while running[0]:
                samples.append(rss_kib(pid))
                time.sleep(0.01)

        th = threading.Thread(target=sample, daemon=True)
        c = connect(proxy_port, raw=True)
        th.start()
        t = time.perf_counter()
        error = rows = None
        try:
            with c.cursor() as cur:
                cur.execute(f"SELECT * FROM orders ORDER BY {order_col} LIMIT {limit} OFFSET {offset}")
                rows = list(cur.fetchall())
        except pymysql.MySQLError as e:
            error = error_text(e)
        elapsed = time.perf_counter() - t
        running[0] = False
        th.join(2)
        c.close()
        samples.append(rss_kib(pid))
        out.append({"before_kib": before, "peak_kib": max(samples), "seconds": elapsed, "error": error,
                    "correct": rows == expected if error is None else None, "samples": len(samples)})
        if error:
            break
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows-per-shard", type=int, default=250_000)
    ap.add_argument("--runs", type=int, default=200, help="COUNT(*) iterations (after 10 warm-up)")
    ap.add_argument("--deep-runs", type=int, default=3, help="runs of the deep-offset query")
    ap.add_argument("--offset", type=int, default=100_000)
    ap.add_argument("--order-col", default="rnd")
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench-scatter"))
    ap.add_argument("--binary", default=os.environ.get("SHARDGATE_BIN", os.path.join(ROOT, "build", "shardgate")))
    ap.add_argument("--first-port", type=int, default=23380, help="4 servers from here")
    ap.add_argument("--proxy-port", type=int, default=26091)
    ap.add_argument("--max-seconds", type=int, default=900, help="hard bound on the whole run")
    ap.add_argument("--keep", action="store_true", help="leave the MariaDB servers running")
    args = ap.parse_args()

    def on_alarm(*_):
        raise Timeout(f"the benchmark took longer than {args.max_seconds} s")
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.max_seconds)

    servers = []
    proxy = None
    failed = False
    try:
        t0 = time.monotonic()
        servers = [MariaDBServer(f"scatter-shard{i}", args.first_port + i, args.workdir).start()
                   for i in range(SHARDS)]
        loaded = [load_shard(s, i, args.rows_per_shard) for i, s in enumerate(servers)]
        print(f"shards ready in {time.monotonic() - t0:.1f} s ({'loaded' if any(loaded) else 'reused'}"
              f" {args.rows_per_shard:,} rows each)")
        names = [s.name for s in servers]
        cfg = make_config(args.proxy_port, args.proxy_port + 3000,
                          {s.name: f"127.0.0.1:{s.port}" for s in servers}, level="warn",
                          schemas={DB: {"default_cluster": names[0], "tables": {"orders": {
                              "shard_key": "order_no", "key": {"kind": "order_number", "pattern": PATTERN},
                              "strategy": {"kind": "hash", "function": "modulo", "shards": names}}}}})
        proxy = ShardGate(cfg, os.path.join(args.workdir, "proxy"), binary=args.binary).start()
        ports = [s.port for s in servers]

        count = bench_count(args.proxy_port, ports, args.runs, warmup=10)
        expected = expected_deep(ports, args.order_col, args.offset, 10)
        deep = bench_deep(args.proxy_port, proxy.pid, ports, args.order_col, args.offset, 10, args.deep_runs,
                          expected)

        total_rows = SHARDS * args.rows_per_shard
        print(f"\nscatter-gather, {SHARDS} shards x {args.rows_per_shard:,} rows, ShardGate {args.binary}\n")
        print("| figure | value | target |")
        print("|---|---|---|")
        if count["error"]:
            failed = True
            print(f"| COUNT(*) through ShardGate | not measured: {count['error']} | |")
        else:
            pp50, pp95 = statistics.median(count["proxy_ms"]), pct(count["proxy_ms"], 0.95)
            sp50, sp95 = statistics.median(count["slowest_ms"]), pct(count["slowest_ms"], 0.95)
            ratio = pp50 / sp50
            failed |= ratio > 1.3
            print(f"| COUNT(*) = {count['total']:,} through ShardGate, p50 / p95 ({len(count['proxy_ms'])} runs) "
                  f"| {pp50:.2f} / {pp95:.2f} ms | |")
            print(f"| same COUNT(*) direct, slowest of 4 parallel legs, p50 / p95 | {sp50:.2f} / {sp95:.2f} ms | |")
            print(f"| **ratio proxy p50 / slowest leg p50** | **{ratio:.2f}** | <= 1.3 |")
        for i, r in enumerate(deep, 1):
            what = f"ORDER BY {args.order_col} LIMIT 10 OFFSET {args.offset:,} over {total_rows:,} rows, run {i}"
            if r["error"]:
                failed = True
                print(f"| {what} | not measured: {r['error']} | |")
                continue
            growth = (r["peak_kib"] - r["before_kib"]) / 1024
            failed |= growth > 64 or not r["correct"]
            print(f"| {what}: time | {r['seconds'] * 1000:.0f} ms | |")
            print(f"| {what}: RSS before / peak ({r['samples']} samples) | {r['before_kib'] / 1024:.1f} / "
                  f"{r['peak_kib'] / 1024:.1f} MiB | |")
            print(f"| **{what}: RSS growth** | **{growth:.1f} MiB** | <= 64 MiB |")
            print(f"| {what}: rows equal the direct computation | {'yes' if r['correct'] else 'NO'} | yes |")
        if any(r["error"] for r in deep) or count["error"]:
            print("\nShardGate refused or failed a statement: the scatter-gather merge engine is not"
                  " (fully) there yet in this binary.")
    except Timeout as e:
        print(f"aborted: {e}")
        failed = True
    finally:
        signal.alarm(0)
        if proxy:
            proxy.stop()
        if not args.keep:
            for s in servers:
                s.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
