#!/usr/bin/python3
"""Sharded point select (../shared/BENCHMARKS.md run 4): point selects by order number
through ShardGate over 4 MariaDB shards, against the same rows in one MariaDB server
directly, and through a second ShardGate that passes the statements to that one server
(no sharding: the pass-through figure the sharded one is held to, >= 0.95x). Runs
alternate direct / sharded / pass-through in one sitting, as text statements and as
server-side prepared statements; the median of N rounds is reported.

The 4 shards and the "direct" server are separate mariadbd processes on this machine (so
the shards compete for the same 2 cores as the single direct server does: not a scale-out
gain). Four servers on two cores also cost more MariaDB CPU per query than one (printed
beside each contender); --one-server points the 4 shard clusters at the one server, so the
backends' cost is the pass-through's and sharded / pass-through is ShardGate's own cost.

    /usr/bin/python3 benchmarks/sharded.py                  # 3 pairs x 20 s
    /usr/bin/python3 benchmarks/sharded.py --time 5 --pairs 1
    /usr/bin/python3 benchmarks/sharded.py --one-server   # 4 clusters on one server
"""
import argparse
import datetime
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

CLK_TCK = os.sysconf("SC_CLK_TCK")
SCRIPT = os.path.join(HERE, "sysbench", "order_point_select.lua")
DDL = ("CREATE TABLE IF NOT EXISTS orders (order_no CHAR(19) PRIMARY KEY, member_id BIGINT NOT NULL,"
       " amount DECIMAL(12,2) NOT NULL, status VARCHAR(16) NOT NULL)")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def sysbench(port, db, threads, seconds, per_day, days, prepared=False):
    cmd = ["sysbench", SCRIPT, "--db-driver=mysql", "--mysql-host=127.0.0.1", f"--mysql-port={port}",
           "--mysql-user=app", "--mysql-password=app", f"--mysql-db={db}", f"--threads={threads}",
           f"--time={seconds}", f"--orders_per_day={per_day}", f"--days={days}", "--report-interval=0",
           "--db-ps-mode=auto" if prepared else "--db-ps-mode=disable",
           f"--prepared={'on' if prepared else 'off'}", "run"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode != 0:
        raise RuntimeError(f"sysbench failed: {out.stdout[-2000:]}{out.stderr[-2000:]}")
    queries = int(re.search(r"queries:\s+(\d+)", out.stdout).group(1))
    qps = float(re.search(r"queries:\s+\d+\s+\(([\d.]+) per sec", out.stdout).group(1))
    errors = int(re.search(r"ignored errors:\s+(\d+)", out.stdout).group(1))
    return {"queries": queries, "qps": qps, "errors": errors}


def load(server, db, rows):
    with server.connect() as c, c.cursor() as cur:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {db}")
        cur.execute(f"USE {db}")
        cur.execute(DDL)
        cur.execute("SELECT COUNT(*) FROM orders")
        if cur.fetchone()[0] == len(rows):
            return
        cur.execute("TRUNCATE orders")
        for i in range(0, len(rows), 1000):
            cur.executemany("INSERT INTO orders VALUES (%s, %s, %s, %s)", rows[i:i + 1000])
        c.commit()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time", type=int, default=20)
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--orders-per-day", type=int, default=5000)
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench-sharded"))
    ap.add_argument("--binary", default=os.environ.get("SHARDGATE_BIN", os.path.join(ROOT, "build", "shardgate")))
    ap.add_argument("--first-port", type=int, default=23390, help="5 servers from here")
    ap.add_argument("--proxy-port", type=int, default=26093)
    ap.add_argument("--one-server", action="store_true",
                    help="the 4 shard clusters are 4 names for the one direct server (which holds "
                         "every row): the backends cost the same as pass-through, so the ratio is "
                         "ShardGate's own sharding cost")
    args = ap.parse_args()

    direct = MariaDBServer("bench-direct", args.first_port + 4, args.workdir).start()
    servers = [direct] * 4 if args.one_server else [
        MariaDBServer(f"bench-shard{i}", args.first_port + i, args.workdir).start() for i in range(4)]
    for s in set(servers + [direct]):
        s.sql("SET GLOBAL max_connections=2000")
    rows = []
    for d in range(args.days):
        day = datetime.date(2026, 11, 20) + datetime.timedelta(days=d)
        for seq in range(1, args.orders_per_day + 1):
            rows.append((f"ORD{day:%Y%m%d}{seq:08d}", 100000 + seq % 997, seq % 100000 / 100, "PAID"))
    load(direct, "shop", rows)
    if not args.one_server:
        for i, s in enumerate(servers):
            load(s, "shop", [r for r in rows if int(r[0][11:]) % 4 == i])

    def proxy_config(port, clusters, schemas):
        cfg = make_config(port, port + 3000, clusters, level="warn", schemas=schemas)
        for c in cfg["clusters"].values():
            c["pool"] = {"max_connections": 32}
        return cfg

    names = [f"s{i}" for i in range(4)]
    sharded_cfg = proxy_config(args.proxy_port, {n: f"127.0.0.1:{s.port}" for n, s in zip(names, servers)},
                               {"shop": {"tables": {"orders": {
                                   "shard_key": "order_no",
                                   "key": {"kind": "order_number",
                                           "pattern": r"^ORD(?<date>\d{8})(?<seq>\d{8})$"},
                                   "strategy": {"kind": "hash", "function": "modulo", "shards": names}}}}})
    passthrough_cfg = proxy_config(args.proxy_port + 1, {"one": f"127.0.0.1:{direct.port}"}, None)
    sharded = ShardGate(sharded_cfg, os.path.join(args.workdir, "proxy"), binary=args.binary).start()
    passthrough = ShardGate(passthrough_cfg, os.path.join(args.workdir, "proxy-passthrough"),
                            binary=args.binary).start()
    errors = 0
    try:
        for prepared in (False, True):
            mode = "prepared" if prepared else "text"
            run = lambda port, seconds: sysbench(port, "shop", args.threads, seconds,  # noqa: E731
                                                 args.orders_per_day, args.days, prepared)
            for port in (args.proxy_port, args.proxy_port + 1, direct.port):
                run(port, 3)  # warm-up
            runs = {"direct": [], "sharded": [], "pass-through": []}
            # The MariaDB CPU per query as well: the 4 shard servers together for the sharded
            # runs, the one server otherwise (the gap between the two is the backends', not
            # the proxy's).
            backends = {"direct": [direct], "sharded": list(set(servers)), "pass-through": [direct]}

            def measured(name, port, proc=None):
                b0 = sum(cpu_seconds(s.pid) for s in backends[name])
                c0 = cpu_seconds(proc.pid) if proc else 0
                r = run(port, args.time)
                r["server_cpu_us"] = (sum(cpu_seconds(s.pid) for s in backends[name]) - b0) * 1e6 / r["queries"]
                if proc:
                    r["proxy_cpu_us"] = (cpu_seconds(proc.pid) - c0) * 1e6 / r["queries"]
                return r

            for _ in range(args.pairs):
                runs["direct"].append(measured("direct", direct.port))
                for name, proc, port in (("sharded", sharded, args.proxy_port),
                                         ("pass-through", passthrough, args.proxy_port + 1)):
                    runs[name].append(measured(name, port, proc))
            print(f"sharded point select ({mode}), {args.threads} threads, {len(rows)} orders, 4 shards "
                  f"({args.pairs} rounds x {args.time} s)")
            print(f"  direct (one server)      : {statistics.median(r['qps'] for r in runs['direct']):9.0f} q/s, "
                  f"MariaDB CPU/query {statistics.median(r['server_cpu_us'] for r in runs['direct']):.1f} us")
            for name in ("sharded", "pass-through"):
                ratios = [p["qps"] / d["qps"] for d, p in zip(runs["direct"], runs[name])]
                print(f"  ShardGate {name:<14}: {statistics.median(r['qps'] for r in runs[name]):9.0f} q/s, "
                      f"proxy/direct {statistics.median(ratios):.2f} (rounds: "
                      + ", ".join(f"{x:.2f}" for x in ratios) + "), CPU/query "
                      f"{statistics.median(r['proxy_cpu_us'] for r in runs[name]):.1f} us, MariaDB CPU/query "
                      f"{statistics.median(r['server_cpu_us'] for r in runs[name]):.1f} us")
            rel = [s["qps"] / p["qps"] for s, p in zip(runs["sharded"], runs["pass-through"])]
            print(f"  sharded / pass-through   : {statistics.median(rel):.2f}  (rounds: "
                  + ", ".join(f"{x:.2f}" for x in rel) + ")")
            errors += sum(r["errors"] for rs in runs.values() for r in rs)
        print(f"  errors                   : {errors}")
    finally:
        sharded.stop()
        passthrough.stop()
        for s in set(servers + [direct]):
            s.stop()
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
