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

With --peer proxysql, ProxySQL 2.7.2 (built outside the project by
../shared/peers/proxysql/build.sh; benchmarks/proxysql_peer.py) joins the alternation too, with
as many threads as ShardGate has workers. For every proxy the tables also give voluntary
context switches per query (all its threads, /proc/PID/task/*/status) and, with --syscalls
(the default; needs perf and tracefs), a separate counting run per proxy and configuration
with `perf stat` on the syscall tracepoints: recv, failed recv (EAGAIN), send, epoll_wait,
epoll_ctl, poll and io_uring_enter per query.

    /usr/bin/python3 benchmarks/passthrough.py --peer proxysql --time 8 --pairs 3
"""
import argparse
import glob
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
import proxysql_peer  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def context_switches(pid):
    """(voluntary, involuntary) context switches over all threads of `pid`."""
    vol = invol = 0
    for status in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(status) as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        vol += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        invol += int(line.split()[1])
        except FileNotFoundError:
            pass  # a thread ended meanwhile
    return vol, invol


# Syscalls counted per query (perf stat on the tracepoints; "recv" and "send" sum the variants).
SYSCALL_GROUPS = {
    "recv": ["recvfrom", "recvmsg", "read", "readv"],
    "send": ["sendto", "sendmsg", "write", "writev"],
    "epoll_wait": ["epoll_wait", "epoll_pwait"],
    "epoll_ctl": ["epoll_ctl"],
    "poll": ["poll", "ppoll"],
    "io_uring_enter": ["io_uring_enter"],
}


def tracing_available():
    if not os.path.isdir("/sys/kernel/tracing/events/syscalls"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], capture_output=True)
    return (os.path.isdir("/sys/kernel/tracing/events/syscalls")
            and subprocess.run(["which", "perf"], capture_output=True).returncode == 0)


def count_syscalls(port, pid, args, threads, ps_mode):
    """Runs sysbench once with `perf stat` counting the proxy's syscalls; returns per-query figures."""
    events = []
    for names in SYSCALL_GROUPS.values():
        for n in names:
            if os.path.isdir(f"/sys/kernel/tracing/events/syscalls/sys_enter_{n}"):
                events += ["-e", f"syscalls:sys_enter_{n}"]
    failed = []
    for n in ("recvfrom", "recvmsg", "read"):
        if os.path.isdir(f"/sys/kernel/tracing/events/syscalls/sys_exit_{n}"):
            failed += ["-e", f"syscalls:sys_exit_{n}", "--filter", "ret == -11"]
    perf = subprocess.Popen(["perf", "stat", "-x", ",", "-p", str(pid)] + events + failed,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    r = parse(sysbench(port, threads, args.syscall_time, ps_mode, args.table_size))
    perf.send_signal(2)
    _, err = perf.communicate(timeout=30)
    counts = {}
    for line in err.splitlines():
        parts = line.split(",")
        if len(parts) > 2 and parts[2].startswith("syscalls:"):
            try:
                counts[parts[2]] = counts.get(parts[2], 0) + int(parts[0])
            except ValueError:
                pass
    q = r["queries"]
    out = {g: sum(counts.get(f"syscalls:sys_enter_{n}", 0) for n in names) / q
           for g, names in SYSCALL_GROUPS.items()}
    out["recv_failed"] = sum(v for k, v in counts.items() if k.startswith("syscalls:sys_exit_")) / q
    return out


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
    c0 = context_switches(proxy_pid) if proxy_pid else (0, 0)
    s0 = cpu_seconds(server_pid)
    r = parse(sysbench(port, threads, args.time, ps_mode, args.table_size, histogram=histogram))
    r["proxy_cpu_us"] = (cpu_seconds(proxy_pid) - p0) * 1e6 / r["queries"] if proxy_pid else 0.0
    c1 = context_switches(proxy_pid) if proxy_pid else (0, 0)
    r["vcs"] = (c1[0] - c0[0]) / r["queries"]
    r["ivcs"] = (c1[1] - c0[1]) / r["queries"]
    r["server_cpu_us"] = (cpu_seconds(server_pid) - s0) * 1e6 / r["queries"]
    return r


def summarize(name, runs, direct, histogram):
    """One contender's figures over the pairs (medians), beside the direct runs of the same pairs."""
    row = {
        "name": name,
        "qps": statistics.median(r["qps"] for r in runs),
        "ratio": statistics.median(r["qps"] / d["qps"] for d, r in zip(direct, runs)),
        "ratios": [r["qps"] / d["qps"] for d, r in zip(direct, runs)],
        "cpu_us": statistics.median(r["proxy_cpu_us"] for r in runs),
        "vcs": statistics.median(r["vcs"] for r in runs),
        "ivcs": statistics.median(r["ivcs"] for r in runs),
        "server_cpu_us": statistics.median(r["server_cpu_us"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
    }
    if histogram:
        row["p50_added_us"] = statistics.median(
            percentile_us(r["hist"], 0.5) - percentile_us(d["hist"], 0.5) for d, r in zip(direct, runs))
        row["p99_added_us"] = statistics.median(
            percentile_us(r["hist"], 0.99) - percentile_us(d["hist"], 0.99) for d, r in zip(direct, runs))
    return row


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
    ap.add_argument("--peer", choices=["proxysql"], default=None,
                    help="a real peer in the same alternation (ProxySQL 2.7.2, on --peer-port)")
    ap.add_argument("--peer-port", type=int, default=26098)
    ap.add_argument("--no-syscalls", dest="syscalls", action="store_false",
                    help="skip the perf-stat syscall counting runs")
    ap.add_argument("--syscall-time", type=int, default=4, help="seconds of each counting run")
    ap.add_argument("--configs", default="16:disable,16:auto,1:disable",
                    help="comma list of threads:ps-mode (default: %(default)s)")
    args = ap.parse_args()
    workers = args.workers or os.cpu_count()

    server = MariaDBServer("bench-db", args.server_port, args.workdir).start()
    server.sql("SET GLOBAL max_connections=2000")
    if not server.sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='sbtest' AND table_name='sbtest1'")[0][0]:
        sysbench(args.server_port, 2, 0, "disable", args.table_size, mode="prepare")
    # contenders: (name, port, pid-getter, stop)
    contenders = []
    stops = []
    try:
        cfg = make_config(args.proxy_port, args.proxy_port + 3000, {"bench": f"127.0.0.1:{args.server_port}"},
                          level="warn", workers=args.workers)
        cfg["clusters"]["bench"]["pool"] = {"max_connections": 32}
        proxy = ShardGate(cfg, os.path.join(args.workdir, "proxy"), binary=args.binary).start()
        stops.append(proxy.stop)
        contenders.append(("ShardGate", args.proxy_port, proxy.pid))
        if args.baseline:
            bcfg = make_config(args.baseline_port, args.baseline_port + 3000,
                               {"bench": f"127.0.0.1:{args.server_port}"}, level="warn", workers=args.workers)
            bcfg["clusters"]["bench"]["pool"] = {"max_connections": 32}
            baseline = ShardGate(bcfg, os.path.join(args.workdir, "baseline"), binary=args.baseline).start()
            stops.append(baseline.stop)
            contenders.append(("baseline", args.baseline_port, baseline.pid))
        if args.peer == "proxysql":
            peer = proxysql_peer.ProxySQL(args.peer_port, args.server_port, os.path.join(args.workdir, "proxysql"),
                                          threads=workers).start()
            stops.append(peer.stop)
            contenders.append(("ProxySQL 2.7.2", args.peer_port, peer.pid))
        if args.floor:
            relay_bin = os.path.join(os.path.dirname(args.binary), "benchmarks", "tcp_relay")
            relay = subprocess.Popen([relay_bin, str(args.relay_port), str(args.server_port), str(workers)])

            def stop_relay(relay=relay):
                relay.kill()
                relay.wait()
            stops.append(stop_relay)
            time.sleep(0.3)
            contenders.append(("tcp_relay", args.relay_port, relay.pid))
        syscalls = args.syscalls and tracing_available()
        if args.syscalls and not syscalls:
            print("(no perf or tracefs: syscall counts skipped)", file=sys.stderr)

        rows = []
        for spec in args.configs.split(","):
            threads, ps_mode = spec.split(":")
            threads = int(threads)
            histogram = threads == 1
            for _, port, _ in contenders:  # warm-up: pools, buffer pool
                sysbench(port, threads, 3, ps_mode, args.table_size)
            direct = []
            runs = {name: [] for name, _, _ in contenders}
            for _ in range(args.pairs):
                direct.append(measure(args.server_port, None, server.pid, args, threads, ps_mode, histogram))
                for name, port, pid in contenders:
                    runs[name].append(measure(port, pid, server.pid, args, threads, ps_mode, histogram))
            row = {"config": f"{threads} thr, ps-mode={ps_mode}",
                   "direct_qps": statistics.median(d["qps"] for d in direct),
                   "direct_server_cpu_us": statistics.median(d["server_cpu_us"] for d in direct),
                   "errors": sum(d["errors"] for d in direct),
                   "contenders": [summarize(name, runs[name], direct, histogram) for name, _, _ in contenders]}
            if histogram:
                row["direct_p50_us"] = statistics.median(percentile_us(d["hist"], 0.5) for d in direct)
            if syscalls:
                for c, (name, port, pid) in zip(row["contenders"], contenders):
                    c["syscalls"] = count_syscalls(port, pid, args, threads, ps_mode)
            rows.append(row)
            print(row, flush=True)
    finally:
        for stop in stops:
            stop()
        server.stop()

    print(f"\n## Pass-through point select ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{workers} proxy threads, {args.time}s runs, median of {args.pairs} alternating rounds)\n")
    print("| configuration | contender | q/s (direct) | proxy/direct | round ratios | CPU/query | "
          "vol. ctx sw/query | invol./query | MariaDB CPU/query (direct) | added p50 / p99 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        for c in r["contenders"]:
            lat = (f"+{c['p50_added_us']:.0f} / +{c['p99_added_us']:.0f} us (direct p50 {r['direct_p50_us']:.0f} us)"
                   if "p50_added_us" in c else "")
            print(f"| {r['config']} | {c['name']} | {c['qps']:.0f} ({r['direct_qps']:.0f}) | {c['ratio']:.2f} | "
                  f"{' '.join(f'{x:.2f}' for x in c['ratios'])} | {c['cpu_us']:.1f} us | {c['vcs']:.2f} | "
                  f"{c['ivcs']:.2f} | {c['server_cpu_us']:.1f} ({r['direct_server_cpu_us']:.1f}) us | {lat} |")
    names = [c["name"] for c in rows[0]["contenders"]] if rows else []
    if "ProxySQL 2.7.2" in names:
        print("\nShardGate against ProxySQL (same rounds):\n")
        print("| configuration | throughput ShardGate/ProxySQL | CPU/query ShardGate/ProxySQL |")
        print("|---|---|---|")
        for r in rows:
            c = {x["name"]: x for x in r["contenders"]}
            print(f"| {r['config']} | {c['ShardGate']['ratio'] / c['ProxySQL 2.7.2']['ratio']:.2f} | "
                  f"{c['ShardGate']['cpu_us'] / c['ProxySQL 2.7.2']['cpu_us']:.2f} |")
    if rows and "syscalls" in rows[0]["contenders"][0]:
        print("\nSyscalls per query (perf stat on the tracepoints, a separate "
              f"{args.syscall_time}-s run per contender):\n")
        groups = list(SYSCALL_GROUPS) + ["recv_failed"]
        print("| configuration | contender | " + " | ".join(groups) + " |")
        print("|---|---|" + "---|" * len(groups))
        for r in rows:
            for c in r["contenders"]:
                print(f"| {r['config']} | {c['name']} | " +
                      " | ".join(f"{c['syscalls'][g]:.2f}" for g in groups) + " |")
    if any(r["errors"] or any(c["errors"] for c in r["contenders"]) for r in rows):
        print("\nWARNING: sysbench reported errors", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
