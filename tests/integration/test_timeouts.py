#!/usr/bin/python3
"""Statement deadlines (issue 6): routing.max_execution_ms (and the session's own SET
shardgate_max_execution_ms) kills a statement that runs too long on its server with KILL
QUERY over a side connection - the server stops working on it and the client gets its
"interrupted" error, the session goes on; inside a transaction the transaction dies with the
killed statement and the client connection ends. clusters.NAME.read_timeout_ms gives up on
a backend that does not answer in time (error 2013) without waiting for the server."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness.netutil import LOOPBACK, tail, wait_until  # noqa: E402
from harness.testbase import DIRECT, fixture_servers, main, start_proxy  # noqa: E402

DB = "deadlines"
ER_QUERY_INTERRUPTED = 1317


@unittest.skipIf(DIRECT, "needs ShardGate")
class StatementDeadlineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = fixture_servers()[0]
        cls.server.sql(f"DROP DATABASE IF EXISTS {DB}")
        cls.server.sql(f"CREATE DATABASE {DB}")
        cls.server.sql(f"CREATE TABLE {DB}.t (id INT PRIMARY KEY)")
        addr = f"{LOOPBACK}:{cls.server.port}"
        cls.proxy = start_proxy("Deadlines", {"main": addr}, routing={"max_execution_ms": 500})
        cls.slow_reads = start_proxy("ReadTimeout", {"main": {
            "writer": addr, "user": "app", "password": "app", "read_timeout_ms": 400}})

    @classmethod
    def tearDownClass(cls):
        for p in (cls.proxy, cls.slow_reads):
            sys.stderr.write(f"\n[{os.path.basename(p.log_path)}]\n{tail(p.log_path, 8)}\n")
            p.stop_and_check()

    def connect(self, proxy):
        c = pymysql.connect(host=LOOPBACK, port=proxy.port, user="app", password="app",
                            database=DB, autocommit=True, read_timeout=30)
        self.addCleanup(c.close)
        return c

    def running_sleeps(self):
        rows = self.server.sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                               "WHERE INFO LIKE 'SELECT SLEEP%' AND USER = 'app'")
        return rows[0][0]

    def timed(self, cur, sql):
        t0 = time.monotonic()
        try:
            cur.execute(sql)
            return cur.fetchall(), time.monotonic() - t0
        except pymysql.err.MySQLError as e:
            return e, time.monotonic() - t0

    def test_a_statement_over_the_deadline_is_killed(self):
        cur = self.connect(self.proxy).cursor()
        got, took = self.timed(cur, "SELECT SLEEP(5)")
        self.assertIsInstance(got, pymysql.err.MySQLError, got)
        self.assertEqual(got.args[0], ER_QUERY_INTERRUPTED, got)
        self.assertGreaterEqual(took, 0.45)
        self.assertLess(took, 2.5)
        self.assertEqual(self.running_sleeps(), 0, "the server still runs the statement")
        # The session goes on; quick statements are untouched.
        cur.execute("SELECT 1")
        self.assertEqual(cur.fetchall(), ((1,),))
        self.assertIn("statement over max_execution_ms=500", self.proxy.log_text())

    def test_session_setting(self):
        cur = self.connect(self.proxy).cursor()
        cur.execute("SET SESSION shardgate_max_execution_ms = 0;")  # no deadline
        got, took = self.timed(cur, "SELECT SLEEP(0.8)")
        self.assertEqual(got, ((0,),))
        cur.execute("SET @@Session.shardgate_max_execution_ms = 150")
        got, took = self.timed(cur, "SELECT SLEEP(3)")
        self.assertEqual(got.args[0], ER_QUERY_INTERRUPTED, got)
        self.assertLess(took, 1.5)
        cur.execute("SET shardgate_max_execution_ms = DEFAULT")  # routing.max_execution_ms
        got, took = self.timed(cur, "SELECT SLEEP(3)")
        self.assertEqual(got.args[0], ER_QUERY_INTERRUPTED, got)
        self.assertGreaterEqual(took, 0.45)
        for bad in ("SET shardgate_max_execution_ms = -1", "SET shardgate_max_execution_ms = 'x'",
                    "SET shardgate_max_execution_ms = 10, autocommit = 1"):
            with self.assertRaises(pymysql.err.MySQLError, msg=bad) as cm:
                cur.execute(bad)
            self.assertEqual(cm.exception.args[0], 1525, bad)
            self.assertIn("shardgate_max_execution_ms", str(cm.exception.args[1]))

    def test_killed_inside_a_transaction_ends_it(self):
        c = self.connect(self.proxy)
        cur = c.cursor()
        cur.execute("DELETE FROM t WHERE id = 7")
        cur.execute("BEGIN")
        cur.execute("INSERT INTO t (id) VALUES (7)")
        got, _ = self.timed(cur, "SELECT SLEEP(5)")
        self.assertIsInstance(got, pymysql.err.MySQLError)
        # The transaction died with its connection: the client connection ends too.
        with self.assertRaises(pymysql.err.MySQLError):
            cur.execute("COMMIT")
        self.assertEqual(self.server.sql(f"SELECT COUNT(*) FROM {DB}.t WHERE id = 7")[0][0], 0)

    def test_read_timeout_gives_up_on_the_backend(self):
        cur = self.connect(self.slow_reads).cursor()
        got, took = self.timed(cur, "SELECT SLEEP(3)")
        self.assertIsInstance(got, pymysql.err.MySQLError, got)
        self.assertEqual(got.args[0], 2013, got)
        self.assertLess(took, 1.5)
        self.assertIn("read_timeout_ms=400", self.slow_reads.log_text())
        cur.execute("SELECT 2")  # a fresh backend connection serves the session
        self.assertEqual(cur.fetchall(), ((2,),))
        # The abandoned statement ends on the server by itself.
        wait_until(lambda: self.running_sleeps() == 0, 10, what="the server finishing SLEEP")


if __name__ == "__main__":
    main()
