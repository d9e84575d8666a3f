#!/usr/bin/python3
"""Self-test of tests/harness/replication.py: a MariaDB primary/replica pair (Aurora-like writer +
reader) on 127.0.0.1, no proxy involved. Uses its own servers on ports 23380-23399."""
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness import replication as repl  # noqa: E402
from harness.netutil import free_ports  # noqa: E402
from harness.testbase import main  # noqa: E402

PORTS = (23380, 23399)
ER_OPTION_PREVENTS_STATEMENT = 1290


def app_exec(server, *statements, db=None):
    """Run statements as app over TCP; returns the rows of the last one."""
    conn = server.connect(db=db)
    try:
        with conn.cursor() as cur:
            rows = ()
            for s in statements:
                cur.execute(s)
                rows = cur.fetchall()
            return rows
    finally:
        conn.close()


class ReplicationPairTest(unittest.TestCase):
    """One pair for the class; tests are numbered because test_9 promotes the replica."""

    @classmethod
    def setUpClass(cls):
        cls.basedir = tempfile.mkdtemp(prefix="shardgate-repl-")
        cls.addClassCleanup(shutil.rmtree, cls.basedir, ignore_errors=True)
        primary_port, replica_port = free_ports(*PORTS, count=2)
        t0 = time.monotonic()
        cls.primary, cls.replica = repl.start_pair("selftest", primary_port, replica_port, cls.basedir)
        cls.addClassCleanup(cls.primary.stop)
        cls.addClassCleanup(cls.replica.stop)
        sys.stderr.write(f"\n[pair up in {time.monotonic() - t0:.1f}s: primary :{primary_port}, "
                         f"replica :{replica_port}]\n")

    def assert_read_only_for_app(self, server):
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            app_exec(server, "CREATE TABLE shop.must_fail (id INT PRIMARY KEY)")
        self.assertEqual(cm.exception.args[0], ER_OPTION_PREVENTS_STATEMENT)

    def test_1_replicates_reads_on_replica_read_only(self):
        p, r = self.primary, self.replica
        app_exec(p, "DROP DATABASE IF EXISTS shop", "CREATE DATABASE shop",
                 "CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20))",
                 "INSERT INTO shop.items VALUES (1, 'apple'), (2, 'pear')",
                 "CREATE TABLE sbtest.sbtest1 (id INT PRIMARY KEY)", "INSERT INTO sbtest.sbtest1 VALUES (7)")
        repl.wait_caught_up(p, r)
        before_p, before_r = repl.com_select(p), repl.com_select(r)
        self.assertEqual(app_exec(r, "SELECT id, name FROM shop.items ORDER BY id"), ((1, "apple"), (2, "pear")))
        self.assertEqual(app_exec(r, "SELECT id FROM sbtest.sbtest1"), ((7,),))
        # the read was served by the replica only; the helpers themselves do not count as SELECTs
        self.assertEqual(repl.com_select(r) - before_r, 2)
        self.assertEqual(repl.com_select(p) - before_p, 0)
        # read_only applies to app on the replica (error 1290) but not on the primary
        self.assert_read_only_for_app(r)
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            app_exec(r, "INSERT INTO shop.items VALUES (3, 'plum')")
        self.assertEqual(cm.exception.args[0], ER_OPTION_PREVENTS_STATEMENT)
        self.assertEqual(app_exec(r, "SELECT @@read_only, @@log_bin"), ((1, 1),))
        self.assertEqual(app_exec(p, "SELECT @@read_only, @@log_bin"), ((0, 1),))

    def test_2_slave_status_as_app(self):
        conn = self.replica.connect()
        try:
            with conn.cursor(pymysql.cursors.DictCursor) as cur:
                cur.execute("SHOW SLAVE STATUS")
                st = cur.fetchone()
        finally:
            conn.close()
        self.assertEqual((st["Slave_IO_Running"], st["Slave_SQL_Running"]), ("Yes", "Yes"))
        self.assertEqual((st["Master_Host"], st["Master_Port"]), ("127.0.0.1", self.primary.port))
        self.assertEqual(st["Using_Gtid"], "Slave_Pos")
        self.assertEqual(repl.seconds_behind(self.replica), 0)
        self.assertEqual(repl.slave_status(self.replica, root=False)["Master_Server_Id"], self.primary.server_id)
        self.assertIsNone(repl.slave_status(self.primary, root=False))  # the primary is no replica
        self.assertIsNone(repl.seconds_behind(self.primary))

    def test_3_stopped_sql_thread_holds_back_writes(self):
        p, r = self.primary, self.replica
        app_exec(p, "CREATE TABLE shop.lag (id INT PRIMARY KEY)")
        repl.wait_caught_up(p, r)
        repl.stop_sql_thread(r)
        try:
            self.assertIsNone(repl.seconds_behind(r))  # NULL while the SQL thread is stopped
            app_exec(p, "INSERT INTO shop.lag VALUES (1)")
            with self.assertRaises(TimeoutError):
                repl.wait_caught_up(p, r, timeout=1)
            self.assertEqual(app_exec(r, "SELECT COUNT(*) FROM shop.lag"), ((0,),))
            self.assertEqual(app_exec(p, "SELECT COUNT(*) FROM shop.lag"), ((1,),))
        finally:
            repl.start_sql_thread(r)
        repl.wait_caught_up(p, r, timeout=10)
        self.assertEqual(app_exec(r, "SELECT id FROM shop.lag"), ((1,),))
        self.assertEqual(repl.seconds_behind(r), 0)

    def test_4_master_delay(self):
        p, r = self.primary, self.replica
        app_exec(p, "CREATE TABLE shop.delayed (id INT PRIMARY KEY)")
        repl.wait_caught_up(p, r)
        repl.set_delay(r, 2)
        try:
            self.assertEqual(repl.slave_status(r)["SQL_Delay"], 2)
            t0 = time.monotonic()
            app_exec(p, "INSERT INTO shop.delayed VALUES (1)")
            time.sleep(0.5)
            self.assertEqual(app_exec(r, "SELECT COUNT(*) FROM shop.delayed"), ((0,),))
            repl.wait_caught_up(p, r, timeout=10)
            self.assertGreaterEqual(time.monotonic() - t0, 1.0)
            self.assertEqual(app_exec(r, "SELECT COUNT(*) FROM shop.delayed"), ((1,),))
        finally:
            repl.set_delay(r, 0)
        self.assertEqual(repl.slave_status(r)["SQL_Delay"], 0)

    def test_5_replica_restart_keeps_role(self):
        p, r = self.primary, self.replica
        r.restart()
        repl.wait_running(r)
        self.assert_read_only_for_app(r)
        app_exec(p, "CREATE TABLE shop.after_restart (id INT PRIMARY KEY)", "INSERT INTO shop.after_restart VALUES (5)")
        repl.wait_caught_up(p, r)
        self.assertEqual(app_exec(r, "SELECT id FROM shop.after_restart"), ((5,),))

    def test_9_promote_and_rejoin(self):
        p, r = self.primary, self.replica
        app_exec(p, "CREATE TABLE shop.failover (id INT PRIMARY KEY, site VARCHAR(10))",
                 "INSERT INTO shop.failover VALUES (1, 'old')")
        repl.wait_caught_up(p, r)
        repl.promote(r)
        self.assertIsNone(repl.slave_status(r))
        self.assertEqual(app_exec(r, "SELECT @@read_only"), ((0,),))
        app_exec(r, "INSERT INTO shop.failover VALUES (2, 'new')")  # app can write on the new primary
        self.assertEqual(app_exec(r, "SELECT COUNT(*) FROM shop.failover"), ((2,),))
        # the old primary rejoins as a read-only replica of the new one
        repl.demote_to_replica_of(p, r)
        self.assertEqual(app_exec(p, "SELECT id, site FROM shop.failover ORDER BY id"), ((1, "old"), (2, "new")))
        app_exec(r, "INSERT INTO shop.failover VALUES (3, 'new')")
        repl.wait_caught_up(r, p)
        self.assertEqual(app_exec(p, "SELECT COUNT(*) FROM shop.failover"), ((3,),))
        self.assert_read_only_for_app(p)
        self.assertEqual(repl.slave_status(p, root=False)["Master_Port"], r.port)


if __name__ == "__main__":
    main()
