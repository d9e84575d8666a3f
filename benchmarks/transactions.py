#!/usr/bin/python3
"""Cross-shard transactions (issue 5): what two-phase commit costs.

A sysbench transfer (BEGIN; UPDATE one account; UPDATE another; COMMIT) through ShardGate
over 2 MariaDB shards (accounts by id % 2) with transactions.cross_shard: xa and with
best_effort, against the same rows in one MariaDB server directly. Two shapes: the two
accounts on two shards (xa: XA PREPARE on both, the decision synced, XA COMMIT on both;
best_effort: two plain COMMITs), and on one shard (xa: XA COMMIT ONE PHASE). Runs alternate
direct / best_effort / xa in one sitting; medians of N rounds are reported, each also as a
ratio to the direct run of its round.

The test servers run with innodb_flush_log_at_trx_commit=2 (no fsync per commit), as in
the test suite; the decision log is fdatasync'd for real (on the build directory's disk).

    /usr/bin/python3 benchmarks/transactions.py                  # 3 rounds x 10 s
    /usr/bin/python3 benchmarks/transactions.py --time 5 --rounds 1
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from harness.mariadb_server import MariaDBServer  # noqa: E402
from harness.shardgate_process import ShardGate, make_config  # noqa: E402

SCRIPT = os.path.join(HERE, "sysbench", "transfer.lua")


def sysbench(port, threads, seconds, accounts, same_shard):
    cmd = ["sysbench", SCRIPT, "--db-driver=mysql", "--mysql-host=127.0.0.1", f"--mysql-port={port}",
           "--mysql-user=app", "--mysql-password=app", "--mysql-db=bank", f"--threads={threads}",
           f"--time={seconds}", f"--accounts={accounts}", f"--same_shard={1 if same_shard else 0}",
           "--report-interval=0", "--db-ps-mode=disable", "--mysql-ignore-errors=1213,1205",
           "--percentile=99", "run"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode != 0:
        raise RuntimeError(f"sysbench failed: {out.stdout[-2000:]}{out.stderr[-2000:]}")
    events = float(re.search(r"transactions:\s+\d+\s+\(([\d.]+) per sec", out.stdout).group(1))
    p99 = float(re.search(r"99th percentile:\s+([\d.]+)", out.stdout).group(1))
    errors = int(re.search(r"ignored errors:\s+(\d+)", out.stdout).group(1))
    return {"tps": events, "p99_ms": p99, "errors": errors}


def load(server, ids):
    with server.connect() as c, c.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS bank")
        cur.execute("USE bank")
        cur.execute("DROP TABLE IF EXISTS accounts")
        cur.execute("CREATE TABLE accounts (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL)")
        rows = [(i, 1000) for i in ids]
        for k in range(0, len(rows), 1000):
            cur.executemany("INSERT INTO accounts VALUES (%s, %s)", rows[k:k + 1000])
        c.commit()


def total(servers):
    return sum(s.sql("SELECT SUM(balance) FROM bank.accounts")[0][0] for s in servers)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--accounts", type=int, default=20000)
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench-transactions"))
    ap.add_argument("--binary", default=os.environ.get("SHARDGATE_BIN", os.path.join(ROOT, "build", "shardgate")))
    ap.add_argument("--first-port", type=int, default=23385, help="3 servers from here")
    ap.add_argument("--proxy-port", type=int, default=26090, help="2 proxies from here")
    args = ap.parse_args()

    shards = [MariaDBServer(f"bench-txn-shard{i}", args.first_port + i, args.workdir).start() for i in range(2)]
    direct = MariaDBServer("bench-txn-direct", args.first_port + 2, args.workdir).start()
    load(direct, range(args.accounts))
    for i, s in enumerate(shards):
        load(s, range(i, args.accounts, 2))
    names = [s.name for s in shards]
    schemas = {"bank": {"default_cluster": names[0], "tables": {"accounts": {
        "shard_key": "id", "key": "integer",
        "strategy": {"kind": "hash", "function": "modulo", "shards": names}}}}}
    proxies = {}
    for k, mode in enumerate(("best_effort", "xa")):
        tx = {"cross_shard": mode}
        if mode == "xa":
            tx["xa_log"] = os.path.join(args.workdir, "xa-decisions.log")
            tx["xa_name"] = "bench"
        cfg = make_config(args.proxy_port + k, args.proxy_port + 3000 + k,
                          {s.name: f"127.0.0.1:{s.port}" for s in shards}, level="warn",
                          schemas=schemas, transactions=tx)
        for c in cfg["clusters"].values():
            c["pool"] = {"max_connections": 32}
        proxies[mode] = ShardGate(cfg, os.path.join(args.workdir, f"proxy-{mode}"), binary=args.binary,
                                  name=mode).start()
    before = (total([direct]), total(shards))
    errors = 0
    try:
        targets = [("direct", direct.port), ("best_effort", proxies["best_effort"].port),
                   ("xa", proxies["xa"].port)]
        for _, port in targets:  # warm-up
            sysbench(port, args.threads, 2, args.accounts, False)
        rows = []
        for same in (False, True):
            runs = {name: [] for name, _ in targets}
            for _ in range(args.rounds):
                for name, port in targets:
                    r = sysbench(port, args.threads, args.time, args.accounts, same)
                    runs[name].append(r)
                    errors += r["errors"]
            for name, _ in targets:
                ratios = [r["tps"] / d["tps"] for r, d in zip(runs[name], runs["direct"])]
                rows.append((("one shard" if same else "two shards"), name,
                             statistics.median(r["tps"] for r in runs[name]),
                             statistics.median(ratios), ratios,
                             statistics.median(r["p99_ms"] for r in runs[name])))
        print(f"transfer transactions, {args.threads} threads, {args.accounts} accounts, "
              f"{args.rounds} rounds x {args.time} s (direct = one server; proxies over 2 shards)")
        print("| accounts on | via | transactions/s | / direct (rounds) | p99 ms |")
        print("|---|---|---|---|---|")
        for shape, name, tps, ratio, ratios, p99 in rows:
            print(f"| {shape} | {name} | {tps:,.0f} | {ratio:.2f} ({' '.join(f'{x:.2f}' for x in ratios)}) "
                  f"| {p99:.2f} |")
        # Money is conserved: every transfer committed on both sides or on neither.
        after = (total([direct]), total(shards))
        print(f"balance totals before {before}, after {after}; deadlock/timeout retries: {errors}")
        if after != before:
            print("ERROR: the totals changed")
            return 1
    finally:
        for p in proxies.values():
            p.stop()
        for s in shards + [direct]:
            s.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
