#!/usr/bin/python3
"""Transactions across shards (issue 5): transactions.cross_shard reject (the default) and
best_effort, over two fixture servers as shards of `orders` (order numbers: seq % 2).

best_effort: one transaction per shard, COMMIT in turn; a shard whose COMMIT fails is
reported exactly (made to fail here by killing that shard's transaction connection from
the server side, as a crash or network cut would)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness.netutil import LOOPBACK  # noqa: E402
from harness.testbase import DIRECT, ProxyTestCase, fixture_servers, main, start_proxy  # noqa: E402

DB = "txtest"
PATTERN = r"^ORD(?<date>\d{8})(?<seq>\d{8})$"


def order(seq):
    return f"ORD20261122{seq:08d}"  # even seq: shard 0, odd: shard 1


class CrossShardTransactionsTest(ProxyTestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = fixture_servers()
        cls.shards = cls.servers[:2]
        for s in cls.shards:
            s.sql(f"CREATE DATABASE IF NOT EXISTS {DB}")
            s.sql(f"DROP TABLE IF EXISTS {DB}.orders")
            s.sql(f"CREATE TABLE {DB}.orders (order_no VARCHAR(20) PRIMARY KEY, note VARCHAR(20)) ENGINE=InnoDB")
        cls.proxy = cls.reject_proxy = None
        if DIRECT:
            cls.port = cls.reject_port = cls.servers[0].port
            return
        clusters = {s.name: f"{LOOPBACK}:{s.port}" for s in cls.shards}
        names = [s.name for s in cls.shards]
        schemas = {DB: {"default_cluster": names[0], "tables": {"orders": {
            "shard_key": "order_no", "key": {"kind": "order_number", "pattern": PATTERN},
            "strategy": {"kind": "hash", "function": "modulo", "shards": names}}}}}
        cls.proxy = start_proxy("CrossShardBestEffort", clusters, default_cluster=names[0], schemas=schemas,
                                transactions={"cross_shard": "best_effort"})
        cls.port = cls.proxy.port
        cls.reject_proxy = start_proxy("CrossShardReject", clusters, default_cluster=names[0], schemas=schemas)
        cls.reject_port = cls.reject_proxy.port

    @classmethod
    def tearDownClass(cls):
        if cls.reject_proxy:
            cls.reject_proxy.stop_and_check()
        super().tearDownClass()

    def setUp(self):
        for s in self.shards:
            s.sql(f"DELETE FROM {DB}.orders")

    def where(self, seq):
        """The shards holding order `seq` (read directly)."""
        return [i for i, s in enumerate(self.shards)
                if s.sql(f"SELECT COUNT(*) FROM {DB}.orders WHERE order_no = '{order(seq)}'")[0][0]]

    def home(self, seq):
        """Where order `seq` must be: its shard (seq % 2), or server 0 when run directly."""
        return [0] if DIRECT else [seq % 2]

    def conn(self, port=None):
        return pymysql.connect(host=LOOPBACK, port=port or self.port, user="app", password="app",
                               database=DB, autocommit=True)

    def kill_transaction_on(self, shard):
        """Kills the connection holding the open transaction on `shard` (server side)."""
        rows = self.shards[shard].sql("SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX")
        self.assertEqual(len(rows), 1, rows)
        self.shards[shard].sql(f"KILL {rows[0][0]}")

    def test_reject_names_both_shards_and_keeps_the_transaction(self):
        if DIRECT:
            self.skipTest("needs ShardGate")
        with self.conn(self.reject_port) as c, c.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(2),))
            with self.assertRaises(pymysql.err.MySQLError) as e:
                cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(3),))
            self.assertEqual(e.exception.args[0], 1235)
            msg = e.exception.args[1]
            self.assertIn(self.shards[0].name, msg)
            self.assertIn(self.shards[1].name, msg)
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'c')", (order(4),))  # still usable
            cur.execute("COMMIT")
        self.assertEqual(self.where(2), [0])
        self.assertEqual(self.where(4), [0])
        self.assertEqual(self.where(3), [])

    def test_best_effort_commits_and_rolls_back_every_shard(self):
        with self.conn() as c, c.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a'), (%s, 'b')", (order(10), order(11)))
            cur.execute("UPDATE orders SET note = 'u' WHERE order_no IN (%s, %s)", (order(10), order(11)))
            cur.execute("SELECT COUNT(*) FROM orders WHERE note = 'u'")  # a merged read sees both
            self.assertEqual(cur.fetchone()[0], 2)
            cur.execute("COMMIT")
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'c')", (order(12),))
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'd')", (order(13),))
            cur.execute("ROLLBACK")
            # autocommit=0: the same, transactions opened implicitly on each shard.
            cur.execute("SET autocommit = 0")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'e')", (order(14),))
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'f')", (order(15),))
            cur.execute("COMMIT")
            cur.execute("SET autocommit = 1")
        self.assertEqual((self.where(10), self.where(11)), (self.home(10), self.home(11)))
        self.assertEqual((self.where(12), self.where(13)), ([], []))
        self.assertEqual((self.where(14), self.where(15)), (self.home(14), self.home(15)))

    def test_best_effort_reports_a_shard_that_failed_to_commit(self):
        if DIRECT:
            self.skipTest("needs ShardGate")
        with self.conn() as c, c.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(20),))
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(21),))
            self.kill_transaction_on(1)  # shard 1 commits second: shard 0 has committed then
            with self.assertRaises(pymysql.err.MySQLError) as e:
                cur.execute("COMMIT")
            msg = e.exception.args[1]
            self.assertIn(f"committed on {self.shards[0].name}", msg)
            self.assertIn(f"failed on {self.shards[1].name} (OUTCOME UNKNOWN", msg)
        self.assertEqual((self.where(20), self.where(21)), ([0], []))
        # The first shard failing: nothing is committed anywhere.
        with self.conn() as c, c.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(22),))
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(23),))
            self.kill_transaction_on(0)
            with self.assertRaises(pymysql.err.MySQLError) as e:
                cur.execute("COMMIT")
            # (the killed shard's connection died during COMMIT: its outcome is unknown to
            # ShardGate - here the server rolled it back - and the other shard is rolled back)
            self.assertIn("outcome is unknown on some shards, the others were rolled back",
                          e.exception.args[1])
            self.assertIn(f"{self.shards[1].name} (rolled back)", e.exception.args[1])
        self.assertEqual((self.where(22), self.where(23)), ([], []))
        # The proxy and its pools are fine afterwards.
        with self.conn() as c, c.cursor() as cur:
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'z')", (order(24),))
        self.assertEqual(self.where(24), [0])

    def test_savepoint_and_begin_with_several_shards_open(self):
        if DIRECT:
            self.skipTest("needs ShardGate")
        with self.conn() as c, c.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("SELECT COUNT(*) FROM orders")  # joins shard 0 and 1
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(41),))
            cur.execute("SAVEPOINT s1")  # where the writes are: shard 1
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(43),))
            cur.execute("ROLLBACK TO SAVEPOINT s1")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'c')", (order(40),))
            with self.assertRaises(pymysql.err.MySQLError) as e:  # writes on 2 shards now
                cur.execute("SAVEPOINT s2")
            self.assertIn("open on several shards", e.exception.args[1])
            with self.assertRaises(pymysql.err.MySQLError) as e:
                cur.execute("BEGIN")
            self.assertIn("open on several shards", e.exception.args[1])
            cur.execute("COMMIT")
        self.assertEqual([self.where(n) for n in (40, 41, 43)], [[0], [1], []])

    def test_multi_statement_text_cannot_end_a_transaction_on_several_shards(self):
        if DIRECT:
            self.skipTest("needs ShardGate")
        flags = pymysql.constants.CLIENT.MULTI_STATEMENTS
        with pymysql.connect(host=LOOPBACK, port=self.port, user="app", password="app", database=DB,
                             autocommit=True, client_flag=flags) as c, c.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(44),))
            cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(45),))
            for sql in ("COMMIT; SELECT 1", "SELECT 1; ROLLBACK", "SELECT 1; CREATE TABLE t_x (a INT)"):
                with self.subTest(sql=sql), self.assertRaises(pymysql.err.MySQLError) as e:
                    cur.execute(sql)
                self.assertEqual(e.exception.args[0], 1235, sql)
                self.assertIn("of its own", e.exception.args[1])
            cur.execute("COMMIT")
        self.assertEqual((self.where(44), self.where(45)), ([0], [1]))

    def test_shard_lost_inside_a_transaction_ends_the_session(self):
        """A scattered write whose leg lost its connection (and that shard's part of the
        transaction): the client connection ends, so no later COMMIT commits the rest."""
        if DIRECT:
            self.skipTest("needs ShardGate")
        c = self.conn()
        cur = c.cursor()
        cur.execute("BEGIN")
        cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'a')", (order(46),))
        cur.execute("INSERT INTO orders (order_no, note) VALUES (%s, 'b')", (order(47),))
        # Every connection of ShardGate's to shard 1 (the transaction's among them; after
        # an earlier test's KILL, INNODB_TRX can name a stale thread id).
        for (tid,) in self.shards[1].sql("SELECT id FROM information_schema.PROCESSLIST WHERE user = 'app'"):
            self.shards[1].sql(f"KILL {tid}")
        with self.assertRaises(pymysql.err.MySQLError):
            cur.execute("UPDATE orders SET note = 'x' WHERE order_no IN (%s, %s)", (order(46), order(47)))
        with self.assertRaises(pymysql.err.OperationalError):
            cur.execute("COMMIT")  # the connection is gone
        c.close()
        self.assertEqual((self.where(46), self.where(47)), ([], []))
        time.sleep(1.2)  # pooled connections killed above are checked once idle for 1 s

    def test_sql_level_prepare_and_execute(self):
        """PREPARE / EXECUTE in SQL: the text is routed at EXECUTE with the USING values in."""
        with self.conn() as c, c.cursor() as cur:
            cur.execute("PREPARE ins FROM 'INSERT INTO orders (order_no, note) VALUES (?, ?)'")
            cur.execute("SET @k = %s, @n = 'var'", (order(30),))
            cur.execute("EXECUTE ins USING @k, @n")
            cur.execute(f"EXECUTE ins USING '{order(31)}', 'lit'")
            cur.execute("PREPARE q FROM 'SELECT note FROM orders WHERE order_no = ?'")
            cur.execute("EXECUTE q USING @k")
            self.assertEqual(cur.fetchall(), (("var",),))
            cur.execute(f"EXECUTE q USING '{order(31)}'")
            self.assertEqual(cur.fetchall(), (("lit",),))
            cur.execute("SET @text = 'SELECT COUNT(*), MAX(note) FROM orders'")
            cur.execute("PREPARE cnt FROM @text")  # merged over both shards
            cur.execute("EXECUTE cnt")
            self.assertEqual(cur.fetchall(), ((2, "var"),))
            for sql, code in (("EXECUTE nope", 1243), ("EXECUTE q USING 1, 2", 1210),
                              ("PREPARE bad FROM 'SELEC 1'", 1064)):
                with self.assertRaises(pymysql.err.MySQLError, msg=sql) as e:
                    cur.execute(sql)
                self.assertEqual(e.exception.args[0], code, sql)
            cur.execute("DEALLOCATE PREPARE q")
            with self.assertRaises(pymysql.err.MySQLError) as e:
                cur.execute("EXECUTE q USING @k")
            self.assertEqual(e.exception.args[0], 1243)
            cur.execute("DROP PREPARE ins")
        self.assertEqual((self.where(30), self.where(31)), (self.home(30), self.home(31)))


if __name__ == "__main__":
    main()
