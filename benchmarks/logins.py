#!/usr/bin/python3
"""Login rate (issue 17): logins per second, and CPU per login, of MariaDB directly and of
ShardGate, per authentication path, alternated in one sitting, median of N rounds.

The client is benchmarks/login_rate.cpp (MariaDB Connector/C, T threads each doing
connect + COM_QUIT in a loop): a Python client would be the bottleneck at these rates.
Cases, in this order in every round:

- direct-native:      MariaDB, user `app` (mysql_native_password), plain TCP;
- sg-native:          ShardGate, user `app` (mysql_native_password), plain TCP;
- sg-sha2-fast:       ShardGate, user `sha2` (caching_sha2_password), plain TCP: after one
                      warm-up login filled ShardGate's cache, every login is the fast path
                      (scramble checked against the cached SHA256(SHA256(password))). The
                      client starts with mysql_native_password, the plugin ShardGate's
                      greeting names, and is switched (AuthSwitch, one round trip more):
                      Connector/C started with caching_sha2_password (MYSQL_DEFAULT_AUTH)
                      withholds the scramble meant for another plugin and sends an empty
                      response, which ShardGate answers with the same AuthSwitch (the
                      script's probe shows the outcome);
- direct-native-tls:  MariaDB, `app`, TLS (server certificate verified against the CA);
- sg-native-tls:      ShardGate, `app`, TLS;
- sg-sha2-full-tls:   ShardGate over TLS, caching_sha2_password full authentication (the
                      client sends the clear password inside TLS, ShardGate computes the
                      SHA-256 crypt of users[].password_sha256 - 5,000 rounds - to check it).
                      The cache fills after a user's first full login, so each login is a
                      different user: N users (ft<round>_0 ..) each logging in exactly once;
- px-native, px-native-tls: ProxySQL 2.7.2 (benchmarks/proxysql_peer.py; front-end TLS
                      optional, backend leg plain), user `app`, plain and TLS, when its binary
                      is built (--no-peer skips them). ProxySQL authenticates the client
                      itself and serves it from its pool, as ShardGate does;
- sg-sha2-full-rsa:   the same over plain TCP: the client asks for ShardGate's RSA public key
                      and sends the password RSA-OAEP encrypted (2048-bit key generated at
                      start), N more users (fr<round>_0 ..).

Every caching_sha2 user has the same password_sha256 (`openssl passwd -5`, 5,000 rounds).
Loops run --time seconds; the distinct-user cases log in --distinct users. CPU per login
from /proc/PID/stat (ShardGate, MariaDB) and getrusage (the client). The MariaDB
`Connections` delta of the ShardGate cases shows whether a login touched the backend.

    /usr/bin/python3 benchmarks/logins.py                       # ~4 min
    /usr/bin/python3 benchmarks/logins.py --time 3 --rounds 1   # quick look
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
sys.path.insert(0, HERE)

from harness.mariadb_server import MariaDBServer  # noqa: E402
from harness.shardgate_process import ShardGate, make_config  # noqa: E402
from passthrough import cpu_seconds  # noqa: E402
from tls import make_certs, tls_server_args  # noqa: E402
import proxysql_peer  # noqa: E402

SHA2 = "caching_sha2_password"
# name -> (target, user or user prefix, tls, client plugin, distinct users)
CASES = {
    "direct-native": ("direct", "app", False, None, False),
    "sg-native": ("sg", "app", False, None, False),
    "sg-sha2-fast": ("sg", "sha2", False, None, False),
    "direct-native-tls": ("direct", "app", True, None, False),
    "sg-native-tls": ("sg", "app", True, None, False),
    "sg-sha2-full-tls": ("sg", "ft{r}_", True, None, True),
    "sg-sha2-full-rsa": ("sg", "fr{r}_", False, None, True),
    "px-native": ("px", "app", False, None, False),
    "px-native-tls": ("px", "app", True, None, False),
}


def login_rate(binary, port, user, args, certs, tls=False, plugin=None, distinct=0, seconds=None):
    cmd = [binary, "--port", str(port), "--user", user, "--password", "app",
           "--threads", str(args.threads), "--seconds", str(seconds or args.time)]
    if tls:
        cmd += ["--tls", "--ca", os.path.join(certs, "cacert.pem")]
    if plugin:
        cmd += ["--plugin", plugin]
    if distinct:
        cmd += ["--distinct", str(distinct)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=(seconds or args.time) + 300)
    if out.returncode != 0:
        raise RuntimeError(f"login_rate failed ({' '.join(cmd)}): {out.stdout}{out.stderr}")
    return {k: (v if k == "tls_cipher" else float(v)) for k, v in re.findall(r"(\w+)=(\S+)", out.stdout)}


def probe_default_auth(binary, port):
    """One login of a caching_sha2_password user by a client whose first response is
    already caching_sha2_password's: what happens (see sg-sha2-fast above)."""
    out = subprocess.run([binary, "--port", str(port), "--user", "probe", "--password", "app",
                          "--threads", "1", "--distinct", "1", "--plugin", SHA2],
                         capture_output=True, text=True, timeout=60)
    return "ok" if out.returncode == 0 else out.stderr.strip()


def connections(server):
    return int(server.sql("SHOW GLOBAL STATUS LIKE 'Connections'")[0][1])


def run(case, rnd, server, sg, px, args, certs):
    target, user, tls, plugin, distinct = CASES[case]
    proxy = px if target == "px" else sg
    port = proxy.port if target != "direct" else server.port
    p0, s0, c0 = cpu_seconds(proxy.pid), cpu_seconds(server.pid), connections(server)
    r = login_rate(args.client, port, user.format(r=rnd), args, certs, tls, plugin,
                   args.distinct if distinct else 0)
    n = r["logins"]
    r["sg_cpu_us"] = (cpu_seconds(proxy.pid) - p0) * 1e6 / n
    r["db_cpu_us"] = (cpu_seconds(server.pid) - s0) * 1e6 / n
    r["backend_connects"] = connections(server) - c0 - 1  # this connections() call itself
    return r


def proxy_config(port, server_port, certs, rounds, distinct, sha256):
    users = [{"name": "app", "password": "app"},
             {"name": "sha2", "auth": SHA2, "password_sha256": sha256},
             {"name": "probe0", "auth": SHA2, "password_sha256": sha256}]
    for r in range(rounds):
        for prefix in ("ft", "fr"):
            users += [{"name": f"{prefix}{r}_{i}", "auth": SHA2, "password_sha256": sha256}
                      for i in range(distinct)]
    listen = {"tls": {"cert": f"{certs}/server-cert.pem", "key": f"{certs}/server-key.pem"}}
    return make_config(port, port + 3000, {"bench": f"127.0.0.1:{server_port}"}, level="warn",
                       users=users, top={"reload": {"watch": False}}, **listen)


def print_table(runs, args):
    print(f"\n## Login rate ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
          f"{args.threads} client threads, {args.time}s loops / {args.distinct} distinct users, "
          f"median of {args.rounds} alternating rounds)\n")
    print("| case | logins/s (rounds) | / direct (same transport) | proxy CPU / login | "
          "MariaDB CPU / login | client CPU / login | backend connects | TLS |")
    print("|---|---|---|---|---|---|---|---|")
    med = {c: {k: statistics.median(r[k] for r in rs) for k in ("logins_per_s", "sg_cpu_us", "db_cpu_us",
                                                               "client_cpu_us_per_login")}
           for c, rs in runs.items()}
    for c, rs in runs.items():
        target, _, tls, _, _ = CASES[c]
        ref = "direct-native-tls" if tls else "direct-native"
        ratio = "" if target == "direct" else "%.2f" % statistics.median(
            a["logins_per_s"] / b["logins_per_s"] for a, b in zip(rs, runs[ref]))
        m = med[c]
        sg = f"{m['sg_cpu_us']:.0f} us" if target != "direct" else ""
        each = " ".join("%.0f" % r["logins_per_s"] for r in rs)
        print(f"| {c} | {m['logins_per_s']:.0f} ({each}) | {ratio} | "
              f"{sg} | {m['db_cpu_us']:.0f} us | {m['client_cpu_us_per_login']:.0f} us | "
              f"{sum(r['backend_connects'] for r in rs):.0f} | {rs[0]['tls_cipher']} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--time", type=int, default=10, help="seconds per loop run (default 10)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    ap.add_argument("--distinct", type=int, default=2000,
                    help="users per full-authentication run (default 2000)")
    ap.add_argument("--workdir", default=os.path.join(ROOT, "build", "bench-logins"))
    ap.add_argument("--binary", default=os.environ.get("SHARDGATE_BIN", os.path.join(ROOT, "build", "shardgate")))
    ap.add_argument("--client", default=os.path.join(ROOT, "build", "benchmarks", "login_rate"),
                    help="the login_rate binary (default build/benchmarks/login_rate)")
    ap.add_argument("--server-port", type=int, default=23402)
    ap.add_argument("--proxy-port", type=int, default=26103)
    ap.add_argument("--peer-port", type=int, default=26121, help="ProxySQL (admin on the next port)")
    ap.add_argument("--no-peer", action="store_true", help="skip the ProxySQL cases")
    args = ap.parse_args()
    cases = [c for c in CASES if CASES[c][0] != "px" or (not args.no_peer and proxysql_peer.available())]
    if not args.no_peer and not proxysql_peer.available():
        print(f"ProxySQL not built ({proxysql_peer.binary()}): peer cases skipped", flush=True)

    certs = make_certs(os.path.join(os.path.abspath(args.workdir), "certs"))
    sha256 = subprocess.run(["openssl", "passwd", "-5", "app"], capture_output=True, text=True,
                            check=True, timeout=30).stdout.strip()
    server = MariaDBServer("bench-logins-db", args.server_port, args.workdir,
                           extra_args=tls_server_args(certs)).start()
    server.sql("SET GLOBAL max_connections=2000")
    sg = ShardGate(proxy_config(args.proxy_port, args.server_port, certs, args.rounds, args.distinct, sha256),
                   os.path.join(args.workdir, "sg"), binary=args.binary, name="sg").start(timeout=120)
    px = None
    if "px-native" in cases:
        px = proxysql_peer.ProxySQL(args.peer_port, args.server_port, os.path.join(args.workdir, "px"),
                                    tls={"ca": f"{certs}/cacert.pem", "cert": f"{certs}/server-cert.pem",
                                         "key": f"{certs}/server-key.pem"},
                                    user_ssl=False, backend_ssl=False).start()
    runs = {c: [] for c in cases}
    try:
        # Warm-up: fills the `sha2` user's cache entry (its first login is a full one).
        login_rate(args.client, sg.port, "sha2", args, certs, seconds=1)
        print("probe, Connector/C with MYSQL_DEFAULT_AUTH=caching_sha2_password, user `probe0`:",
              probe_default_auth(args.client, sg.port), flush=True)
        for rnd in range(args.rounds):
            for c in cases:
                r = run(c, rnd, server, sg, px, args, certs)
                runs[c].append(r)
                print(c, rnd, r, flush=True)
    finally:
        sg.stop()
        if px:
            px.stop()
        server.stop()
    print_table(runs, args)
    warnings = [line for line in sg.log_text().splitlines() if "warn" in line or "error" in line]
    if warnings:
        print(f"\n{len(warnings)} ShardGate warnings/errors ({sg.log_path}), first: {warnings[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
