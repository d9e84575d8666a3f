#!/usr/bin/python3
"""Read/write split (issue 6): point selects over a writer + 1 reader, and what the health
checks cost.

A MariaDB binlog replication pair (tests/harness/replication.py: primary + read_only replica
over GTID) holds the sysbench table (loaded on the primary, replicated). Two ShardGate
processes front the same cluster `{writer: primary, readers: [replica], health:
{interval_ms: 1000}}`: one with `routing.reads: readers` (split), one with `routing.reads:
writer` (every read on the writer). sysbench oltp_point_select runs against the primary
directly, through the writer-only ShardGate and through the split one, alternated in one
sitting (direct, writer, split, direct, ...); medians of N rounds. Each run's Com_select
(and Com_stmt_execute) deltas on both servers show who served the reads: the split runs
must have the replica serve them, the writer-only runs the primary.

Then the health checks' own cost: the writer-only ShardGate is stopped, and with the split
one idle for 10 s, the statements each endpoint received (SHOW GLOBAL STATUS deltas of
Questions, Com_show_variables, Com_show_slave_status, Com_admin_commands, Connections,
read over one root socket connection per server whose own count is calibrated with no
ShardGate running and subtracted) and the ShardGate process's CPU time (/proc/PID/stat).

The machine's 2 cores are shared by both mariadbd, ShardGate and sysbench, so a reader
cannot add capacity here: the figures show what the split costs or gives on one box, and
how much load it takes off the writer (its Com_select share and CPU).

Before starting it waits (at most --max-wait s, default 300) while the 1-minute load is above
1.5 or a compiler runs (someone building on the shared machine), and again for compilers
before the measured rounds; runs that overlapped a build are flagged. While measuring it
holds /tmp/me/bench.running. Every ShardGate warning is printed with the run it fell in.

    /usr/bin/python3 benchmarks/read_split.py --binary /tmp/bench-shardgate    # ~5 min
    /usr/bin/python3 benchmarks/read_split.py --time 3 --rounds 1 --idle 3     # quick look
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))

from harness.replication import start_pair, wait_caught_up  # noqa: E402
from harness.shardgate_process import ShardGate, make_config  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
COUNTERS = ("Questions", "Com_select", "Com_stmt_execute", "Com_stmt_prepare", "Com_show_variables",
            "Com_show_slave_status", "Com_show_status", "Com_admin_commands", "Connections")
COMPILERS = ("cc1plus", "cc1", "c++", "g++", "gcc", "clang", "clang++", "ld", "ld.gold", "ld.lld",
             "collect2", "make", "ninja", "cmake", "lto1")
BUSY_FLAG = "/tmp/me/bench.running"


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def run_ns(pid):
    """CPU time of all the process's threads in ns (/proc/PID/task/*/schedstat: finer than the
    10 ms ticks of /proc/PID/stat); {thread name: ns}."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f"{f.read().strip()}/{tid}"
        except OSError:
            continue
        out[name] = ns
    return out


def cpu_ticks():
    """(steal, total) jiffies of all CPUs from /proc/stat: a VM's stolen time shows there."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[7], sum(v[:8])


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def compilers_running():
    """Names of compiler/build processes on the machine (someone else building)."""
    seen = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    name = f.read().strip()
            except OSError:
                continue
            if name in COMPILERS:
                seen.add(name)
    return sorted(seen)


def wait_quiet(limit_s, what, check_load=True):
    """Wait (at most limit_s) until nobody compiles: load1 <= 1.5 when check_load, and no
    compiler process. Returns the seconds waited."""
    t0 = time.monotonic()
    while True:
        load, cc = loadavg(), compilers_running()
        busy = (check_load and load > 1.5) or cc
        if not busy:
            break
        if time.monotonic() - t0 >= limit_s:
            print(f"# {what}: still busy after {limit_s:.0f} s (load {load:.2f}, {cc or 'no compiler'}); "
                  "measuring anyway", flush=True)
            break
        print(f"# {what}: load {load:.2f}, {', '.join(cc) or 'no compiler'} running: waiting", flush=True)
        time.sleep(10)
    return time.monotonic() - t0


def sysbench(port, threads, seconds, ps_mode, table_size, mode="run"):
    cmd = ["sysbench", "oltp_point_select", "--db-driver=mysql", "--mysql-host=127.0.0.1",
           f"--mysql-port={port}", "--mysql-user=app", "--mysql-password=app", "--mysql-db=sbtest",
           "--tables=1", f"--table-size={table_size}", f"--threads={threads}", f"--time={seconds}",
           f"--db-ps-mode={ps_mode}", "--report-interval=0", "--percentile=95"]
    out = subprocess.run(cmd + [mode], capture_output=True, text=True, timeout=seconds + 120)
    if out.returncode != 0:
        raise RuntimeError(f"sysbench failed: {out.stdout[-2000:]}{out.stderr[-2000:]}")
    return out.stdout


def parse(out):
    return {
        "queries": int(re.search(r"queries:\s+(\d+)", out).group(1)),
        "qps": float(re.search(r"queries:\s+\d+\s+\(([\d.]+) per sec", out).group(1)),
        "p95_ms": float(re.search(r"95th percentile:\s+([\d.]+)", out).group(1)),
        "errors": int(re.search(r"ignored errors:\s+(\d+)", out).group(1)),
    }


class Status:
    """SHOW GLOBAL STATUS over one root socket connection per server (SHOW statements only:
    they leave Com_select alone; each adds 1 to Questions and Com_show_status)."""

    def __init__(self, server):
        self.conn = server.root_connect()

    def read(self):
        names = ", ".join(f"'{n}'" for n in COUNTERS)
        with self.conn.cursor() as cur:
            cur.execute(f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})")
            return {k: int(v) for k, v in cur.fetchall()}

    def close(self):
        self.conn.close()


def delta(a, b):
    return {k: b[k] - a[k] for k in a}


def measure(name, port, proxy, servers, status, args, threads, ps_mode):
    """One sysbench run; adds who served it (counter deltas) and CPU per process."""
    pids = {s.name: s.pid for s in servers}
    c0 = {s.name: status[s.name].read() for s in servers}
    cpu0 = {n: cpu_seconds(p) for n, p in pids.items()}
    p0 = cpu_seconds(proxy.pid) if proxy else 0.0
    cc0 = compilers_running()
    st0 = cpu_ticks()
    start = time.strftime("%H:%M:%S")
    r_t0 = time.time()
    t0 = time.monotonic()
    r = parse(sysbench(port, threads, args.time, ps_mode, args.table_size))
    wall = time.monotonic() - t0
    st1 = cpu_ticks()
    r["span"] = f"{start}-{time.strftime('%H:%M:%S')}"
    r["t"] = (r_t0, time.time())
    r["steal_pct"] = (st1[0] - st0[0]) * 100 / max(1, st1[1] - st0[1])
    cc1 = compilers_running()
    r["cpu_pct"] = {n: (cpu_seconds(p) - cpu0[n]) * 100 / wall for n, p in pids.items()}
    r["proxy_cpu_us"] = (cpu_seconds(proxy.pid) - p0) * 1e6 / r["queries"] if proxy else 0.0
    d = {s.name: delta(c0[s.name], status[s.name].read()) for s in servers}
    # A point select is counted in Com_select as text, in Com_stmt_execute as prepared.
    key = "Com_stmt_execute" if ps_mode != "disable" else "Com_select"
    r["served"] = {n: d[n][key] for n in d}
    r["compilers"] = sorted(set(cc0) | set(cc1))
    r["name"] = name
    return r


def during(log_line, runs):
    """Which measured run a ShardGate log line (local-time stamp) fell in."""
    try:
        t = time.mktime(time.strptime(log_line[:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + log_line[19:23])
    except ValueError:
        return "?"
    for r in runs:
        if r["t"][0] - 0.5 <= t <= r["t"][1] + 0.5:
            return f"during {r['label']} ({r['span']})"
    return "outside the measured runs"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time", type=int, default=10, help="seconds per run (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="alternated rounds per configuration")
    ap.add_argument("--configs", default="8:disable,16:disable,16:auto",
                    help="comma list of threads:ps-mode (default: %(default)s)")
    ap.add_argument("--table-size", type=int, default=10000)
    ap.add_argument("--idle", type=int, default=10, help="seconds of the idle health-check window")
    ap.add_argument("--max-wait", type=int, default=300,
                    help="seconds to wait for a concurrent build to finish (default 300)")
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench-read-split"))
    ap.add_argument("--binary", default=os.environ.get("SHARDGATE_BIN", os.path.join(ROOT, "build", "shardgate")))
    ap.add_argument("--primary-port", type=int, default=23390, help="replica on the next port")
    ap.add_argument("--proxy-port", type=int, default=26092, help="2 proxies from here")
    ap.add_argument("--admin-port", type=int, default=29192, help="2 admin ports from here")
    args = ap.parse_args()

    waited = wait_quiet(args.max_wait, "before setup")
    # Fresh servers every time: start_pair's replica reads the primary's binlog from the start.
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    primary = replica = None
    proxies = {}
    started = []
    status = {}
    flag = False
    try:
        t_setup = time.monotonic()
        primary, replica = start_pair("bench-rs", args.primary_port, args.primary_port + 1, args.workdir)
        servers = (primary, replica)
        for s in servers:
            s.sql("SET GLOBAL max_connections=2000")
        sysbench(primary.port, 2, 0, "disable", args.table_size, mode="prepare")
        wait_caught_up(primary, replica, timeout=60)
        rows = replica.sql("SELECT COUNT(*) FROM sbtest.sbtest1")[0][0]
        if rows != args.table_size:
            raise RuntimeError(f"replica holds {rows} rows, expected {args.table_size}")

        for s in servers:
            status[s.name] = Status(s)
        # What the status reads themselves add to the counters (no ShardGate running yet).
        base0 = {s.name: status[s.name].read() for s in servers}
        time.sleep(1)
        overhead = {s.name: delta(base0[s.name], status[s.name].read()) for s in servers}

        cluster = {"writer": f"127.0.0.1:{primary.port}", "readers": [f"127.0.0.1:{replica.port}"],
                   "user": "app", "password": "app", "pool": {"max_connections": 32},
                   "health": {"interval_ms": 1000}}
        for k, reads in enumerate(("writer", "readers")):
            cfg = make_config(args.proxy_port + k, args.admin_port + k, {"rs": dict(cluster)}, level="warn",
                              routing={"reads": reads})
            proxies[reads] = ShardGate(cfg, os.path.join(args.workdir, f"proxy-{reads}"), binary=args.binary,
                                       name=f"reads-{reads}")
            started.append(proxies[reads])
            proxies[reads].start()
        setup_s = time.monotonic() - t_setup
        targets = [("direct", primary.port, None), ("writer-only", proxies["writer"].port, proxies["writer"]),
                   ("split", proxies["readers"].port, proxies["readers"])]
        for _, port, _ in targets:  # warm-up: pools, buffer pools
            sysbench(port, 16, 2, "disable", args.table_size)

        waited += wait_quiet(max(0, args.max_wait - waited), "before the measured rounds", check_load=False)
        os.makedirs(os.path.dirname(BUSY_FLAG), exist_ok=True)
        with open(BUSY_FLAG, "w") as f:
            f.write(f"{os.getpid()} benchmarks/read_split.py\n")
        flag = True
        load_before = loadavg()
        results = []
        all_runs = []
        for spec in args.configs.split(","):
            threads, ps_mode = spec.split(":")
            runs = {name: [] for name, _, _ in targets}
            for _ in range(args.rounds):
                for name, port, proxy in targets:
                    r = measure(name, port, proxy, servers, status, args, int(threads), ps_mode)
                    runs[name].append(r)
                    r["label"] = f"{threads} thr {ps_mode} {name}"
                    all_runs.append(r)
                    print(f"# {r['span']} {threads} thr {ps_mode} {name}: {r['qps']:.0f} q/s p95 {r['p95_ms']} ms, "
                          f"steal {r['steal_pct']:.1f}%, served "
                          f"{r['served']}, CPU % {({n: round(v) for n, v in r['cpu_pct'].items()})}"
                          f"{', compilers: ' + ','.join(r['compilers']) if r['compilers'] else ''}", flush=True)
            results.append((int(threads), ps_mode, runs))
        load_after = loadavg()

        # Health-check cost: only the split ShardGate runs, idle.
        proxies.pop("writer").stop()
        idle = proxies["readers"]
        time.sleep(2)
        i0 = {s.name: status[s.name].read() for s in servers}
        cpu0, ns0 = cpu_seconds(idle.pid), run_ns(idle.pid)
        t0 = time.monotonic()
        time.sleep(args.idle)
        cpu1, ns1 = cpu_seconds(idle.pid), run_ns(idle.pid)
        idle_s = time.monotonic() - t0
        i1 = {s.name: status[s.name].read() for s in servers}
        idle_cc = compilers_running()
        idle_delta = {n: {k: delta(i0[n], i1[n])[k] - overhead[n][k] for k in COUNTERS} for n in i0}
    finally:
        if flag:
            try:
                os.remove(BUSY_FLAG)
            except OSError:
                pass
        for st in status.values():
            st.close()
        for p in proxies.values():
            p.stop()
        for s in (primary, replica):
            if s:
                s.stop()

    mode_name = {"disable": "text", "auto": "prepared"}
    errors = 0
    bad_routing = []
    print(f"\n## Read/write split ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, MariaDB primary "
          f":{primary.port} + replica :{replica.port}, {args.table_size} rows, {args.time} s runs, "
          f"median of {args.rounds} alternated rounds)\n")
    print(f"setup {setup_s:.0f} s; waited for builds {waited:.0f} s; load1 {load_before:.2f} before the rounds, "
          f"{load_after:.2f} after\n")
    print("| threads, mode | via | q/s | / direct (rounds) | split / writer-only (rounds) | p95 ms | "
          "served by primary / replica | ShardGate CPU/query | primary CPU | replica CPU |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for threads, ps_mode, runs in results:
        for name, _, _ in targets:
            rs = runs[name]
            ratios = [r["qps"] / d["qps"] for r, d in zip(rs, runs["direct"])]
            vs_writer = ""
            if name == "split":
                sw = [r["qps"] / w["qps"] for r, w in zip(rs, runs["writer-only"])]
                vs_writer = f"**{statistics.median(sw):.2f}** ({' '.join(f'{x:.2f}' for x in sw)})"
            served_p = sum(r["served"][primary.name] for r in rs)
            served_r = sum(r["served"][replica.name] for r in rs)
            total = served_p + served_r
            share = served_p / total if total else float("nan")
            want = "replica" if name == "split" else "primary"
            if (want == "replica" and share > 0.01) or (want == "primary" and share < 0.99):
                bad_routing.append(f"{threads} {ps_mode} {name}: primary share {share:.3f}")
            errors += sum(r["errors"] for r in rs)
            cpu = f"{statistics.median(r['proxy_cpu_us'] for r in rs):.1f} us" if name != "direct" else ""
            print(f"| {threads}, {mode_name.get(ps_mode, ps_mode)} | {name} | "
                  f"{statistics.median(r['qps'] for r in rs):,.0f} | {statistics.median(ratios):.2f} "
                  f"({' '.join(f'{x:.2f}' for x in ratios)}) | {vs_writer} | "
                  f"{statistics.median(r['p95_ms'] for r in rs):.2f} | "
                  f"{served_p:,} / {served_r:,} ({share * 100:.1f}% / {(1 - share) * 100:.1f}%) | {cpu} | "
                  f"{statistics.median(r['cpu_pct'][primary.name] for r in rs):.0f}% | "
                  f"{statistics.median(r['cpu_pct'][replica.name] for r in rs):.0f}% |")
    overlapped = sorted({c for _, _, runs in results for rs in runs.values() for r in rs for c in r["compilers"]})

    print(f"\n### Health checks, ShardGate idle {idle_s:.1f} s (`health.interval_ms: 1000`, one ShardGate)\n")
    print("| endpoint | statements/s (Questions) | SHOW GLOBAL VARIABLES/s (writer check) | "
          "SHOW REPLICA STATUS/s (lag check) | Com_admin_commands/s | new connections | other statements |")
    print("|---|---|---|---|---|---|---|")
    for s, role in ((primary, "writer"), (replica, "reader")):
        d = idle_delta[s.name]
        other = d["Questions"] - d["Com_show_variables"] - d["Com_show_slave_status"] - d["Com_admin_commands"]
        print(f"| {role} :{s.port} | {d['Questions'] / idle_s:.2f} | {d['Com_show_variables'] / idle_s:.2f} | "
              f"{d['Com_show_slave_status'] / idle_s:.2f} | {d['Com_admin_commands'] / idle_s:.2f} | "
              f"{d['Connections']} | {other} |")
    print(f"\n(measurement overhead subtracted per server: "
          f"{ {n: {k: v for k, v in o.items() if v} for n, o in overhead.items()} })")
    print(f"ShardGate CPU while idle: {(cpu1 - cpu0) * 1000:.0f} ms in {idle_s:.1f} s = "
          f"{(cpu1 - cpu0) * 100 / idle_s:.2f}% of one core "
          f"(/proc/PID/stat utime+stime, resolution {1000 / CLK_TCK:.0f} ms)"
          f"{'; compilers running at the end: ' + ','.join(idle_cc) if idle_cc else ''}")
    per_thread = {t: ns1[t] - ns0.get(t, 0) for t in ns1}
    print(f"threads' run time (schedstat): {sum(per_thread.values()) / 1e6:.2f} ms in total = "
          f"{sum(per_thread.values()) / 1e7 / idle_s:.3f}% of one core; by thread (in creation order): "
          + ", ".join(f"{t} {per_thread[t] / 1e6:.2f} ms"
                      for t in sorted(per_thread, key=lambda t: int(t.rsplit("/", 1)[1]))))

    ret = 0
    if overlapped:
        print(f"\nWARNING: build processes ran during some measured runs ({', '.join(overlapped)}): "
              "figures are disturbed", file=sys.stderr)
    if errors:
        print(f"\nWARNING: sysbench reported {errors} errors", file=sys.stderr)
        ret = 1
    if bad_routing:
        print("\nERROR: reads not served where expected: " + "; ".join(bad_routing), file=sys.stderr)
        ret = 1
    for p in started:
        notes = [ln for ln in p.log_text().splitlines() if re.search(r" (warning|error|critical) \[", ln)]
        if notes:
            print(f"\n{os.path.basename(p.log_path)}: {len(notes)} warning/error lines:\n  "
                  + "\n  ".join(f"{ln}  <- {during(ln, all_runs)}" for ln in notes[:20]), file=sys.stderr)
    return ret


if __name__ == "__main__":
    sys.exit(main())
