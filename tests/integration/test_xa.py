#!/usr/bin/python3
"""Two-phase commit across shards (issue 5): transactions.cross_shard: xa over two fixture
servers as shards of `orders` (order numbers: seq % 2 picks the shard).

Checked with the shards' own counters (Com_xa_*) and XA RECOVER, not only through
ShardGate. The crash tests kill ShardGate with SIGKILL at each point of a commit
(SHARDGATE_TEST_XA_CRASH: after every branch is prepared; after the decision is on disk;
after the first branch committed), restart it, and check that recovery leaves both shards
committed - or both rolled back when no decision was recorded - and nothing in XA RECOVER."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness.netutil import LOOPBACK, free_port, tail, wait_until  # noqa: E402
from harness.shardgate_process import ShardGate, make_config  # noqa: E402
from harness.testbase import (ADMIN_PORTS, DIRECT, PROXY_PORTS, fixture_servers, main,  # noqa: E402
                              workdir)
import unittest  # noqa: E402

DB = "xatest"
PATTERN = r"^ORD(?<date>\d{8})(?<seq>\d{8})$"
XA_NAME = "it_xa"
FORMAT_ID = 0x5347


def order(seq):
    return f"ORD20261122{seq:08d}"  # even seq: shard 0, odd: shard 1


@unittest.skipIf(DIRECT, "needs ShardGate")
class XATransactionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.shards = fixture_servers()[:2]
        for s in cls.shards:
            s.sql(f"CREATE DATABASE IF NOT EXISTS {DB}")
            s.sql(f"DROP TABLE IF EXISTS {DB}.orders")
            s.sql(f"CREATE TABLE {DB}.orders (order_no VARCHAR(20) PRIMARY KEY, note VARCHAR(20)) ENGINE=InnoDB")
        cls.clean_branches()
        cls.workdir = workdir("XATransactions")
        cls.xa_log = os.path.join(cls.workdir, "xa-decisions.log")
        for leftover in (cls.xa_log, cls.xa_log + ".lock"):
            if os.path.exists(leftover):
                os.remove(leftover)
        names = [s.name for s in cls.shards]
        clusters = {s.name: f"{LOOPBACK}:{s.port}" for s in cls.shards}
        schemas = {DB: {"default_cluster": names[0], "tables": {"orders": {
            "shard_key": "order_no", "key": {"kind": "order_number", "pattern": PATTERN},
            "strategy": {"kind": "hash", "function": "modulo", "shards": names}}}}}
        cls.config = make_config(free_port(*PROXY_PORTS), free_port(*ADMIN_PORTS), clusters,
                                 default_cluster=names[0], schemas=schemas,
                                 transactions={"cross_shard": "xa", "xa_log": cls.xa_log,
                                               "xa_name": XA_NAME, "xa_recovery_interval_s": 1})
        cls.proxy = ShardGate(cls.config, cls.workdir, name="xa").start()
        cls.port = cls.proxy.port

    @classmethod
    def tearDownClass(cls):
        if cls.proxy:
            sys.stderr.write(f"\n[{cls.__name__}] proxy log: {cls.proxy.log_path}\n{tail(cls.proxy.log_path, 15)}\n")
            cls.proxy.stop_and_check()
        cls.clean_branches()

    @classmethod
    def clean_branches(cls):
        """Rolls back every prepared branch left on the shards by this test (never others')."""
        for s in cls.shards:
            for fmt, glen, blen, data in s.sql("XA RECOVER"):
                gtrid, bqual = data[:glen], data[glen:glen + blen]
                if gtrid.startswith(XA_NAME.encode() + b"-") or gtrid.startswith(b"ittest-"):
                    try:
                        s.sql(f"XA ROLLBACK X'{gtrid.hex()}',X'{bqual.hex()}',{fmt}")
                    except pymysql.err.OperationalError as e:
                        if e.args[0] != 1402:  # XA_RBROLLBACK: a read-only branch, gone now
                            raise

    def setUp(self):
        for s in self.shards:
            s.sql(f"DELETE FROM {DB}.orders")

    # ----- helpers ------------------------------------------------------------------
    def conn(self, port=None):
        return pymysql.connect(host=LOOPBACK, port=port or self.port, user="app", password="app",
                               database=DB, autocommit=True, read_timeout=30)

    def where(self, seq):
        """The shards holding order `seq` (read directly)."""
        return [i for i, s in enumerate(self.shards)
                if s.sql(f"SELECT COUNT(*) FROM {DB}.orders WHERE order_no = '{order(seq)}'")[0][0]]

    def counters(self):
        """Com_xa_* per shard (the servers' own record of what ran)."""
        out = []
        for s in self.shards:
            rows = s.sql("SHOW GLOBAL STATUS LIKE 'Com_xa_%'")
            out.append({k.decode() if isinstance(k, bytes) else k: int(v) for k, v in rows})
        return out

    def delta(self, before, key):
        after = self.counters()
        return [a[key] - b[key] for a, b in zip(after, before)]

    def our_branches(self, shard):
        return [row for row in self.shards[shard].sql("XA RECOVER")
                if row[0] == FORMAT_ID and row[3][:row[1]].startswith(XA_NAME.encode() + b"-")]

    def kill_transaction_on(self, shard):
        rows = self.shards[shard].sql("SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX")
        self.assertEqual(len(rows), 1, rows)
        self.shards[shard].sql(f"KILL {rows[0][0]}")

    # ----- commit, rollback ---------------------------------------------------------
    def test_commit_on_two_shards_is_two_phase(self):
        before = self.counters()
        with self.conn() as c, c.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a'), (%s, 'b')", (order(10), order(11)))
            cur.execute("UPDATE orders SET note = 'u' WHERE order_no IN (%s, %s)", (order(10), order(11)))
            cur.execute("SELECT COUNT(*) FROM orders WHERE note = 'u'")  # a merged read sees both
            self.assertEqual(cur.fetchone()[0], 2)
            # Uncommitted: not visible from outside.
            self.assertEqual((self.where(10), self.where(11)), ([], []))
            cur.execute("COMMIT")
        self.assertEqual((self.where(10), self.where(11)), ([0], [1]))
        self.assertEqual(self.delta(before, "Com_xa_start"), [1, 1])
        self.assertEqual(self.delta(before, "Com_xa_prepare"), [1, 1])
        self.assertEqual(self.delta(before, "Com_xa_commit"), [1, 1])
        self.assertEqual((self.our_branches(0), self.our_branches(1)), ([], []))

    def test_rollback_on_two_shards(self):
        before = self.counters()
        with self.conn() as c, c.cursor() as cur:
            cur.execute("START TRANSACTION")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(12),))
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(13),))
            cur.execute("ROLLBACK")
            # The session is usable afterwards, and in autocommit again.
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'c')", (order(14),))
        self.assertEqual((self.where(12), self.where(13), self.where(14)), ([], [], [0]))
        self.assertEqual(self.delta(before, "Com_xa_rollback"), [1, 1])
        self.assertEqual(self.delta(before, "Com_xa_prepare"), [0, 0])

    def test_one_shard_commits_in_one_phase(self):
        before = self.counters()
        with self.conn() as c, c.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(16),))
            cur.execute("SELECT note FROM orders WHERE order_no = %s", (order(16),))
            self.assertEqual(cur.fetchall(), (("a",),))
            cur.execute("COMMIT")
        self.assertEqual(self.where(16), [0])
        self.assertEqual(self.delta(before, "Com_xa_prepare"), [0, 0])
        self.assertEqual(self.delta(before, "Com_xa_commit"), [1, 0])

    def test_failure_before_the_decision_rolls_back_every_shard(self):
        for victim in (0, 1):  # the first branch to prepare, and the second
            with self.subTest(victim=victim), self.conn() as c, c.cursor() as cur:
                a, b = 20 + 2 * victim, 21 + 2 * victim
                cur.execute("BEGIN")
                cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(a),))
                cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(b),))
                self.kill_transaction_on(victim)
                with self.assertRaises(pymysql.err.MySQLError) as e:
                    cur.execute("COMMIT")
                msg = e.exception.args[1]
                self.assertIn(f"COMMIT failed on shard {self.shards[victim].name}", msg)
                self.assertIn("nothing was committed", msg)
                self.assertEqual((self.where(a), self.where(b)), ([], []))
                wait_until(lambda: not self.our_branches(0) and not self.our_branches(1), 10,
                           what="no prepared branch left")
                cur.execute("SELECT 1")  # the session goes on
                self.assertEqual(cur.fetchall(), ((1,),))

    # ----- what xa refuses ----------------------------------------------------------
    def test_autocommit_off_does_not_span_shards(self):
        with self.conn() as c, c.cursor() as cur:
            cur.execute("SET autocommit = 0")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(30),))
            with self.assertRaises(pymysql.err.MySQLError) as e:
                cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(31),))
            self.assertEqual(e.exception.args[0], 1235)
            self.assertIn("opened with BEGIN or START TRANSACTION", e.exception.args[1])
            cur.execute("COMMIT")
            # BEGIN ends the implicit transaction and opens an XA one.
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'c')", (order(32),))
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'd')", (order(33),))
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'e')", (order(34),))
            cur.execute("COMMIT")
            cur.execute("SET autocommit = 1")
        self.assertEqual([self.where(n) for n in (30, 31, 32, 33, 34)], [[0], [], [0], [1], [0]])

    def test_read_only_transactions_stay_plain(self):
        before = self.counters()
        with self.conn() as c, c.cursor() as cur:
            cur.execute("START TRANSACTION READ ONLY")
            cur.execute("SELECT COUNT(*) FROM orders")
            cur.execute("SELECT COUNT(*) FROM orders WHERE order_no = %s", (order(41),))
            cur.execute("COMMIT")
        self.assertEqual(self.delta(before, "Com_xa_start"), [0, 0])

    def test_statements_that_cannot_join_an_xa_transaction(self):
        with self.conn() as c, c.cursor() as cur:
            with self.assertRaises(pymysql.err.MySQLError) as e:
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
            self.assertEqual(e.exception.args[0], 1235)
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(50),))
            for sql, words in (("BEGIN", "COMMIT or ROLLBACK first"),
                               ("XA START 'x'", "XA statements"),
                               ("COMMIT AND CHAIN", "AND CHAIN"),
                               ("ROLLBACK RELEASE", "RELEASE")):
                with self.subTest(sql=sql), self.assertRaises(pymysql.err.MySQLError) as e:
                    cur.execute(sql)
                self.assertEqual(e.exception.args[0], 1235, sql)
                self.assertIn(words, e.exception.args[1])
            cur.execute("COMMIT AND NO CHAIN NO RELEASE")
        # A COMMIT inside a multi-statement text would end the transaction on one shard only.
        flags = pymysql.constants.CLIENT.MULTI_STATEMENTS
        with pymysql.connect(host=LOOPBACK, port=self.port, user="app", password="app", database=DB,
                             autocommit=True, client_flag=flags) as c, c.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(52),))
            for sql, words in (("COMMIT; SELECT 1", "of its own"), ("SELECT 1; ROLLBACK", "of its own"),
                               ("SELECT 1; BEGIN", "of its own")):
                with self.subTest(sql=sql), self.assertRaises(pymysql.err.MySQLError) as e:
                    cur.execute(sql)
                self.assertEqual(e.exception.args[0], 1235, sql)
                self.assertIn(words, e.exception.args[1])
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(51),))
            cur.execute("COMMIT")  # the transaction survived every refusal
        self.assertEqual([self.where(n) for n in (50, 51, 52)], [[0], [1], [0]])

    def test_ddl_inside_an_xa_transaction(self):
        with self.conn() as c, c.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("CREATE TABLE IF NOT EXISTS xa_ddl_probe (a INT)")  # nothing ran yet: it ends the transaction
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(54),))  # autocommit again
            self.assertEqual(self.where(54), [0])
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(55),))
            with self.assertRaises(pymysql.err.MySQLError) as e:
                cur.execute("DROP TABLE IF EXISTS xa_ddl_probe")
            self.assertEqual(e.exception.args[0], 1235)
            self.assertIn("DDL would commit", e.exception.args[1])
            cur.execute("COMMIT")
            cur.execute("DROP TABLE IF EXISTS xa_ddl_probe")
        self.assertEqual(self.where(55), [1])

    def test_deadlock_in_one_branch_rolls_back_every_shard(self):
        """The deadlock victim's branch is rollback-only: its COMMIT must not commit the
        other shard's branch."""
        with self.conn() as setup, setup.cursor() as cur:
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'x'), (%s, 'y')", (order(80), order(82)))
        c1, c2 = self.conn(), self.conn()
        k1, k2 = c1.cursor(), c2.cursor()
        k1.execute("BEGIN")
        k1.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'one')", (order(81),))  # shard 1
        k1.execute("UPDATE orders SET note = 'k1' WHERE order_no = %s", (order(80),))  # shard 0
        k2.execute("BEGIN")
        k2.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'two')", (order(83),))  # shard 1
        k2.execute("UPDATE orders SET note = 'k2' WHERE order_no = %s", (order(82),))
        outcome = {}

        def blocked():
            try:
                k1.execute("UPDATE orders SET note = 'k1' WHERE order_no = %s", (order(82),))
                outcome["k1"] = "ok"
            except pymysql.err.MySQLError as e:
                outcome["k1"] = e.args[0]
        t = threading.Thread(target=blocked)
        t.start()
        time.sleep(0.5)
        try:
            k2.execute("UPDATE orders SET note = 'k2' WHERE order_no = %s", (order(80),))
            outcome["k2"] = "ok"
        except pymysql.err.MySQLError as e:
            outcome["k2"] = e.args[0]
        t.join(30)
        self.assertEqual(sorted(map(str, outcome.values())), ["1213", "ok"], outcome)
        victim, winner = (k1, k2) if outcome["k1"] == 1213 else (k2, k1)
        victim_row, winner_row = (81, 83) if victim is k1 else (83, 81)
        with self.assertRaises(pymysql.err.MySQLError) as e:
            victim.execute("COMMIT")
        self.assertIn("nothing was committed", e.exception.args[1])
        winner.execute("COMMIT")
        c1.close()
        c2.close()
        self.assertEqual(self.where(victim_row), [])
        self.assertEqual(self.where(winner_row), [1])
        self.assertEqual((self.our_branches(0), self.our_branches(1)), ([], []))

    def test_client_disconnect_rolls_back(self):
        c = self.conn()
        cur = c.cursor()
        cur.execute("BEGIN")
        cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(60),))
        cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(61),))
        c.close()
        wait_until(lambda: not self.shards[0].sql("SELECT COUNT(*) FROM information_schema.INNODB_TRX")[0][0]
                   and not self.shards[1].sql("SELECT COUNT(*) FROM information_schema.INNODB_TRX")[0][0],
                   10, what="transactions ended")
        self.assertEqual((self.where(60), self.where(61)), ([], []))
        self.assertEqual((self.our_branches(0), self.our_branches(1)), ([], []))

    # ----- recovery -----------------------------------------------------------------
    def test_recovery_leaves_foreign_branches_alone(self):
        # An application's XA branch (format 1) and another instance's (ShardGate's format).
        foreign = []
        for gtrid, fmt in (("ittest-app-1", 1), ("ittest-1-1", FORMAT_ID)):
            c = pymysql.connect(host=LOOPBACK, port=self.shards[0].port, user="app", password="app", autocommit=True)
            with c.cursor() as cur:
                cur.execute(f"XA START '{gtrid}','b',{fmt}")
                cur.execute("SELECT 1")
                cur.execute(f"XA END '{gtrid}','b',{fmt}")
                cur.execute(f"XA PREPARE '{gtrid}','b',{fmt}")
            c.close()  # the prepared branch stays
            foreign.append(gtrid.encode() + b"b")
        try:
            time.sleep(3)  # recovery runs every second here
            found = [row[3] for row in self.shards[0].sql("XA RECOVER")]
            for f in foreign:
                self.assertIn(f, found)
        finally:
            self.clean_branches()

    def crash_and_recover(self, point, a, b):
        """A COMMIT killed at `point`; returns (branches left per shard, rows per order after
        the restart)."""
        self.proxy.stop_and_check()
        self.__class__.proxy = None
        crashing = ShardGate(self.config, self.workdir, name=f"xa-crash-{point}")
        crashing.start(env={"SHARDGATE_TEST_XA_CRASH": point})
        try:
            with self.conn(crashing.port) as c, c.cursor() as cur:
                cur.execute("BEGIN")
                cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(a),))
                cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(b),))
                with self.assertRaises(pymysql.err.OperationalError):
                    cur.execute("COMMIT")
            crashing.proc.wait(10)
            self.assertEqual(crashing.proc.returncode, -9, tail(crashing.log_path))
        finally:
            crashing.kill()
        left = [len(self.our_branches(0)), len(self.our_branches(1))]
        # Prepared, not committed: invisible to readers.
        self.assertEqual((self.where(a), self.where(b)),
                         ([], []) if point != "after_first_commit" else ([0], []))
        self.__class__.proxy = ShardGate(self.config, self.workdir, name="xa").start()
        wait_until(lambda: not self.our_branches(0) and not self.our_branches(1), 20,
                   what="recovery resolved every branch")
        log = self.proxy.log_text()
        self.assertIn("XA recovery", log)
        return left, (self.where(a), self.where(b))

    def test_crash_after_prepare_rolls_back_both(self):
        left, rows = self.crash_and_recover("after_prepare", 70, 71)
        self.assertEqual(left, [1, 1])
        self.assertEqual(rows, ([], []))

    def test_crash_after_decision_commits_both(self):
        left, rows = self.crash_and_recover("after_decision", 72, 73)
        self.assertEqual(left, [1, 1])
        self.assertEqual(rows, ([0], [1]))

    def test_crash_after_first_commit_commits_the_other(self):
        left, rows = self.crash_and_recover("after_first_commit", 74, 75)
        self.assertEqual(left, [0, 1])
        self.assertEqual(rows, ([0], [1]))

    def test_second_instance_cannot_share_the_log(self):
        cfg = dict(self.config)
        cfg["listen"] = dict(self.config["listen"], port=free_port(*PROXY_PORTS))
        cfg["admin"] = dict(self.config["admin"], port=free_port(*ADMIN_PORTS))
        other = ShardGate(cfg, self.workdir, name="xa-second")
        with self.assertRaises(RuntimeError):
            other.start(timeout=20)
        self.assertIn("is in use by another process", other.log_text())


if __name__ == "__main__":
    main()
