#!/usr/bin/python3
"""Scattered reads that go wrong, through ShardGate over 4 real MariaDB shards:
 - a shard that answers an error fails the whole statement with an error naming the shard
   (never a partial result that looks complete), and the session and pools stay usable;
 - the per-query deadline (routing.scatter_timeout_ms) ends a scatter with error 1969;
 - a merge that would hold more than routing.merge_max_rows groups is refused (1038);
 - a client that stops reading a large merged (ORDER BY) result does not make ShardGate
   buffer it: memory stays bounded, and the client is dropped after listen.write_timeout_s.
The results of the merges themselves are checked by tests/differential."""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pymysql  # noqa: E402

from harness.netutil import LOOPBACK, free_port, rss_kib  # noqa: E402
from harness.shardgate_process import ShardGate, make_config  # noqa: E402
from harness.testbase import ADMIN_PORTS, DIRECT, PROXY_PORTS, fixture_servers, main, workdir  # noqa: E402
from test_wire_translation import DEPRECATE_EOF, RawClient  # noqa: E402

SCHEMA = "scattertest"
ROWS_PER_SHARD = 50000  # 200,000 rows of ~210 bytes: about 42 MB merged


@unittest.skipIf(DIRECT, "tests the proxy's scatter-gather")
class ScatterFailureTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.shards = fixture_servers()[:4]
        cls.names = [s.name for s in cls.shards]
        for k, s in enumerate(cls.shards):
            with s.connect() as c, c.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {SCHEMA}")
                cur.execute(f"CREATE DATABASE {SCHEMA}")
                cur.execute(f"USE {SCHEMA}")
                cur.execute(f"CREATE TABLE {SCHEMA}.big (id INT PRIMARY KEY, grp INT, pad VARCHAR(250))")
                # Rows placed directly (the placement of `id` does not matter to a scatter).
                cur.execute(f"INSERT INTO {SCHEMA}.big SELECT seq * 4 + {k}, seq % 1000, REPEAT('x', 200) "
                            f"FROM seq_0_to_{ROWS_PER_SHARD - 1}")
                c.commit()
        clusters = {s.name: f"{LOOPBACK}:{s.port}" for s in cls.shards}
        schemas = {SCHEMA: {"default_cluster": cls.names[0], "tables": {"big": {
            "shard_key": "id", "key": "integer",
            "strategy": {"kind": "hash", "function": "modulo", "shards": cls.names}}}}}
        cfg = make_config(free_port(*PROXY_PORTS), free_port(*ADMIN_PORTS), clusters,
                          default_cluster=cls.names[0], schemas=schemas, write_timeout_s=2)
        cfg["routing"] = {"scatter_timeout_ms": 1500, "merge_max_rows": 500}
        cls.proxy = ShardGate(cfg, workdir("scatter"), name="scatter").start()

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop_and_check()
        for s in cls.shards:
            s.sql(f"DROP DATABASE IF EXISTS {SCHEMA}")

    def connect(self):
        return pymysql.connect(host=LOOPBACK, port=self.proxy.port, user="app", password="app",
                               database=SCHEMA, autocommit=True, read_timeout=30)

    def assert_error(self, conn, sql, code, *fragments):
        with conn.cursor() as cur:
            with self.assertRaises(pymysql.MySQLError) as ctx:
                cur.execute(sql)
                cur.fetchall()
        self.assertEqual(ctx.exception.args[0], code, ctx.exception.args)
        for f in fragments:
            self.assertIn(f, ctx.exception.args[1])
        return ctx.exception.args[1]

    def scalar(self, conn, sql):
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()[0][0]

    def test_a_failing_shard_fails_the_statement_and_names_the_shard(self):
        broken = self.shards[2]
        broken.sql(f"RENAME TABLE {SCHEMA}.big TO {SCHEMA}.big_away")
        try:
            conn = self.connect()
            for sql in ("SELECT COUNT(*) FROM big",
                        "SELECT id FROM big ORDER BY id DESC LIMIT 5",
                        "SELECT grp, COUNT(*) FROM big WHERE grp < 3 GROUP BY grp",
                        "SELECT DISTINCT grp FROM big WHERE grp < 3"):
                msg = self.assert_error(conn, sql, 1146, f"shard {broken.name}")
                self.assertIn("doesn't exist", msg)
            # The same session and the shards' pooled connections still work (shards 0 and 1).
            self.assertEqual(self.scalar(conn, "SELECT COUNT(*) FROM big WHERE id IN (4, 5, 8)"), 3)
            conn.close()
        finally:
            broken.sql(f"RENAME TABLE {SCHEMA}.big_away TO {SCHEMA}.big")
        conn = self.connect()
        self.assertEqual(self.scalar(conn, "SELECT COUNT(*) FROM big"), 4 * ROWS_PER_SHARD)
        conn.close()

    def test_merged_read_inside_a_transaction_keeps_it(self):
        """A client with CLIENT_DEPRECATE_EOF makes the shards end resultsets with an OK packet:
        its IN_TRANS flag must be read, or a connection holding the open transaction goes back
        to the pool and ROLLBACK never reaches it (the write stays pending on the shard)."""
        writer = self.shards[9999999 % 4]  # big is hashed by id over the 4 shards

        def open_writes(expected):
            # INFORMATION_SCHEMA.INNODB_TRX is a cache that InnoDB refreshes only when it was
            # not read for 0.1 s: read it at longer intervals.
            deadline = time.monotonic() + 3
            while True:
                time.sleep(0.15)
                n = writer.sql("SELECT COUNT(*) FROM information_schema.innodb_trx "
                               "WHERE trx_rows_modified > 0")[0][0]
                if n == expected or time.monotonic() > deadline:
                    return n

        for flags, name in ((DEPRECATE_EOF, "DEPRECATE_EOF"), (0, "EOF")):
            c = RawClient(self.proxy.port, flags)
            try:
                def rows(sql):
                    reply = c.query(sql)
                    self.assertFalse([r for r in reply if r[1] == "ERR"], (sql, reply))
                    return [r[2] for r in reply if r[1] == "ROW"]
                rows(f"USE {SCHEMA}")
                rows("BEGIN")
                rows("INSERT INTO big (id, grp, pad) VALUES (9999999, 7777, 'tx')")
                self.assertEqual(len(rows("SELECT id FROM big WHERE grp IN (7777, 1) ORDER BY id DESC LIMIT 1")), 1)
                self.assertEqual(len(rows("SELECT COUNT(*) FROM big WHERE grp = 7777")), 1)
                self.assertEqual(open_writes(1), 1, name)  # the insert, still in its transaction
                rows("ROLLBACK")
                self.assertEqual(open_writes(0), 0, f"{name}: the write is still pending after ROLLBACK")
                self.assertEqual(rows("SELECT COUNT(*) FROM big WHERE grp = 7777"), [b"\x010"], name)
            finally:
                c.close()

    def test_deadline_ends_a_slow_scatter(self):
        conn = self.connect()
        started = time.monotonic()
        self.assert_error(conn, "SELECT id, SLEEP(3) FROM big WHERE id IN (4, 5, 6, 7) ORDER BY id",
                          1969, "routing.scatter_timeout_ms=1500")
        took = time.monotonic() - started
        self.assertLess(took, 2.9, f"the deadline answered after {took:.2f} s")
        # Fresh connections replace the cancelled ones.
        self.assertEqual(self.scalar(conn, "SELECT MAX(id) FROM big WHERE id < 100"), 99)
        conn.close()

    def test_too_many_groups_is_refused(self):
        conn = self.connect()
        self.assert_error(conn, "SELECT grp, COUNT(*) FROM big GROUP BY grp", 1038,
                          "routing.merge_max_rows")
        # Fewer groups than the limit merge fine.
        with conn.cursor() as cur:
            cur.execute("SELECT grp, COUNT(*) FROM big WHERE grp < 400 GROUP BY grp ORDER BY grp LIMIT 2")
            self.assertEqual(cur.fetchall(), ((0, 200), (1, 200)))
        conn.close()

    def test_stalled_reader_of_a_merged_result_is_bounded_then_dropped(self):
        warm = self.connect()
        self.assertEqual(self.scalar(warm, "SELECT COUNT(*) FROM big WHERE id < 1000"), 1000)
        baseline = rss_kib(self.proxy.pid)
        client = RawClient(self.proxy.port, 0)
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        client.send(b"\x03" + f"SELECT id, pad FROM {SCHEMA}.big ORDER BY id".encode())
        time.sleep(1.2)
        grown = rss_kib(self.proxy.pid) - baseline
        sys.stderr.write(f"\n[scatter] ShardGate RSS growth with a stalled 42 MB merged result: {grown} KiB\n")
        self.assertLess(grown, 8 * 1024, f"RSS grew by {grown} KiB for a stalled merged result")
        # Dropped after write_timeout_s (2 s): the read ends, and other sessions still work.
        client.sock.settimeout(15)
        deadline = time.monotonic() + 15
        closed = False
        while time.monotonic() < deadline:
            try:
                if not client.sock.recv(1 << 20):
                    closed = True
                    break
            except (ConnectionResetError, socket.timeout):
                closed = True
                break
        self.assertTrue(closed, "ShardGate did not drop the stalled client")
        self.assertEqual(self.scalar(warm, "SELECT COUNT(*) FROM big"), 4 * ROWS_PER_SHARD)
        warm.close()


if __name__ == "__main__":
    main()
