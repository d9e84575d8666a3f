#!/usr/bin/python3
"""What TLS costs per statement (issue 17): sysbench oltp_point_select at 16 threads against
one MariaDB directly and through ShardGate, with TLS and without, alternated in one sitting
(direct-tls, sg-tls, direct-plain, sg-plain, direct-tls, ...), median of N rounds.

- direct-tls:   sysbench --mysql-ssl=on to MariaDB (started with ssl-cert/ssl-key/ssl-ca) as
                `apptls`, a user created REQUIRE SSL, so a plain connection could not log in.
- sg-tls:       sysbench --mysql-ssl=on to a ShardGate with `listen.tls` and
                `require_secure_transport: true`, whose cluster leg logs in as `apptls` with
                `tls: {mode: verify_ca, ca}`: TLS on both legs, or no connection at all.
- direct-plain: sysbench without TLS to the same MariaDB as `app`.
- sg-plain:     a second ShardGate, no TLS on either leg.
- px-tls, px-plain: the same two set-ups with ProxySQL 2.7.2 (benchmarks/proxysql_peer.py;
                front-end TLS with the same server certificate, user use_ssl=1, backend
                use_ssl=1 against the CA) when its binary is built (--no-peer skips them).
                ProxySQL logs in to the backend with the client's user, so px-tls runs as
                `apptls` end to end.

sysbench 1.0 reads its TLS files from fixed names in its working directory (cacert.pem,
client-cert.pem, client-key.pem): the certificates are made there with the openssl CLI
(a CA, a server certificate for 127.0.0.1 and a client certificate, RSA 2048). sysbench's
connections are opened once per thread, so the figures are the per-statement cost of
encryption, not of handshakes (benchmarks/logins.py measures those).

Reported: q/s, ratios to direct-tls / direct-plain, ShardGate CPU per query (user+sys from
/proc/PID/stat over the queries served), MariaDB's too, and what TLS adds per query:
sg-tls minus sg-plain in ShardGate, direct-tls minus direct-plain (and via ShardGate) in
MariaDB.

    /usr/bin/python3 benchmarks/tls.py                        # ~5 min
    /usr/bin/python3 benchmarks/tls.py --time 3 --rounds 1    # quick look
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

import pymysql

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, HERE)

from harness.mariadb_server import MariaDBServer  # noqa: E402
from harness.shardgate_process import ShardGate, make_config  # noqa: E402
from harness import tls_certs  # noqa: E402
from passthrough import cpu_seconds, parse  # noqa: E402
import proxysql_peer  # noqa: E402

BASE_CASES = ("direct-tls", "sg-tls", "direct-plain", "sg-plain")
PEER_CASES = ("px-tls", "px-plain")


def make_certs(d):
    """tests/harness/tls_certs.py's CA, server (127.0.0.1/localhost) and client certificates
    under d, copied to the names sysbench 1.0 expects. Made once per directory."""
    os.makedirs(d, exist_ok=True)
    if os.path.exists(os.path.join(d, "client-key.pem")):
        return d
    pki = tls_certs.make_pki(os.path.join(d, "pki"))
    for src, dst in (("ca", "cacert.pem"), ("server", "server-cert.pem"), ("server_key", "server-key.pem"),
                     ("client", "client-cert.pem"), ("client_key", "client-key.pem")):
        shutil.copyfile(pki[src], os.path.join(d, dst))
    return d


def tls_server_args(certs):
    return [f"--ssl-ca={certs}/cacert.pem", f"--ssl-cert={certs}/server-cert.pem",
            f"--ssl-key={certs}/server-key.pem"]


def add_tls_user(server, name="apptls", password="app"):
    """A MariaDB user that can log in only over TLS."""
    for host in ("127.0.0.1", "localhost"):
        server.sql(f"CREATE USER IF NOT EXISTS '{name}'@'{host}' IDENTIFIED BY '{password}' REQUIRE SSL")
        server.sql(f"GRANT ALL PRIVILEGES ON *.* TO '{name}'@'{host}'")


def sysbench(port, user, threads, seconds, ps_mode, table_size, ssl, cwd, mode="run"):
    cmd = ["sysbench", "oltp_point_select", "--db-driver=mysql", "--mysql-host=127.0.0.1",
           f"--mysql-port={port}", f"--mysql-user={user}", "--mysql-password=app",
           "--mysql-db=sbtest", "--tables=1", f"--table-size={table_size}", f"--threads={threads}",
           f"--time={seconds}", f"--db-ps-mode={ps_mode}", "--report-interval=0",
           f"--mysql-ssl={'on' if ssl else 'off'}"]
    out = subprocess.run(cmd + [mode], capture_output=True, text=True, timeout=seconds + 120, cwd=cwd)
    if out.returncode != 0:
        raise RuntimeError(f"sysbench failed: {out.stdout[-2000:]}{out.stderr[-2000:]}")
    return out.stdout


def check_tls(sg_tls, sg_plain_port, certs):
    """Asserts what the setup claims: sg-tls refuses plain TCP (3159) and its backend leg is
    TLS (the backend session's Ssl_cipher); sg-plain's backend leg is not. Returns ciphers."""
    try:
        pymysql.connect(host="127.0.0.1", port=sg_tls.port, user="app", password="app",
                        connect_timeout=5).close()
        raise AssertionError("sg-tls accepted a plain TCP login")
    except pymysql.err.OperationalError as e:
        if e.args[0] != 3159:
            raise
    ciphers = {}
    for label, port, ssl in (("sg-tls", sg_tls.port, {"ca": f"{certs}/cacert.pem"}),
                             ("sg-plain", sg_plain_port, None)):
        conn = pymysql.connect(host="127.0.0.1", port=port, user="app", password="app",
                               database="sbtest", ssl=ssl, connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
                backend = cur.fetchone()[1]
            client = conn._sock.cipher()[0] if ssl else ""
        finally:
            conn.close()
        ciphers[label] = (client, backend)
    if not ciphers["sg-tls"][1] or ciphers["sg-plain"][1]:
        raise AssertionError(f"backend legs not as configured: {ciphers}")
    return ciphers


def check_peer_tls(ports, certs):
    """px-tls: TLS to ProxySQL and from it to MariaDB (the user is REQUIRE SSL there);
    px-plain: neither."""
    ciphers = {}
    for label, user, ssl in (("px-tls", "apptls", {"ca": f"{certs}/cacert.pem"}), ("px-plain", "app", None)):
        conn = pymysql.connect(host="127.0.0.1", port=ports[label], user=user, password="app",
                               database="sbtest", ssl=ssl, connect_timeout=5)
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
                backend = cur.fetchone()[1]
            ciphers[label] = (conn._sock.cipher()[0] if ssl else "", backend)
        finally:
            conn.close()
    if not all(ciphers["px-tls"]) or ciphers["px-plain"][1]:
        raise AssertionError(f"ProxySQL legs not as configured: {ciphers}")
    return ciphers


def proxy_config(port, server_port, certs, tls, workers):
    cluster = {"writer": f"127.0.0.1:{server_port}", "user": "apptls" if tls else "app",
               "password": "app", "pool": {"max_connections": 32}}
    listen = {}
    if tls:
        cluster["tls"] = {"mode": "verify_ca", "ca": f"{certs}/cacert.pem"}
        listen = {"tls": {"cert": f"{certs}/server-cert.pem", "key": f"{certs}/server-key.pem"},
                  "require_secure_transport": True}
    return make_config(port, port + 3000, {"bench": cluster}, level="warn", workers=workers,
                       top={"reload": {"watch": False}}, **listen)


def run(case, ports, pids, server_pid, args, threads, ps_mode, certs):
    tls = case.endswith("-tls")
    pid = pids.get(case)
    user = "apptls" if case in ("direct-tls", "px-tls") else "app"
    p0 = cpu_seconds(pid) if pid else 0.0
    s0 = cpu_seconds(server_pid)
    r = parse(sysbench(ports[case], user, threads, args.time, ps_mode, args.table_size, tls, certs))
    r["proxy_cpu_us"] = (cpu_seconds(pid) - p0) * 1e6 / r["queries"] if pid else 0.0
    r["server_cpu_us"] = (cpu_seconds(server_pid) - s0) * 1e6 / r["queries"]
    return r


def summarize(spec, runs):
    cases = list(runs)
    med = {c: {k: statistics.median(r[k] for r in runs[c]) for k in ("qps", "proxy_cpu_us",
                                                                     "server_cpu_us")}
           for c in cases}
    pairs = lambda a, b: [x["qps"] / y["qps"] for x, y in zip(runs[a], runs[b])]  # noqa: E731
    peer = {}
    if "px-tls" in runs:
        peer = {
            "px_tls_ratio": statistics.median(pairs("px-tls", "direct-tls")),
            "px_plain_ratio": statistics.median(pairs("px-plain", "direct-plain")),
            "sg_vs_px_tls": statistics.median(pairs("sg-tls", "px-tls")),
            "sg_vs_px_tls_rounds": pairs("sg-tls", "px-tls"),
            "sg_vs_px_plain": statistics.median(pairs("sg-plain", "px-plain")),
            "px_tls_added_us": statistics.median(
                t["proxy_cpu_us"] - p["proxy_cpu_us"] for t, p in zip(runs["px-tls"], runs["px-plain"])),
        }
    return {"cases": cases, **peer,
        "config": spec, "med": med,
        "tls_ratio": statistics.median(pairs("sg-tls", "direct-tls")),
        "tls_ratios": pairs("sg-tls", "direct-tls"),
        "plain_ratio": statistics.median(pairs("sg-plain", "direct-plain")),
        "plain_ratios": pairs("sg-plain", "direct-plain"),
        "sg_tls_vs_plain": statistics.median(pairs("sg-tls", "sg-plain")),
        "direct_tls_vs_plain": statistics.median(pairs("direct-tls", "direct-plain")),
        "sg_tls_added_us": statistics.median(
            t["proxy_cpu_us"] - p["proxy_cpu_us"] for t, p in zip(runs["sg-tls"], runs["sg-plain"])),
        "db_tls_added_direct_us": statistics.median(
            t["server_cpu_us"] - p["server_cpu_us"]
            for t, p in zip(runs["direct-tls"], runs["direct-plain"])),
        "db_tls_added_via_sg_us": statistics.median(
            t["server_cpu_us"] - p["server_cpu_us"] for t, p in zip(runs["sg-tls"], runs["sg-plain"])),
        "errors": sum(r["errors"] for c in cases for r in runs[c]),
    }


def print_tables(rows, args):
    print(f"\n## TLS cost ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {args.time}s runs, "
          f"median of {args.rounds} alternating rounds)\n")
    print("| configuration | case | q/s | proxy CPU / query | MariaDB CPU / query |")
    print("|---|---|---|---|---|")
    for r in rows:
        for c in r["cases"]:
            m = r["med"][c]
            sg = f"{m['proxy_cpu_us']:.1f} us" if not c.startswith("direct") else ""
            print(f"| {r['config']} | {c} | {m['qps']:.0f} | {sg} | {m['server_cpu_us']:.1f} us |")
    print("\n| configuration | sg-tls / direct-tls (rounds) | sg-plain / direct-plain (rounds) | "
          "sg-tls / sg-plain | direct-tls / direct-plain | TLS adds in ShardGate / query | "
          "TLS adds in MariaDB / query: direct, via ShardGate |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['config']} | {r['tls_ratio']:.2f} ({' '.join(f'{x:.2f}' for x in r['tls_ratios'])}) | "
              f"{r['plain_ratio']:.2f} ({' '.join(f'{x:.2f}' for x in r['plain_ratios'])}) | "
              f"{r['sg_tls_vs_plain']:.2f} | {r['direct_tls_vs_plain']:.2f} | "
              f"{r['sg_tls_added_us']:+.1f} us | {r['db_tls_added_direct_us']:+.1f} us, "
              f"{r['db_tls_added_via_sg_us']:+.1f} us |")
    if any("px_tls_ratio" in r for r in rows):
        print("\n| configuration | px-tls / direct-tls | px-plain / direct-plain | sg-tls / px-tls (rounds) | "
              "sg-plain / px-plain | TLS adds in ProxySQL / query |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            if "px_tls_ratio" in r:
                print(f"| {r['config']} | {r['px_tls_ratio']:.2f} | {r['px_plain_ratio']:.2f} | "
                      f"{r['sg_vs_px_tls']:.2f} ({' '.join(f'{x:.2f}' for x in r['sg_vs_px_tls_rounds'])}) | "
                      f"{r['sg_vs_px_plain']:.2f} | {r['px_tls_added_us']:+.1f} us |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time", type=int, default=10, help="seconds per run (default 10)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per configuration")
    ap.add_argument("--table-size", type=int, default=100000)
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench-tls"))
    ap.add_argument("--binary", default=os.environ.get("SHARDGATE_BIN", os.path.join(ROOT, "build", "shardgate")))
    ap.add_argument("--server-port", type=int, default=23401)
    ap.add_argument("--proxy-port", type=int, default=26101, help="sg-tls; sg-plain listens on the next port")
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--peer-port", type=int, default=26111,
                    help="px-tls (admin on the next port); px-plain listens 10 above (default %(default)s)")
    ap.add_argument("--no-peer", action="store_true", help="skip the ProxySQL cases")
    ap.add_argument("--configs", default="16:disable,16:auto",
                    help="comma list of threads:ps-mode (default: %(default)s)")
    args = ap.parse_args()

    certs = make_certs(os.path.join(os.path.abspath(args.workdir), "certs"))
    server = MariaDBServer("bench-tls-db", args.server_port, args.workdir,
                           extra_args=tls_server_args(certs)).start()
    server.sql("SET GLOBAL max_connections=2000")
    add_tls_user(server)
    if not server.sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='sbtest' "
                      "AND table_name='sbtest1'")[0][0]:
        sysbench(args.server_port, "app", 2, 0, "disable", args.table_size, False, certs, mode="prepare")
    sg_tls = ShardGate(proxy_config(args.proxy_port, args.server_port, certs, True, args.workers),
                       os.path.join(args.workdir, "sg-tls"), binary=args.binary, name="sg-tls").start()
    sg_plain = ShardGate(proxy_config(args.proxy_port + 1, args.server_port, certs, False, args.workers),
                         os.path.join(args.workdir, "sg-plain"), binary=args.binary, name="sg-plain").start()
    ports = {"direct-tls": args.server_port, "direct-plain": args.server_port,
             "sg-tls": sg_tls.port, "sg-plain": sg_plain.port}
    pids = {"sg-tls": sg_tls.pid, "sg-plain": sg_plain.pid}
    cases = list(BASE_CASES)
    peers = []
    if not args.no_peer and proxysql_peer.available():
        tls = {"ca": f"{certs}/cacert.pem", "cert": f"{certs}/server-cert.pem", "key": f"{certs}/server-key.pem"}
        peers = [proxysql_peer.ProxySQL(args.peer_port, args.server_port, os.path.join(args.workdir, "px-tls"),
                                        user="apptls", tls=tls).start(),
                 proxysql_peer.ProxySQL(args.peer_port + 10, args.server_port,
                                        os.path.join(args.workdir, "px-plain")).start()]
        ports.update({"px-tls": peers[0].port, "px-plain": peers[1].port})
        pids.update({"px-tls": peers[0].pid, "px-plain": peers[1].pid})
        cases += PEER_CASES
    elif not args.no_peer:
        print(f"ProxySQL not built ({proxysql_peer.binary()}): peer cases skipped", flush=True)
    rows = []
    try:
        print("TLS check (client leg, backend leg):", check_tls(sg_tls, sg_plain.port, certs), flush=True)
        if peers:
            print("ProxySQL TLS check (client leg, backend leg):", check_peer_tls(ports, certs), flush=True)
        for spec in args.configs.split(","):
            threads, ps_mode = spec.split(":")
            threads = int(threads)
            for c in cases:  # warm-up: pools, buffer pool
                if not c.startswith("direct"):
                    sysbench(ports[c], "apptls" if c == "px-tls" else "app", threads, 3, ps_mode,
                             args.table_size, c.endswith("-tls"), certs)
            runs = {c: [] for c in cases}
            for _ in range(args.rounds):
                for c in cases:
                    runs[c].append(run(c, ports, pids, server.pid, args, threads, ps_mode, certs))
            row = summarize(f"{threads} thr, ps-mode={ps_mode}", runs)
            rows.append(row)
            print(row, flush=True)
    finally:
        sg_tls.stop()
        sg_plain.stop()
        for p in peers:
            p.stop()
        server.stop()
    print_tables(rows, args)
    for sg in (sg_tls, sg_plain):
        warnings = [line for line in sg.log_text().splitlines() if "warn" in line or "error" in line]
        if warnings:
            print(f"\n{len(warnings)} ShardGate warnings/errors ({sg.log_path}), first: {warnings[0]}")
    if any(r["errors"] for r in rows):
        print("\nWARNING: sysbench reported errors", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
