#!/usr/bin/python3
"""Client authentication (issue 17) with real clients: caching_sha2_password over TLS and over
plain TCP (RSA), first login (full authentication) and cached second login (fast path), for
PyMySQL, the mariadb CLI and Node mysql2 (also a prepared-statement client); the stored forms
password_sha256, password_file and password_env; COM_CHANGE_USER with mysql2 changeUser;
throttling of wrong passwords that never locks out the right one; and the backend side of both
plugins against a second ShardGate that asks for caching_sha2_password (no MySQL 8 server is
packaged for Debian 12; MariaDB 10.11 has no caching_sha2_password server plugin).

Which path a login took is read from the proxy's debug log ("caching_sha2_password fast
authentication of 'u'" / "full authentication of 'u' (over TLS|RSA)")."""
import concurrent.futures
import json
import os
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness.netutil import LOOPBACK, REPO_ROOT, free_port, tail, wait_until  # noqa: E402
from harness.shardgate_process import ShardGate, make_config  # noqa: E402
from harness.testbase import ADMIN_PORTS, DIRECT, PROXY_PORTS, fixture_servers, main, workdir  # noqa: E402
from harness import tls_certs  # noqa: E402

ER_ACCESS_DENIED = 1045
NODE_MODULES = os.path.join(REPO_ROOT, "tests", "clients", "node_modules")
SHA2 = "caching_sha2_password"


def sha256_crypt(password):
    out = subprocess.run(["openssl", "passwd", "-5", password], capture_output=True, text=True,
                         timeout=30, check=True)
    return out.stdout.strip()


def node(script, **env):
    r = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, NODE_MODULES=NODE_MODULES, **{k: str(v) for k, v in env.items()}))
    lines = r.stdout.strip().splitlines()
    if r.returncode != 0 or not lines:
        raise AssertionError(f"node failed ({r.returncode}): {r.stdout}\n{r.stderr}")
    return json.loads(lines[-1])


@unittest.skipIf(DIRECT, "needs ShardGate")
class AuthTest(unittest.TestCase):
    proxies = []

    @classmethod
    def setUpClass(cls):
        cls.backend = fixture_servers()[0]
        base = workdir("Auth")
        cls.pki = pki = tls_certs.make_pki(os.path.join(base, "pki"))
        rsa_key, rsa_pub = os.path.join(base, "rsa.pem"), os.path.join(base, "rsa-pub.pem")
        subprocess.run(["openssl", "genrsa", "-out", rsa_key, "2048"], check=True, capture_output=True, timeout=60)
        subprocess.run(["openssl", "rsa", "-in", rsa_key, "-pubout", "-out", rsa_pub], check=True,
                       capture_output=True, timeout=60)
        cls.rsa_pub = rsa_pub
        cls.sha_hash = sha256_crypt("pw-hash")
        pw_file = os.path.join(base, "secret-file")
        with open(pw_file, "w") as f:
            f.write("pw-file\n")  # one trailing newline is not part of the password
        os.chmod(pw_file, 0o600)
        users = [
            {"name": "app", "password": "app", "default_schema": "shop"},
            {"name": "limited", "password": "pw-lim", "default_schema": "sbtest", "max_connections": 1},
            {"name": "victim", "password": "pw-victim"},
            {"name": "bystander", "password": "pw-by"},
            {"name": "sha_hash", "auth": SHA2, "password_sha256": cls.sha_hash},
            {"name": "sha_file", "auth": SHA2, "password_file": pw_file},
            {"name": "sha_env", "auth": SHA2, "password_env": "SG_AUTH_TEST_PW"},
        ] + [{"name": f"sha_{n}", "auth": SHA2, "password": f"pw-{n}", "default_schema": "shop"}
             for n in ("tls", "rsa", "cli", "clirsa", "node", "cu")]
        listen = {"tls": {"cert": pki["server"], "key": pki["server_key"]},
                  "rsa_private_key": rsa_key, "rsa_public_key": rsa_pub}
        backend = f"{LOOPBACK}:{cls.backend.port}"
        cls.front = cls.start_proxy("AuthFront", {"main": backend}, users, listen,
                                    env={"SG_AUTH_TEST_PW": "pw-env"})

    @classmethod
    def start_proxy(cls, name, clusters, users, listen, env=None):
        cfg = make_config(free_port(*PROXY_PORTS), free_port(*ADMIN_PORTS), clusters, default_cluster="main",
                          users=users, level="debug")
        cfg["listen"].update(listen)
        proxy = ShardGate(cfg, workdir(name), name=name).start(env=env)
        cls.proxies.append(proxy)
        return proxy

    @classmethod
    def tearDownClass(cls):
        for p in cls.proxies:
            sys.stderr.write(f"\n[{p.log_path}]\n{tail(p.log_path, 6)}\n")
        errors = []
        for p in cls.proxies:
            try:
                p.stop_and_check()
            except AssertionError as e:
                errors.append(e)
        if errors:
            raise errors[0]

    # ----- helpers ---------------------------------------------------------
    def connect(self, user, password, tls=False, proxy=None, **kw):
        if tls:
            kw["ssl"] = ssl.create_default_context(cafile=self.pki["ca"])
        c = pymysql.connect(host=LOOPBACK, port=(proxy or self.front).port, user=user, password=password,
                            autocommit=True, connect_timeout=15, read_timeout=30, **kw)
        self.addCleanup(lambda: c.open and c.close())
        return c

    def one(self, conn, sql):
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    def refused(self, user, password, tls=False):
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            self.connect(user, password, tls)
        return cm.exception.args[0]

    def path_of(self, user, proxy=None):
        """The caching_sha2 paths the proxy logged for user, in order ('fast', 'TLS', 'RSA')."""
        out = []
        for line in (proxy or self.front).log_text().splitlines():
            if f"fast authentication of '{user}'" in line:
                out.append("fast")
            elif f"full authentication of '{user}' (over TLS)" in line:
                out.append("TLS")
            elif f"full authentication of '{user}' (RSA)" in line:
                out.append("RSA")
        return out

    def cli(self, user, password, *args, sql="SELECT CONCAT(DATABASE(), '/', 1 + 1)"):
        return subprocess.run(["mariadb", f"-h{LOOPBACK}", f"-P{self.front.port}", f"-u{user}", f"-p{password}",
                               "--batch", "--skip-column-names", *args, "-e", sql],
                              capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)

    # ----- caching_sha2_password, client side ------------------------------
    def test_pymysql_over_tls_full_then_fast(self):
        self.assertEqual(self.one(self.connect("sha_tls", "pw-tls", tls=True), "SELECT DATABASE()"), (("shop",),))
        self.assertEqual(self.one(self.connect("sha_tls", "pw-tls", tls=True), "SELECT 1"), ((1,),))
        self.assertEqual(self.path_of("sha_tls"), ["TLS", "fast"])
        self.assertEqual(self.refused("sha_tls", "wrong", tls=True), ER_ACCESS_DENIED)
        self.assertEqual(self.refused("sha_tls", "", tls=True), ER_ACCESS_DENIED)

    def test_pymysql_plain_rsa_then_fast(self):
        self.assertEqual(self.one(self.connect("sha_rsa", "pw-rsa"), "SELECT 1"), ((1,),))
        self.assertEqual(self.one(self.connect("sha_rsa", "pw-rsa"), "SELECT 2"), ((2,),))
        self.assertEqual(self.path_of("sha_rsa"), ["RSA", "fast"])
        self.assertEqual(self.refused("sha_rsa", "wrong"), ER_ACCESS_DENIED)
        # A client that already has the public key encrypts at once (no key request).
        with open(self.rsa_pub, "rb") as f:
            pub = f.read()
        c = self.connect("sha_hash", "pw-hash", server_public_key=pub)
        self.assertEqual(self.one(c, "SELECT 3"), ((3,),))
        self.assertEqual(self.path_of("sha_hash")[:1], ["RSA"])

    def test_stored_forms_of_the_secret(self):
        for user, pw in (("sha_hash", "pw-hash"), ("sha_file", "pw-file"), ("sha_env", "pw-env")):
            with self.subTest(user=user):
                self.assertEqual(self.one(self.connect(user, pw, tls=True), "SELECT 1"), ((1,),))
                self.assertEqual(self.one(self.connect(user, pw), "SELECT 1"), ((1,),))  # cached: fast
                self.assertEqual(self.refused(user, pw + "x", tls=True), ER_ACCESS_DENIED)
                self.assertEqual(self.refused(user, pw + "\n"), ER_ACCESS_DENIED)
        # No secret value in the log or in GET /config.
        import urllib.request
        with urllib.request.urlopen(f"http://{LOOPBACK}:{self.front.admin_port}/config", timeout=10) as r:
            config_text = r.read().decode()
        for secret in ("pw-hash", "pw-file", "pw-env", "pw-tls", self.sha_hash):
            self.assertNotIn(secret, config_text)
        log = self.front.log_text()
        for secret in ("pw-hash", "pw-file", "pw-env", "pw-tls", "pw-rsa"):
            self.assertNotIn(secret, log)
        self.assertIn("password_file", config_text)

    def test_mariadb_cli(self):
        # Over TLS: first login full (clear password inside TLS), second fast.
        for _ in range(2):
            r = self.cli("sha_cli", "pw-cli", "--ssl", f"--ssl-ca={self.pki['ca']}", "--ssl-verify-server-cert",
                         "--default-auth=caching_sha2_password")
            self.assertEqual((r.returncode, r.stdout.strip()), (0, "shop/2"), r.stderr)
        self.assertEqual(self.path_of("sha_cli"), ["TLS", "fast"])
        # Over plain TCP: the CLI asks for the public key (RSA), then the cache answers.
        for _ in range(2):
            r = self.cli("sha_clirsa", "pw-clirsa", "--skip-ssl")
            self.assertEqual((r.returncode, r.stdout.strip()), (0, "shop/2"), r.stderr)
        self.assertEqual(self.path_of("sha_clirsa"), ["RSA", "fast"])
        r = self.cli("sha_cli", "nope", "--skip-ssl")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ERROR 1045 (28000)", r.stderr)

    def test_node_mysql2_with_prepared_statements(self):
        script = r"""
const fs = require('fs');
const mysql = require(process.env.NODE_MODULES + '/mysql2/promise');
const opts = (tls, password) => Object.assign({host: '127.0.0.1', port: +process.env.PORT,
  user: 'sha_node', password: password || 'pw-node'}, tls ? {ssl: {ca: fs.readFileSync(process.env.CA)}} : {});
(async () => {
  const out = [];
  for (const tls of [false, true]) {  // plain first (RSA), then TLS (cached: fast)
    const c = await mysql.createConnection(opts(tls));
    const [rows] = await c.execute('SELECT ? * 2 AS n, DATABASE() AS db', [21]);
    out.push([rows[0].n, rows[0].db]);
    await c.end();
  }
  let wrong = null;
  try { await (await mysql.createConnection(opts(false, 'bad'))).end(); } catch (e) { wrong = e.errno; }
  console.log(JSON.stringify({out, wrong}));
})().catch(e => { console.log(JSON.stringify({error: e.message})); process.exit(1); });
"""
        got = node(script, PORT=self.front.port, CA=self.pki["ca"])
        self.assertEqual(got, {"out": [[42, "shop"], [42, "shop"]], "wrong": ER_ACCESS_DENIED})
        self.assertEqual(self.path_of("sha_node"), ["RSA", "fast"])

    # ----- COM_CHANGE_USER ---------------------------------------------------
    def test_change_user_with_mysql2(self):
        script = r"""
const mysql = require(process.env.NODE_MODULES + '/mysql2/promise');
const port = +process.env.PORT;
const open = (user, password) => mysql.createConnection({host: '127.0.0.1', port, user, password});
const q = async (c, sql) => (await c.query(sql))[0][0];
const errno = async (f) => { try { await f(); return 0; } catch (e) { return e.errno || e.code; } };
(async () => {
  const r = {};
  const c = await open('app', 'app');
  await c.query('SET @x = 5');
  await c.query('PREPARE s FROM "SELECT 1"');
  r.before = await q(c, 'SELECT @x AS x, DATABASE() AS db');
  await c.changeUser({user: 'limited', password: 'pw-lim'});
  r.limited = await q(c, 'SELECT @x AS x, DATABASE() AS db');
  r.stmt_gone = await errno(() => c.query('EXECUTE s'));
  // The new user's limit (max_connections 1) holds: this session is its one connection.
  r.second_limited = await errno(() => open('limited', 'pw-lim'));
  await c.changeUser({user: 'sha_cu', password: 'pw-cu'});  // caching_sha2 (full, RSA)
  r.sha = await q(c, 'SELECT @x AS x, DATABASE() AS db');
  // limited's slot was given back.
  const l = await open('limited', 'pw-lim'); await l.end(); r.limited_again = 'ok';
  await c.changeUser({user: 'sha_cu', password: 'pw-cu'});  // again: fast path
  await c.changeUser({user: 'app', password: 'app', database: 'sbtest'});
  r.app_db = await q(c, 'SELECT DATABASE() AS db');
  r.wrong = await errno(() => c.changeUser({user: 'app', password: 'bad'}));
  r.after_wrong = await errno(() => c.query('SELECT 1'));
  console.log(JSON.stringify(r));
  process.exit(0);
})().catch(e => { console.log(JSON.stringify({error: e.message})); process.exit(1); });
"""
        got = node(script, PORT=self.front.port)
        self.assertEqual(got["before"], {"x": 5, "db": "shop"})
        self.assertEqual(got["limited"], {"x": None, "db": "sbtest"})  # variables gone, new default schema
        self.assertEqual(got["stmt_gone"], 1243)  # ER_UNKNOWN_STMT_HANDLER: prepared statements gone
        self.assertEqual(got["second_limited"], 1226)
        self.assertEqual(got["sha"], {"x": None, "db": "shop"})
        self.assertEqual(got["limited_again"], "ok")
        self.assertEqual(got["app_db"], {"db": "sbtest"})  # the database the client named
        self.assertEqual(got["wrong"], ER_ACCESS_DENIED)
        self.assertNotEqual(got["after_wrong"], 0)  # the connection was closed
        self.assertEqual(self.path_of("sha_cu"), ["RSA", "fast"])

    # ----- throttling ----------------------------------------------------------
    def test_wrong_passwords_never_lock_out_the_right_one(self):
        def attempt(password, user="victim"):
            t0 = time.monotonic()
            try:
                pymysql.connect(host=LOOPBACK, port=self.front.port, user=user, password=password,
                                connect_timeout=30, read_timeout=30).close()
                return 0, time.monotonic() - t0
            except pymysql.MySQLError as e:
                return e.args[0], time.monotonic() - t0
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(100) as pool:
            codes = [code for code, _ in pool.map(attempt, ["wrong"] * 200)]
        self.assertEqual(set(codes), {ER_ACCESS_DENIED}, "never 1129, never a lost reply")
        self.assertLess(time.monotonic() - t0, 60)
        code, took = attempt("pw-by", user="bystander")  # another user from the same address: at once
        self.assertEqual(code, 0)
        self.assertLess(took, 1.0)
        code, took = attempt("pw-victim")  # the right password, after the pair's bounded delay
        self.assertEqual(code, 0)
        self.assertLess(took, 5.0)
        code, took = attempt("pw-victim")  # and the count is cleared
        self.assertEqual(code, 0)
        self.assertLess(took, 1.0)

    # ----- backend side: ShardGate -> ShardGate asking for caching_sha2 ----------
    def test_backend_side_against_a_second_shardgate(self):
        backend = f"{LOOPBACK}:{self.backend.port}"
        # (The back interprets the hints the front passes on, so it has the same cluster names.)
        back = self.start_proxy("AuthBack", {n: backend for n in ("main", "rsa", "native", "bad")}, [
            {"name": "leg_tls", "auth": SHA2, "password": "pw-leg-tls"},
            {"name": "leg_rsa", "auth": SHA2, "password": "pw-leg-rsa"},
            {"name": "leg_native", "password": "pw-leg-native"},
        ], {"tls": {"cert": self.pki["server"], "key": self.pki["server_key"]}})
        addr = f"{LOOPBACK}:{back.port}"
        clusters = {
            "main": {"writer": addr, "user": "leg_tls", "password": "pw-leg-tls",
                     "tls": {"mode": "verify_identity", "ca": self.pki["ca"]}},
            "rsa": {"writer": addr, "user": "leg_rsa", "password": "pw-leg-rsa", "tls": {"mode": "disabled"}},
            "native": {"writer": addr, "user": "leg_native", "password": "pw-leg-native"},
            "bad": {"writer": addr, "user": "leg_tls", "password": "nope", "tls": {"mode": "required"},
                    "circuit_breaker": {"enabled": False}},
        }
        users = [{"name": "app", "password": "app"}]
        for round_ in range(2):  # the second start of the front finds the back's cache filled
            front = self.start_proxy("AuthChain", clusters, users, {})
            c = self.connect("app", "app", proxy=front)
            for cl in ("main", "rsa", "native"):
                self.assertEqual(self.one(c, f"/* shardgate: shard={cl} */ SELECT @@port"),
                                 ((self.backend.port,),), cl)
            with self.assertRaises(pymysql.err.MySQLError) as cm:
                self.one(c, "/* shardgate: shard=bad */ SELECT 1")
            self.assertEqual(cm.exception.args[0], 2003)
            self.assertIn("1045", str(cm.exception.args[1]))
            c.close()
            front.stop_and_check()
            self.proxies.remove(front)
        # One full authentication each (the pool may log in more than once: later ones are fast).
        for user, full in (("leg_tls", "TLS"), ("leg_rsa", "RSA")):
            paths = self.path_of(user, back)
            self.assertEqual(paths[0], full, paths)
            self.assertEqual(set(paths[1:]), {"fast"}, paths)
        self.assertNotIn("pw-leg", front.log_text() + back.log_text())


if __name__ == "__main__":
    main()
