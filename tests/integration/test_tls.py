#!/usr/bin/python3
"""TLS on both legs (issue 17), with real clients and a real MariaDB that demands TLS.

The MariaDB server runs with ssl-cert/ssl-key and require_secure_transport=ON, so every
backend connection ShardGate makes (pools, health checks, KILL for max_execution_ms) must be
encrypted or the server refuses it. Clients: the mariadb CLI (--ssl, server certificate
verified), PyMySQL (ssl= context, verified), Node mysql2 (ssl with the CA). Checked: the
client leg is TLS (as each client reports it), the backend leg is TLS (SHOW SESSION STATUS
LIKE 'Ssl_version' through ShardGate is answered by the backend), plain TCP is refused with
3159 where TLS is required (require_secure_transport, users[].require_tls), client
certificates (listen.tls.ca), a backend whose certificate does not chain to the configured
CA is refused with 2003 naming the TLS failure, CLIENT_SSL is advertised only with
listen.tls, and a renewed certificate is served after SIGHUP with the YAML unchanged."""
import json
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness.mariadb_server import MariaDBServer  # noqa: E402
from harness.netutil import LOOPBACK, REPO_ROOT, free_port, tail, wait_until  # noqa: E402
from harness.shardgate_process import ShardGate, make_config  # noqa: E402
from harness.testbase import ADMIN_PORTS, DIRECT, OWN_SERVER_PORTS, PROXY_PORTS, main, workdir  # noqa: E402
from harness import tls_certs  # noqa: E402

ER_ACCESS_DENIED = 1045
ER_SECURE_TRANSPORT_REQUIRED = 3159
CLIENT_SSL = 0x800
NODE_MODULES = os.path.join(REPO_ROOT, "tests", "clients", "node_modules")


def greeting_capabilities(port):
    """The lower 16 capability bits of the server greeting on 127.0.0.1:port."""
    with socket.create_connection((LOOPBACK, port), timeout=10) as s:
        data = b""
        while len(data) < 4 or len(data) < 4 + int.from_bytes(data[:3], "little"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    body = data[4:]
    end = body.index(b"\0", 1)  # after protocol version, NUL-terminated server version
    pos = end + 1 + 4 + 8 + 1  # thread id, scramble part 1, filler
    return struct.unpack_from("<H", body, pos)[0]


@unittest.skipIf(DIRECT, "needs ShardGate")
class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        base = workdir("Tls")
        cls.pki = pki = tls_certs.make_pki(os.path.join(base, "pki"))
        cls.server = MariaDBServer("tls_backend", free_port(*OWN_SERVER_PORTS), workdir("own-servers"),
                                   extra_args=[f"--ssl-cert={pki['server']}", f"--ssl-key={pki['server_key']}",
                                               f"--ssl-ca={pki['ca']}", "--require-secure-transport=ON"])
        cls.server.start()
        cls.proxies = []
        try:
            cls.start_all(pki)
        except BaseException:
            for p in cls.proxies:
                p.kill()
            cls.server.stop()
            raise

    @classmethod
    def start_all(cls, pki):
        backend = f"{LOOPBACK}:{cls.server.port}"
        verified = {"mode": "verify_identity", "ca": pki["ca"]}
        listen_tls = {"cert": pki["server"], "key": pki["server_key"]}
        users = [{"name": "app", "password": "app", "default_schema": "shop"},
                 {"name": "strict", "password": "strict", "require_tls": True}]
        # Proxy "open": TLS offered, plain TCP allowed (except for user strict). Its clusters:
        # main (verified TLS), main_ro (the same server as writer and as reader "localhost":
        # health checks over TLS, the host name verified), wrong_ca (verify_ca against an unrelated CA), plain (TLS disabled).
        clusters = {
            "main": {"writer": backend, "user": "app", "password": "app", "tls": verified},
            "main_ro": {"writer": backend, "readers": [f"localhost:{cls.server.port}"], "user": "app",
                        "password": "app",
                        "tls": verified, "health": {"interval_ms": 200, "timeout_ms": 1000}},
            "wrong_ca": {"writer": backend, "user": "app", "password": "app",
                         "tls": {"mode": "verify_ca", "ca": pki["other_ca"]},
                         "circuit_breaker": {"enabled": False}},
            "plain": {"writer": backend, "user": "app", "password": "app", "tls": {"mode": "disabled"},
                      "circuit_breaker": {"enabled": False}},
        }
        cls.open = cls.start_proxy("TlsOpen", clusters, users, {"tls": listen_tls},
                                   routing={"max_execution_ms": 500})
        # Proxy "secure": require_secure_transport.
        cls.secure = cls.start_proxy("TlsSecure", {"main": clusters["main"]}, users,
                                     {"tls": listen_tls, "require_secure_transport": True})
        # Proxy "mtls": client certificates required.
        cls.mtls = cls.start_proxy("TlsMutual", {"main": clusters["main"]}, users,
                                   {"tls": dict(listen_tls, ca=pki["ca"])})
        # Proxy "notls": no listen.tls at all.
        cls.notls = cls.start_proxy("TlsNone", {"main": clusters["main"]}, users[:1], {})

    @classmethod
    def start_proxy(cls, name, clusters, users, listen, routing=None):
        cfg = make_config(free_port(*PROXY_PORTS), free_port(*ADMIN_PORTS), clusters, default_cluster="main",
                          users=users, routing=routing)
        cfg["listen"].update(listen)
        proxy = ShardGate(cfg, workdir(name), name=name).start()
        cls.proxies.append(proxy)
        return proxy

    @classmethod
    def tearDownClass(cls):
        try:
            for p in cls.proxies:
                sys.stderr.write(f"\n[{p.log_path}]\n{tail(p.log_path, 8)}\n")
            for p in cls.proxies:
                p.stop_and_check()
        finally:
            cls.server.stop()

    # ----- helpers ---------------------------------------------------------
    def pymysql_connect(self, proxy, user="app", password="app", tls=True, **kw):
        if tls is True:
            ctx = ssl.create_default_context(cafile=self.pki["ca"])  # verifies chain and host name
            kw["ssl"] = ctx
        elif tls:
            kw["ssl"] = tls
        c = pymysql.connect(host=LOOPBACK, port=proxy.port, user=user, password=password, autocommit=True,
                            connect_timeout=10, read_timeout=30, **kw)
        self.addCleanup(c.close)
        return c

    def one(self, conn, sql):
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    def cli(self, proxy, *args, sql="SELECT 1", user="app", password="app"):
        return subprocess.run(["mariadb", f"-h{LOOPBACK}", f"-P{proxy.port}", f"-u{user}", f"-p{password}",
                               "--batch", "--skip-column-names", *args, "-e", sql],
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)

    def metrics(self, proxy):
        with urllib.request.urlopen(f"http://{LOOPBACK}:{proxy.admin_port}/metrics", timeout=10) as r:
            return r.read().decode()

    # ----- tests -----------------------------------------------------------
    def test_greeting_offers_ssl_only_with_listen_tls(self):
        self.assertTrue(greeting_capabilities(self.open.port) & CLIENT_SSL)
        self.assertFalse(greeting_capabilities(self.notls.port) & CLIENT_SSL)
        # Without listen.tls the backend leg is still TLS (cluster tls), and a client asking
        # for TLS is told it is not offered.
        r = self.cli(self.notls, "--ssl", f"--ssl-ca={self.pki['ca']}", "--ssl-verify-server-cert")
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("SSL", r.stderr)
        c = self.pymysql_connect(self.notls, tls=False)
        self.assertTrue(self.one(c, "SHOW SESSION STATUS LIKE 'Ssl_version'")[0][1].startswith("TLSv1"))

    def test_mariadb_cli_verified_tls_both_legs(self):
        r = self.cli(self.secure, "--ssl", f"--ssl-ca={self.pki['ca']}", "--ssl-verify-server-cert",
                     sql="SHOW SESSION STATUS LIKE 'Ssl_version'; SELECT CURRENT_USER(); \\s")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertRegex(lines[0], r"^Ssl_version\tTLSv1\.[23]$")  # backend leg (answered by MariaDB)
        self.assertEqual(lines[1], "app@127.0.0.1")
        self.assertRegex(r.stdout, r"SSL:\s+Cipher in use is \S+")  # client leg, as the CLI sees it
        # The certificate check is real: against the unrelated CA the CLI refuses ShardGate.
        r = self.cli(self.secure, "--ssl", f"--ssl-ca={self.pki['other_ca']}", "--ssl-verify-server-cert")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("2026", r.stderr)  # CR_SSL_CONNECTION_ERROR

    def test_pymysql_verified_context(self):
        c = self.pymysql_connect(self.secure, db="shop")
        self.assertIn(c._sock.version(), ("TLSv1.2", "TLSv1.3"))
        self.assertTrue(self.one(c, "SHOW SESSION STATUS LIKE 'Ssl_version'")[0][1].startswith("TLSv1"))
        # Data round-trips, larger than one TLS record (16 KiB) both ways.
        blob = "x" * 100000
        self.assertEqual(self.one(c, f"SELECT LENGTH('{blob}'), REPEAT('y', 70000)")[0],
                         (100000, "y" * 70000))
        # Wrong password over TLS: 1045 as usual.
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            self.pymysql_connect(self.secure, password="nope")
        self.assertEqual(cm.exception.args[0], ER_ACCESS_DENIED)
        # The check is real: a context trusting only an unrelated CA refuses ShardGate.
        ctx = ssl.create_default_context(cafile=self.pki["other_ca"])
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            pymysql.connect(host=LOOPBACK, port=self.secure.port, user="app", password="app", ssl=ctx,
                            connect_timeout=10)
        self.assertIn("certificate verify failed", str(cm.exception))

    def test_node_mysql2_tls(self):
        script = r"""
const fs = require('fs');
const mysql = require(process.env.NODE_MODULES + '/mysql2/promise');
const connect = (ca) => mysql.createConnection({host: '127.0.0.1', port: +process.env.PORT,
  user: 'app', password: 'app', ssl: {ca: fs.readFileSync(ca), rejectUnauthorized: true}});
(async () => {
  const c = await connect(process.env.CA);
  const [rows] = await c.query("SHOW SESSION STATUS LIKE 'Ssl_version'");
  const [exec] = await c.execute('SELECT ? + 1 AS n', [41]);
  await c.end();
  let wrong = null;  // the client leg is TLS and verified: an unrelated CA is refused
  try { await (await connect(process.env.OTHER_CA)).end(); wrong = 'connected'; }
  catch (e) { wrong = e.code + ': ' + e.message; }
  console.log(JSON.stringify({backend: rows[0].Value, n: exec[0].n, wrong_ca: wrong}));
})().catch(e => { console.log(JSON.stringify({error: e.message, errno: e.errno})); process.exit(1); });
"""
        env = dict(os.environ, NODE_MODULES=NODE_MODULES, PORT=str(self.secure.port), CA=self.pki["ca"],
                   OTHER_CA=self.pki["other_ca"])
        r = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        got = json.loads(r.stdout.strip().splitlines()[-1])
        self.assertRegex(got["wrong_ca"], r"^HANDSHAKE_SSL_ERROR: .*(certificate|verify)", got)
        self.assertTrue(got["backend"].startswith("TLSv1"), got)
        self.assertEqual(got["n"], 42)

    def test_plain_tcp_refused_where_tls_is_required(self):
        # require_secure_transport: every plain login, with the right password.
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            self.pymysql_connect(self.secure, tls=False)
        self.assertEqual(cm.exception.args[0], ER_SECURE_TRANSPORT_REQUIRED)
        self.assertIn("insecure transport", str(cm.exception.args[1]))
        r = self.cli(self.secure, "--skip-ssl")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ERROR 3159 (HY000)", r.stderr)
        # users[].require_tls: plain refused for that user only, TLS accepted.
        self.assertEqual(self.one(self.pymysql_connect(self.open, tls=False), "SELECT 1"), ((1,),))
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            self.pymysql_connect(self.open, user="strict", password="strict", tls=False)
        self.assertEqual(cm.exception.args[0], ER_SECURE_TRANSPORT_REQUIRED)
        c = self.pymysql_connect(self.open, user="strict", password="strict")
        self.assertEqual(self.one(c, "SELECT CURRENT_USER()"), (("app@127.0.0.1",),))  # backend account

    def test_client_certificates(self):
        pki = self.pki
        c = self.pymysql_connect(self.mtls, tls={"ca": pki["ca"], "cert": pki["client"], "key": pki["client_key"]})
        self.assertEqual(self.one(c, "SELECT 1"), ((1,),))
        r = self.cli(self.mtls, "--ssl", f"--ssl-ca={pki['ca']}", f"--ssl-cert={pki['client']}",
                     f"--ssl-key={pki['client_key']}", "--ssl-verify-server-cert")
        self.assertEqual(r.returncode, 0, r.stderr)
        # No client certificate: the TLS handshake fails, nothing logs in.
        with self.assertRaises(pymysql.err.OperationalError):
            self.pymysql_connect(self.mtls, tls={"ca": pki["ca"]})
        r = self.cli(self.mtls, "--ssl", f"--ssl-ca={pki['ca']}")
        self.assertNotEqual(r.returncode, 0, r.stdout)

    def test_backend_tls_verification_and_modes(self):
        c = self.pymysql_connect(self.open, tls=False)
        # A backend certificate that does not chain to the cluster's CA: refused, says why.
        with self.assertRaises(pymysql.err.MySQLError) as cm:
            self.one(c, "/* shardgate: shard=wrong_ca */ SELECT 1")
        self.assertEqual(cm.exception.args[0], 2003, cm.exception)
        self.assertIn("TLS", str(cm.exception.args[1]))
        # TLS disabled towards a server with require_secure_transport: the server's own refusal
        # (MariaDB 10.11 answers a plain login there with 1045), passed on under 2003.
        with self.assertRaises(pymysql.err.MySQLError) as cm:
            self.one(c, "/* shardgate: shard=plain */ SELECT 1")
        self.assertEqual(cm.exception.args[0], 2003, cm.exception)
        self.assertIn("login as 'app' failed", str(cm.exception.args[1]))
        # The session goes on with a verified cluster.
        self.assertEqual(self.one(c, "/* shardgate: shard=main */ SELECT 2"), ((2,),))

    def test_health_checks_and_kill_connections_use_tls(self):
        # Health checks of main_ro's writer and reader succeed only if they are encrypted.
        def healthy():
            m = self.metrics(self.open)
            up = [line for line in m.splitlines() if line.startswith("shardgate_backend_up{")
                  and 'cluster="main_ro"' in line]
            return len(up) >= 2 and all(line.endswith(" 1") for line in up) and m
        m = wait_until(healthy, 15, what="main_ro endpoints up")
        fails = [line for line in m.splitlines() if line.startswith("shardgate_health_check_failures_total{")
                 and 'cluster="main_ro"' in line]
        self.assertTrue(all(line.endswith(" 0") for line in fails), fails)
        c = self.pymysql_connect(self.open, tls=False)
        self.assertEqual(self.one(c, "/* shardgate: shard=main_ro */ SELECT @@port"), ((self.server.port,),))
        # max_execution_ms kills a statement on its server with KILL over its own connection.
        t0 = time.monotonic()
        with self.assertRaises(pymysql.err.MySQLError) as cm:
            self.one(c, "SELECT SLEEP(5)")
        self.assertLess(time.monotonic() - t0, 3.0)
        self.assertEqual(cm.exception.args[0], 1317, cm.exception)  # ER_QUERY_INTERRUPTED
        # (A statement is counted once its reply has gone out, after the KILL's own answer: poll.)
        wait_until(lambda: re.search(r"(?m)^shardgate_statements_killed_total [1-9]",
                                     self.metrics(self.open)), 10, what="the kill to be counted")

    def test_zz_renewed_certificate_applied_on_sighup(self):
        before = tls_certs.served_fingerprint(self.open.port, self.pki["ca"])
        self.assertEqual(before, tls_certs.fingerprint(self.pki["server"]))
        new = tls_certs.renew_server(self.pki)
        self.assertNotEqual(new, before)
        self.open.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: tls_certs.served_fingerprint(self.open.port, self.pki["ca"]) == new, 15,
                   interval=0.3, what="the renewed certificate to be served")
        # New logins over TLS work with the renewed certificate; the YAML did not change.
        c = self.pymysql_connect(self.open)
        self.assertEqual(self.one(c, "SELECT 1"), ((1,),))


if __name__ == "__main__":
    main()
