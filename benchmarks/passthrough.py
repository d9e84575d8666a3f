#!/usr/bin/python3
"""Pass-through benchmark (../shared/BENCHMARKS.md runs 1-3): sysbench oltp_point_select
against one MariaDB directly and through ShardGate, alternating direct/proxy in one sitting,
median of N pairs.

Reports per configuration: throughput ratio proxy/direct, added latency (p50/p99 from
sysbench's histogram), ShardGate CPU per query (user+sys from /proc/PID/stat divided by the
queries it served) and MariaDB CPU per query for both paths.

With --floor (the default) every sitting also measures benchmarks/floor/tcp_relay, a
zero-logic TCP relay doing the same system calls per statement as ShardGate: the floor of
any TCP proxy on this machine. ShardGate's own cost is the gap to it.

    /usr/bin/python3 benchmarks/passthrough.py                 # full run (~8 min)
    /usr/bin/python3 benchmarks/passthrough.py --time 5 --pairs 1   # quick look
    /usr/bin/python3 benchmarks/passthrough.py --baseline /tmp/old-build/shardgate  # old vs new

With --baseline a second ShardGate (another build) joins the alternation: direct, ShardGate,
baseline, relay, ...; its ratio and CPU per query are reported beside the first's.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from harness.mariadb_server import MariaDBServer  # noqa: E402
from harness.shardgate_process import ShardGate, make_config  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def sysbench(port, threads, seconds, ps_mode, table_size, mode="run", histogram=False):
    cmd = ["sysbench", "oltp_point_select", "--db-driver=mysql", "--mysql-host=127.0.0.1",
           f"--mysql-port={port}", "--mysql-user=app", "--mysql-password=app", "--mysql-db=sbtest",
           "--tables=1", f"--table-size={table_size}", f"--threads={threads}", f"--time={seconds}",
           f"--db-ps-mode={ps_mode}", "--report-interval=0"]
    if histogram:
        cmd.append("--histogram=on")
    out = subprocess.run(cmd + [mode], capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode != 0:
        raise RuntimeError(f"sysbench failed: {out.stdout[-2000:]}{out.stderr[-2000:]}")
    return out.stdout


def parse(out):
    queries = int(re.search(r"queries:\s+(\d+)", out).group(1))
    qps = float(re.search(r"queries:\s+\d+\s+\(([\d.]+) per sec", out).group(1))
    errors = int(re.search(r"ignored errors:\s+(\d+)", out).group(1))
    # Histogram lines: "       0.050 |****    1234"
    hist = [(float(v), int(c)) for v, c in re.findall(r"^\s+([\d.]+)\s+\|\**\s+(\d+)$", out, re.M)]
    return {"queries": queries, "qps": qps, "errors": errors, "hist": hist}


def percentile_us(hist, p):
    total = sum(c for _, c in hist)
    if not total:
        return float("nan")
    seen = 0
    for value_ms, count in hist:
        seen += count
        if seen >= total * p:
            return value_ms * 1000.0
    return hist[-1][0] * 1000.0


def measure(port, proxy_pid, server_pid, args, threads, ps_mode, histogram):
    p0 = cpu_seconds(proxy_pid) if proxy_pid else 0.0
    s0 = cpu_seconds(server_pid)
    r = parse(sysbench(port, threads, args.time, ps_mode, args.table_size, histogram=histogram))
    r["proxy_cpu_us"] = (cpu_seconds(proxy_pid) - p0) * 1e6 / r["queries"] if proxy_pid else 0.0
    r["server_cpu_us"] = (cpu_seconds(server_pid) - s0) * 1e6 / r["queries"]
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time", type=int, default=20, help="seconds per run (default 20)")
    ap.add_argument("--pairs", type=int, default=3, help="direct/proxy pairs per configuration")
    ap.add_argument("--table-size", type=int, default=100000)
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--binary", default=os.environ.get("SHARDGATE_BIN", os.path.join(ROOT, "build", "shardgate")))
    ap.add_argument("--server-port", type=int, default=23395)
    ap.add_argument("--proxy-port", type=int, default=26095)
    ap.add_argument("--workers", type=int, default=0, help="ShardGate listen.workers (0 = one per core)")
    ap.add_argument("--no-floor", dest="floor", action="store_false",
                    help="skip the tcp_relay floor measurement")
    ap.add_argument("--relay-port", type=int, default=26096)
    ap.add_argument("--baseline", default=None,
                    help="a second ShardGate binary (e.g. an older build) measured in the same "
                         "alternation, on --baseline-port")
    ap.add_argument("--baseline-port", type=int, default=26097)
    ap.add_argument("--configs", default="16:disable,16:auto,1:disable",
                    help="comma list of threads:ps-mode (default: %(default)s)")
    args = ap.parse_args()

    server = MariaDBServer("bench-db", args.server_port, args.workdir).start()
    server.sql("SET GLOBAL max_connections=2000")
    if not server.sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='sbtest' AND table_name='sbtest1'")[0][0]:
        sysbench(args.server_port, 2, 0, "disable", args.table_size, mode="prepare")
    cfg = make_config(args.proxy_port, args.proxy_port + 3000, {"bench": f"127.0.0.1:{args.server_port}"},
                      level="warn", workers=args.workers)
    cfg["clusters"]["bench"]["pool"] = {"max_connections": 32}
    proxy = ShardGate(cfg, os.path.join(args.workdir, "proxy"), binary=args.binary).start()
    baseline = None
    if args.baseline:
        bcfg = make_config(args.baseline_port, args.baseline_port + 3000,
                           {"bench": f"127.0.0.1:{args.server_port}"}, level="warn", workers=args.workers)
        bcfg["clusters"]["bench"]["pool"] = {"max_connections": 32}
        baseline = ShardGate(bcfg, os.path.join(args.workdir, "baseline"), binary=args.baseline).start()
    relay = None
    if args.floor:
        relay_bin = os.path.join(os.path.dirname(args.binary), "benchmarks", "tcp_relay")
        relay = subprocess.Popen([relay_bin, str(args.relay_port), str(args.server_port),
                                  str(args.workers or os.cpu_count())])
        time.sleep(0.3)
    rows = []
    try:
        for spec in args.configs.split(","):
            threads, ps_mode = spec.split(":")
            threads = int(threads)
            histogram = threads == 1
            direct, proxied, relayed, based = [], [], [], []
            sysbench(args.proxy_port, threads, 3, ps_mode, args.table_size)  # warm-up: pool, buffer pool
            if baseline:
                sysbench(args.baseline_port, threads, 3, ps_mode, args.table_size)
            for _ in range(args.pairs):
                direct.append(measure(args.server_port, None, server.pid, args, threads, ps_mode, histogram))
                proxied.append(measure(args.proxy_port, proxy.pid, server.pid, args, threads, ps_mode, histogram))
                if baseline:
                    based.append(measure(args.baseline_port, baseline.pid, server.pid, args, threads, ps_mode,
                                         histogram))
                if relay:
                    relayed.append(measure(args.relay_port, relay.pid, server.pid, args, threads, ps_mode,
                                           histogram))
            ratios = [p["qps"] / d["qps"] for d, p in zip(direct, proxied)]
            row = {
                "config": f"{threads} thr, ps-mode={ps_mode}",
                "direct_qps": statistics.median(d["qps"] for d in direct),
                "proxy_qps": statistics.median(p["qps"] for p in proxied),
                "ratio": statistics.median(ratios),
                "ratios": ratios,
                "proxy_cpu_us": statistics.median(p["proxy_cpu_us"] for p in proxied),
                "server_cpu_direct_us": statistics.median(d["server_cpu_us"] for d in direct),
                "server_cpu_proxy_us": statistics.median(p["server_cpu_us"] for p in proxied),
                "errors": sum(p["errors"] for p in proxied) + sum(d["errors"] for d in direct),
            }
            if based:
                row["baseline_ratio"] = statistics.median(b["qps"] / d["qps"] for d, b in zip(direct, based))
                row["baseline_cpu_us"] = statistics.median(b["proxy_cpu_us"] for b in based)
                row["baseline_errors"] = sum(b["errors"] for b in based)
            if relayed:
                row["relay_ratio"] = statistics.median(r["qps"] / d["qps"] for d, r in zip(direct, relayed))
                row["relay_cpu_us"] = statistics.median(r["proxy_cpu_us"] for r in relayed)
                if histogram:
                    row["relay_p50_added_us"] = statistics.median(
                        percentile_us(r["hist"], 0.5) - percentile_us(d["hist"], 0.5)
                        for d, r in zip(direct, relayed))
            if histogram:
                row["p50_added_us"] = statistics.median(
                    percentile_us(p["hist"], 0.5) - percentile_us(d["hist"], 0.5) for d, p in zip(direct, proxied))
                row["p99_added_us"] = statistics.median(
                    percentile_us(p["hist"], 0.99) - percentile_us(d["hist"], 0.99) for d, p in zip(direct, proxied))
                row["direct_p50_us"] = statistics.median(percentile_us(d["hist"], 0.5) for d in direct)
            rows.append(row)
            print(row, flush=True)
    finally:
        proxy.stop()
        if baseline:
            baseline.stop()
        if relay:
            relay.kill()
            relay.wait()
        server.stop()

    print(f"\n## Pass-through point select ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"ShardGate workers={args.workers or os.cpu_count()}, {args.time}s runs, "
          f"median of {args.pairs} alternating pairs)\n")
    print("| configuration | direct q/s | proxy q/s | proxy/direct | pair ratios | ShardGate CPU/query | "
          "MariaDB CPU/query direct -> via proxy | added latency p50 / p99 |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        lat = (f"+{r['p50_added_us']:.0f} us / +{r['p99_added_us']:.0f} us (direct p50 {r['direct_p50_us']:.0f} us)"
               if "p50_added_us" in r else "")
        print(f"| {r['config']} | {r['direct_qps']:.0f} | {r['proxy_qps']:.0f} | {r['ratio']:.2f} | "
              f"{' '.join(f'{x:.2f}' for x in r['ratios'])} | {r['proxy_cpu_us']:.1f} us | "
              f"{r['server_cpu_direct_us']:.1f} -> {r['server_cpu_proxy_us']:.1f} us | {lat} |")
    if any("relay_ratio" in r for r in rows):
        print("\nFloor (benchmarks/floor/tcp_relay, same sitting):\n")
        print("| configuration | relay/direct | relay CPU/query | relay added p50 |")
        print("|---|---|---|---|")
        for r in rows:
            if "relay_ratio" in r:
                lat = f"+{r['relay_p50_added_us']:.0f} us" if "relay_p50_added_us" in r else ""
                print(f"| {r['config']} | {r['relay_ratio']:.2f} | {r['relay_cpu_us']:.1f} us | {lat} |")
    if any("baseline_ratio" in r for r in rows):
        print(f"\nBaseline ({args.baseline}, same sitting, alternated with the binary above):\n")
        print("| configuration | binary/direct | baseline/direct | binary CPU/query | baseline CPU/query |")
        print("|---|---|---|---|---|")
        for r in rows:
            if "baseline_ratio" in r:
                print(f"| {r['config']} | {r['ratio']:.2f} | {r['baseline_ratio']:.2f} | "
                      f"{r['proxy_cpu_us']:.1f} us | {r['baseline_cpu_us']:.1f} us |")
    if any(r["errors"] or r.get("baseline_errors") for r in rows):
        print("\nWARNING: sysbench reported errors", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
