#!/usr/bin/python3
"""Operations (issue 7) on a live proxy in front of 4 real MariaDB shards: the Prometheus
counters match a mixed workload statement for statement; /readyz, /config (secrets
redacted), /stats/queries and the slow log; token-bucket rate limits hold a client to its
configured rate while another user runs unhindered; a rate limit without a wait answers
1226; per-user connection limits; failed-login throttling per client address."""
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness.netutil import LOOPBACK, wait_until  # noqa: E402
from harness.testbase import DIRECT, fixture_servers, main, start_proxy  # noqa: E402
import unittest  # noqa: E402

DB = "opstest"
LIMITED_QPS = 40.0


def order_no(seq, day="20261120"):
    return f"ORD{day}{seq:08d}"


def http(port, path, method="GET"):
    req = urllib.request.Request(f"http://{LOOPBACK}:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(port):
    """{(name, frozenset(labels.items())): value} of the Prometheus text at /metrics."""
    status, text = http(port, "/metrics")
    assert status == 200, text
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def value(metrics, name, **labels):
    return metrics.get((name, frozenset(labels.items())), 0.0)


def total(metrics, name, **labels):
    """Sum over the samples of `name` whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in metrics.items() if n == name and want <= set(ls))


@unittest.skipIf(DIRECT, "needs ShardGate")
class OperationsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.shards = fixture_servers()[:4]
        cls.names = [s.name for s in cls.shards]
        for s in cls.shards:
            s.sql(f"DROP DATABASE IF EXISTS {DB}")
            s.sql(f"CREATE DATABASE {DB}")
            s.sql(f"CREATE TABLE {DB}.orders (order_no VARCHAR(20) PRIMARY KEY, total INT)")
            s.sql(f"CREATE TABLE {DB}.shops (id INT PRIMARY KEY, name VARCHAR(20))")
            s.sql(f"CREATE TABLE {DB}.coupons (code VARCHAR(20) PRIMARY KEY)")
        schemas = {DB: {"default_cluster": cls.names[0], "tables": {
            "orders": {"shard_key": "order_no",
                       "key": {"kind": "order_number", "pattern": r"^ORD(?<date>\d{8})(?<seq>\d{8})$"},
                       "strategy": {"kind": "hash", "function": "modulo", "shards": cls.names}},
            "shops": {"broadcast": True},
            "coupons": {"shard_key": "code", "key": "string",
                        "strategy": {"kind": "directory", "lookup": "coupon_dir"}}}}}
        users = [
            {"name": "app", "password": "app", "default_schema": DB},
            # Statements wait (up to 2 s) for a token: held to LIMITED_QPS.
            {"name": "limited", "password": "lim", "default_schema": DB,
             "rate_limit": {"queries_per_second": LIMITED_QPS, "burst": 4, "max_wait_ms": 2000}},
            # No waiting: over the rate is error 1226.
            {"name": "strict", "password": "str", "default_schema": DB,
             "rate_limit": {"queries_per_second": 5, "burst": 2}},
            {"name": "few", "password": "few", "default_schema": DB, "max_connections": 2},
        ]
        clusters = {s.name: {"writer": f"{LOOPBACK}:{s.port}", "user": "app", "password": "app"}
                    for s in cls.shards}
        cls.proxy = start_proxy("Operations", clusters, default_cluster=cls.names[0],
                                schemas=schemas, users=users, workers=2,
                                failed_logins={"threshold": 3, "min_delay_ms": 500, "max_delay_ms": 1000,
                                               "window_s": 60},
                                top={"logging": {"slow_query_ms": 150},
                                     "lookups": {"coupon_dir": {"entries": {
                                         "WELCOME10": cls.names[1], "SPRING": cls.names[2]}}}})
        cls.admin = cls.proxy.admin_port

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop_and_check()

    def connect(self, user="app", password="app", **kw):
        c = pymysql.connect(host=LOOPBACK, port=self.proxy.port, user=user, password=password,
                            database=DB, autocommit=True, read_timeout=30, **kw)
        self.addCleanup(lambda: c.open and c.close())
        return c

    def shard_of(self, key):
        return self.names[int(key[11:]) % 4]

    def test_1_metrics_count_what_was_sent(self):
        conns = [self.connect() for _ in range(3)]
        cur = conns[0].cursor()
        cur.execute("DELETE FROM shops")  # (broadcast: every copy)
        keys = [order_no(i) for i in range(1, 41)]
        for k in keys:
            cur.execute("INSERT INTO orders (order_no, total) VALUES (%s, 1)", (k,))
        # Two keys on different shards: a 'multi' route (2 of the table's 4 shards).
        pair = [keys[0], keys[1]]
        assert self.shard_of(pair[0]) != self.shard_of(pair[1])
        before = scrape(self.admin)
        # The workload (all on connections opened before the first scrape).
        for i in range(30):
            conns[i % 3].cursor().execute("SELECT * FROM orders WHERE order_no = %s", (keys[i],))
        for i in range(10):
            conns[1].cursor().execute("SELECT COUNT(*) FROM orders")
        for i in range(5):
            conns[2].cursor().execute("SELECT * FROM orders WHERE order_no IN (%s, %s)", pair)
        for i in range(4):
            cur.execute("INSERT INTO orders (order_no, total) VALUES (%s, 2)", (order_no(100 + i),))
        for i in range(3):
            cur.execute("INSERT INTO shops VALUES (%s, 'x')", (i,))
        for i in range(2):
            with self.assertRaises(pymysql.MySQLError) as e:
                cur.execute("SELECT * FROM no_such_table")
            self.assertEqual(e.exception.args[0], 1146)
            with self.assertRaises(pymysql.MySQLError) as e:
                cur.execute("DELETE FROM orders")  # no shard key: refused by ShardGate
            self.assertEqual(e.exception.args[0], 1235)
        after = scrape(self.admin)

        def delta(name, **labels):
            return total(after, name, **labels) - total(before, name, **labels)
        self.assertEqual(delta("shardgate_statements_total", type="select", route="single"), 32)
        self.assertEqual(delta("shardgate_statements_total", type="select", route="scatter"), 10)
        self.assertEqual(delta("shardgate_statements_total", type="select", route="multi"), 5)
        self.assertEqual(delta("shardgate_statements_total", type="insert", route="single"), 4)
        self.assertEqual(delta("shardgate_statements_total", type="insert", route="broadcast"), 3)
        self.assertEqual(delta("shardgate_statements_total", type="delete", route="local"), 2)
        self.assertEqual(delta("shardgate_statements_total"), 56)
        self.assertEqual(delta("shardgate_errors_total", code="1146"), 2)
        self.assertEqual(delta("shardgate_errors_total", code="1235"), 2)
        self.assertEqual(delta("shardgate_errors_total"), 4)
        # Latency: single-shard statements by their cluster, the rest as "(several)".
        self.assertEqual(delta("shardgate_statement_duration_seconds_count", route="single"), 36)
        for shard in self.names:
            expected = sum(1 for i in range(30) if self.shard_of(keys[i]) == shard)
            expected += sum(1 for i in range(4) if self.shard_of(order_no(100 + i)) == shard)
            expected += 2 if shard == self.names[0] else 0  # no_such_table: the default cluster
            self.assertEqual(delta("shardgate_statement_duration_seconds_count", cluster=shard,
                                   route="single"), expected, shard)
        self.assertEqual(delta("shardgate_statement_duration_seconds_count", route="scatter"), 10)
        # Fan-out: 10 scatters x 4 shards, 5 multi x 2, 3 broadcast writes x 4.
        self.assertEqual(delta("shardgate_fan_out_shards_count"), 18)
        self.assertEqual(delta("shardgate_fan_out_shards_sum"), 10 * 4 + 5 * 2 + 3 * 4)
        self.assertEqual(delta("shardgate_cluster_statements_total"), 36 + 10 * 4 + 5 * 2 + 3 * 4)
        self.assertGreater(delta("shardgate_client_bytes_received_total"), 56 * 20)
        self.assertGreater(delta("shardgate_client_bytes_sent_total"), 56 * 7)
        self.assertEqual(value(after, "shardgate_client_connections"), 3)
        # Pools and configuration are there, one sample per endpoint.
        for shard in self.names:
            self.assertEqual(value(after, "shardgate_backend_writer", cluster=shard,
                                   endpoint=f"{LOOPBACK}:{self.shards[self.names.index(shard)].port}"),
                             1)
        self.assertEqual(total(after, "shardgate_config_reloads_total"), 0)

    def test_1b_directory_lookups_are_counted(self):
        cur = self.connect().cursor()
        before = scrape(self.admin)
        for code in ("WELCOME10", "SPRING", "WELCOME10"):
            cur.execute("SELECT * FROM coupons WHERE code = %s", (code,))
        with self.assertRaises(pymysql.MySQLError) as e:
            cur.execute("INSERT INTO coupons (code) VALUES ('UNKNOWN')")  # not in the directory
        self.assertIn("is not in directory 'coupon_dir'", e.exception.args[1])
        after = scrape(self.admin)

        def delta(result):
            return (value(after, "shardgate_lookup_requests_total", lookup="coupon_dir", result=result)
                    - value(before, "shardgate_lookup_requests_total", lookup="coupon_dir", result=result))
        self.assertEqual((delta("hit"), delta("miss")), (3, 1))
        self.assertEqual(len([k for k in after if k[0] == "shardgate_config_info"]), 1)

    def test_2_readyz_config_and_query_stats(self):
        status, body = http(self.admin, "/readyz")
        self.assertEqual(status, 200, body)
        self.assertEqual(http(self.admin, "/healthz")[0], 200)
        self.assertEqual(http(self.admin, "/reload", "GET")[0], 405)
        status, body = http(self.admin, "/config")
        self.assertEqual(status, 200)
        self.assertIn("limited", body)
        self.assertIn("<redacted>", body)
        for secret in ("lim", "str", "few"):
            self.assertNotRegex(body, rf"password: {secret}\b")
        self.assertNotRegex(body, r"password: app\b")
        cur = self.connect().cursor()
        for i in range(7):
            cur.execute(f"SELECT total FROM orders WHERE order_no = 'ORD20261120{9000 + i:08d}'")
        status, body = http(self.admin, "/stats/queries?n=50&sort=calls")
        self.assertEqual(status, 200, body)
        stats = json.loads(body)
        mine = [s for s in stats if s["fingerprint"] == "SELECT total FROM orders WHERE order_no = ?"]
        self.assertEqual(len(mine), 1, stats)
        self.assertGreaterEqual(mine[0]["calls"], 7)
        self.assertTrue(mine[0]["last_route"].startswith("single "), mine[0])
        self.assertEqual(http(self.admin, "/stats/queries?sort=bogus")[0], 400)

    def test_2b_slow_log(self):
        """logging.slow_query_ms: 150 - a 0.2 s statement is logged with its fingerprint and
        route; a fast one is not."""
        cur = self.connect().cursor()
        cur.execute("SELECT SLEEP(0.2), 'secret-literal'")
        cur.execute("SELECT 'fast-one'")
        wait_until(lambda: "SELECT SLEEP(?+), ?" in self.proxy.log_text(), 5, what="the slow log line")
        line = next(l for l in self.proxy.log_text().splitlines() if "SELECT SLEEP(?+), ?" in l)
        self.assertRegex(line, r"slow statement: \d+\.\d+ ms, client \d+ app@127\.0\.0\.1, "
                               rf"schema '{DB}', route single {self.names[0]}; fingerprint "
                               r"[0-9a-f]{16}: SELECT SLEEP\(\?\+\), \?; statement: ")
        self.assertNotIn("fast-one", self.proxy.log_text())
        self.assertGreaterEqual(value(scrape(self.admin), "shardgate_slow_statements_total"), 1)

    def test_3_rate_limit_holds_a_client_to_its_rate(self):
        """Two clients of the limited user share its bucket; the app user beside them is not
        held back. Measured over 3 s after the burst."""
        stop = time.monotonic() + 3.5
        counts = {"limited": 0, "app": 0}
        errors = []

        def run(user, password, key):
            try:
                c = pymysql.connect(host=LOOPBACK, port=self.proxy.port, user=user,
                                    password=password, database=DB, autocommit=True)
                with c, c.cursor() as cur:
                    while time.monotonic() < stop:
                        cur.execute("SELECT 1")
                        counts[key] += 1
            except Exception as e:  # noqa: BLE001
                errors.append(f"{user}: {e!r}")
        threads = [threading.Thread(target=run, args=("limited", "lim", "limited")) for _ in range(2)]
        threads.append(threading.Thread(target=run, args=("app", "app", "app")))
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        elapsed = time.monotonic() - start
        self.assertEqual(errors, [])
        rate = (counts["limited"] - 4) / elapsed  # (the burst of 4 went at once)
        self.assertLess(abs(rate - LIMITED_QPS) / LIMITED_QPS, 0.10,
                        f"limited user ran {rate:.1f}/s, configured {LIMITED_QPS}/s")
        self.assertGreater(counts["app"] / elapsed, 10 * LIMITED_QPS,
                           f"app user ran only {counts['app'] / elapsed:.0f}/s beside the limited one")
        m = scrape(self.admin)
        self.assertGreater(value(m, "shardgate_rate_limited_delayed_total", user="limited",
                                 limit="rate_limit"), 0)

    def test_4_rate_limit_without_wait_is_error_1226(self):
        cur = self.connect("strict", "str").cursor()
        codes = []
        for _ in range(10):
            try:
                cur.execute("SELECT 1")
                codes.append(0)
            except pymysql.MySQLError as e:
                codes.append(e.args[0])
                self.assertIn("has exceeded the 'rate_limit' resource", e.args[1])
        self.assertEqual(codes[:2], [0, 0])  # the burst
        self.assertIn(1226, codes)
        time.sleep(0.5)  # (a token again: the connection is still usable)
        cur.execute("SELECT 2")
        self.assertEqual(cur.fetchone()[0], 2)

    def test_5_connection_limit_per_user(self):
        a = self.connect("few", "few")
        b = self.connect("few", "few")
        with self.assertRaises(pymysql.MySQLError) as e:
            self.connect("few", "few")
        self.assertEqual(e.exception.args[0], 1226)
        self.assertIn("max_user_connections", e.exception.args[1])
        b.close()
        wait_until(lambda: self._can_connect("few", "few"), 5, what="a freed connection slot")
        a.cursor().execute("SELECT 1")

    def _can_connect(self, user, password):
        try:
            pymysql.connect(host=LOOPBACK, port=self.proxy.port, user=user, password=password).close()
            return True
        except pymysql.MySQLError:
            return False

    def test_6_failed_logins_delay_the_pair(self):
        """After 3 failed logins of (app, this address) each next attempt of the pair is
        answered only after a delay (500 ms, doubling up to 1 s); another user from the same
        address is not slowed; the right password logs in after its delay and resets."""
        def attempt(user, password):
            started = time.monotonic()
            try:
                pymysql.connect(host=LOOPBACK, port=self.proxy.port, user=user,
                                password=password).close()
                code = 0
            except pymysql.MySQLError as e:
                code = e.args[0]
            return code, time.monotonic() - started

        for _ in range(3):
            code, took = attempt("app", "wrong")
            self.assertEqual(code, 1045)
            self.assertLess(took, 0.4)
        code, took = attempt("app", "wrong")  # the 4th: delayed 500 ms
        self.assertEqual(code, 1045)
        self.assertGreaterEqual(took, 0.45)
        code, took = attempt("strict", "str")  # another user from the same address
        self.assertEqual(code, 0)
        self.assertLess(took, 0.4)
        code, took = attempt("app", "app")  # the right password: after 1 s, logged in
        self.assertEqual(code, 0)
        self.assertGreaterEqual(took, 0.95)
        code, took = attempt("app", "app")  # the failures are forgotten
        self.assertEqual(code, 0)
        self.assertLess(took, 0.4)
        m = scrape(self.admin)
        self.assertGreaterEqual(value(m, "shardgate_client_logins_failed_total"), 4)
        self.assertGreaterEqual(value(m, "shardgate_login_delays_total"), 2)
        self.assertEqual(value(m, "shardgate_client_addresses_blocked"), 0)

    def test_7_everything_off(self):
        """admin.metrics false, no slow log, no query statistics: statements take the short
        path (text and prepared alike) and /metrics says it is off."""
        clusters = {s.name: {"writer": f"{LOOPBACK}:{s.port}", "user": "app", "password": "app"}
                    for s in self.shards}
        proxy = start_proxy("OperationsOff", clusters, default_cluster=self.names[0],
                            users=[{"name": "app", "password": "app", "default_schema": DB}],
                            top={"admin": {"metrics": False},
                                 "logging": {"slow_query_ms": 0, "query_stats_size": 0}})
        try:
            c = pymysql.connect(host=LOOPBACK, port=proxy.port, user="app", password="app",
                                database=DB, autocommit=True)
            with c, c.cursor() as cur:
                cur.execute("SELECT 40 + 2")
                self.assertEqual(cur.fetchone(), (42,))
            # COM_STMT_EXECUTE through the same path (Node's mysql2 execute(): the binary
            # protocol with server-side prepared statements).
            import subprocess
            clients = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients")
            sys.path.insert(0, clients)
            from run_node_tests import ensure_modules  # (npm ci on a fresh checkout)
            ensure_modules()
            script = ("const m = require('mysql2/promise'); (async () => { const c = await "
                      f"m.createConnection({{host: '{LOOPBACK}', port: {proxy.port}, user: 'app', "
                      "password: 'app'}); for (let i = 0; i < 3; i++) { const [r] = await "
                      "c.execute('SELECT ? * 2 AS x', [21 + i]); console.log(r[0].x); } "
                      "await c.end(); })().catch(e => { console.error(e); process.exit(1); });")
            out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60,
                                 env=dict(os.environ, NODE_PATH=os.path.join(clients, "node_modules")))
            self.assertEqual(out.stdout.split(), ["42", "44", "46"], out.stderr)
            status, body = http(proxy.admin_port, "/metrics")
            self.assertEqual((status, body), (200, "# metrics are off (admin.metrics: false)\n"))
            self.assertEqual(http(proxy.admin_port, "/stats/queries")[1], "[]")
        finally:
            proxy.stop_and_check()


if __name__ == "__main__":
    main()
