#!/usr/bin/python3
"""Aurora-like clusters (issue 6): one shard is a real MariaDB replication pair (writer +
reader), the other a single server. Reads are served by the replica and writes by the
primary (checked with the servers' own counters and @@port); reads in transactions, locking
reads and writer hints use the primary; read_your_writes_ms and `reads: writer` keep reads
on the writer; a replica whose SQL thread stops is skipped until it catches up; a
switchover is found through the 1290 refusal of the old writer (the write is retried on
the new one, except inside a transaction); and a failover drill under continuous writes
measures the write outage and checks that every acknowledged write survived.

The application user lacks SUPER and READ_ONLY ADMIN, so read_only applies to it as an
Aurora reader's does."""
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness import replication as repl  # noqa: E402
from harness.netutil import LOOPBACK, free_ports, tail, wait_until  # noqa: E402
from harness.testbase import DIRECT, OWN_SERVER_PORTS, fixture_servers, main, start_proxy, workdir  # noqa: E402

DB = "rwsplit"
INTERVAL_MS = 200


def pair_cluster(writer, reader, interval_ms, **extra):
    c = {"writer": f"{LOOPBACK}:{writer.port}", "readers": [f"{LOOPBACK}:{reader.port}"],
         "user": "app", "password": "app",
         "health": {"interval_ms": interval_ms, "timeout_ms": 500},
         "max_replica_lag_ms": 3000,
         # Failed calls during the drills must not hold the new writer back.
         "circuit_breaker": {"open_s": 1}}
    c.update(extra)
    return c


@unittest.skipIf(DIRECT, "needs ShardGate")
class ReadWriteSplitTest(unittest.TestCase):
    """Tests are numbered: the last two change the pair's topology."""

    @classmethod
    def setUpClass(cls):
        base = workdir("rwsplit-pair")
        ports = free_ports(*OWN_SERVER_PORTS, count=2)
        cls.primary, cls.replica = repl.start_pair("rwsplit", ports[0], ports[1], base)
        cls.addClassCleanup(cls.primary.stop)
        cls.addClassCleanup(cls.replica.stop)
        cls.single = fixture_servers()[0]
        cls.single.sql(f"DROP DATABASE IF EXISTS {DB}")
        cls.single.sql(f"CREATE DATABASE {DB}")
        cls.single.sql(f"CREATE TABLE {DB}.items (id INT PRIMARY KEY, v VARCHAR(20))")
        app = cls.primary.connect()
        with app.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DB}")
            cur.execute(f"CREATE DATABASE {DB}")
            cur.execute(f"CREATE TABLE {DB}.items (id INT PRIMARY KEY, v VARCHAR(20))")
            cur.execute(f"CREATE TABLE {DB}.heartbeat (id INT PRIMARY KEY, ts DATETIME(6))")
        app.close()
        repl.wait_caught_up(cls.primary, cls.replica)
        schemas = {DB: {"default_cluster": "pair", "tables": {"items": {
            "shard_key": "id", "key": {"kind": "integer"},
            "strategy": {"kind": "hash", "function": "modulo", "shards": ["pair", "single"]}}}}}
        cls.schemas = schemas

        def clusters(**extra):
            return {"pair": pair_cluster(cls.primary, cls.replica, INTERVAL_MS, **extra),
                    "single": f"{LOOPBACK}:{cls.single.port}"}
        cls.proxy = start_proxy("RwSplit", clusters(), default_cluster="pair", schemas=schemas,
                                level=os.environ.get("RW_LEVEL", "info"))
        cls.ryw = start_proxy("RwSplitRyw", clusters(), default_cluster="pair", schemas=schemas,
                              routing={"read_your_writes_ms": 1500})
        cls.writer_only = start_proxy("RwSplitWriter", clusters(), default_cluster="pair",
                                      schemas=schemas, routing={"reads": "writer"})
        # Lag measured by a heartbeat row (ms precision) instead of Seconds_Behind_Master.
        cls.heartbeat = start_proxy("RwSplitHeartbeat", clusters(
            health={"interval_ms": INTERVAL_MS, "timeout_ms": 500, "lag_check": "heartbeat",
                    "heartbeat_table": f"{DB}.heartbeat"}, max_replica_lag_ms=1000),
            default_cluster="pair", schemas=schemas)
        # Health checks too slow to see a switchover: only the 1290 refusal can.
        cls.slow = start_proxy("RwSplitSlow", clusters(health={"interval_ms": 60000}),
                               default_cluster="pair", schemas=schemas)

    @classmethod
    def tearDownClass(cls):
        for p in (cls.proxy, cls.ryw, cls.writer_only, cls.heartbeat, cls.slow):
            sys.stderr.write(f"\n[{os.path.basename(p.log_path)}] proxy log:\n{tail(p.log_path, 12)}\n")
            p.stop_and_check()

    def connect(self, proxy=None, **kw):
        c = pymysql.connect(host=LOOPBACK, port=(proxy or self.proxy).port, user="app",
                            password="app", database=DB, autocommit=True, read_timeout=30, **kw)
        self.addCleanup(c.close)
        return c

    @staticmethod
    def com_insert(server):
        return int(server.sql("SHOW GLOBAL STATUS LIKE 'Com_insert'")[0][1])

    def port_of(self, cur, sql="/* shardgate: shard=pair */ SELECT @@port"):
        cur.execute(sql)
        return cur.fetchone()[0]

    def test_1_reads_on_the_replica_writes_on_the_primary(self):
        cur = self.connect().cursor()
        self.primary.sql(f"DELETE FROM {DB}.items")  # (replicated)
        self.single.sql(f"DELETE FROM {DB}.items")
        inserts_before = [self.com_insert(self.primary)]
        for i in range(20):
            cur.execute("INSERT INTO items (id, v) VALUES (%s, %s)", (i, f"v{i}"))
        repl.wait_caught_up(self.primary, self.replica)
        # The pair's 10 writes ran on the primary (the heartbeat proxy's row adds to its count;
        # the replica counts the replicated ones too, and refuses the app user's own: 1290).
        self.assertGreaterEqual(self.com_insert(self.primary) - inserts_before[0], 10)
        p0, r0 = repl.com_select(self.primary), repl.com_select(self.replica)
        for i in range(0, 20, 2):  # keys of the pair shard
            cur.execute("SELECT v FROM items WHERE id = %s", (i,))
            self.assertEqual(cur.fetchone(), (f"v{i}",))
        p1, r1 = repl.com_select(self.primary), repl.com_select(self.replica)
        self.assertEqual(p1 - p0, 0, "a read reached the primary")
        self.assertGreaterEqual(r1 - r0, 10, "the replica did not serve the reads")
        self.assertEqual(self.port_of(cur), self.replica.port)
        # A scattered read uses the replica for the pair's part.
        cur.execute("SELECT COUNT(*) FROM items")
        self.assertEqual(cur.fetchone(), (20,))
        self.assertEqual(repl.com_select(self.primary) - p1, 0)
        # Prepared (binary protocol) reads too: through the proxy's statement cache.
        # (PyMySQL has no server-side prepare; the mariadb CLI tests cover COM_STMT_*.)

    def test_2_transactions_locks_and_hints_use_the_primary(self):
        cur = self.connect().cursor()
        for sql in ("/* shardgate: shard=pair writer */ SELECT @@port",
                    "SELECT @@port FROM items WHERE id = 2 FOR UPDATE"):
            self.assertEqual(self.port_of(cur, sql), self.primary.port, sql)
        cur.execute("BEGIN")
        self.assertEqual(self.port_of(cur, "SELECT @@port FROM items WHERE id = 2"), self.primary.port)
        cur.execute("COMMIT")
        cur.execute("SET autocommit = 0")
        self.assertEqual(self.port_of(cur, "SELECT @@port FROM items WHERE id = 2"), self.primary.port)
        cur.execute("COMMIT")
        cur.execute("SET autocommit = 1")
        self.assertEqual(self.port_of(cur, "SELECT @@port FROM items WHERE id = 2"), self.replica.port)
        # Session state follows the read to the replica.
        cur.execute("SET time_zone = '+03:00'")
        cur.execute("SELECT @@time_zone, @@port FROM items WHERE id = 2")
        self.assertEqual(cur.fetchone(), ("+03:00", self.replica.port))
        # State that lives on one connection (user variables, ROW_COUNT(), LOCK ...) pins the
        # session there: its reads stay on the writer.
        for sql, pinned in (("SET @marker = 'm1'", "SELECT @marker, @@port FROM items WHERE id = 2"),
                            ("INSERT INTO items (id, v) VALUES (1000, 'x') ON DUPLICATE KEY UPDATE v = 'y'",
                             "SELECT ROW_COUNT(), @@port"),
                            ("DO 1", "SELECT 1, @@port FROM items WHERE id = 2 LOCK IN SHARE MODE")):
            c2 = self.connect().cursor()
            self.assertEqual(self.port_of(c2, "SELECT @@port FROM items WHERE id = 2"), self.replica.port)
            c2.execute(sql)
            c2.execute(pinned)
            self.assertEqual(c2.fetchone()[1], self.primary.port, pinned)
            self.assertEqual(self.port_of(c2, "SELECT @@port FROM items WHERE id = 2"), self.primary.port)

    def test_3_read_your_writes_and_writer_mode(self):
        cur = self.connect(self.ryw).cursor()
        self.assertEqual(self.port_of(cur), self.replica.port)
        cur.execute("UPDATE items SET v = 'ryw' WHERE id = 4")
        t0 = time.monotonic()
        self.assertEqual(self.port_of(cur, "SELECT @@port FROM items WHERE id = 4"), self.primary.port)
        cur.execute("SELECT v FROM items WHERE id = 4")
        self.assertEqual(cur.fetchone(), ("ryw",))
        time.sleep(max(0.0, 1.7 - (time.monotonic() - t0)))
        self.assertEqual(self.port_of(cur, "SELECT @@port FROM items WHERE id = 4"), self.replica.port)
        # Another session did not write: it reads from the replica meanwhile.
        cur2 = self.connect(self.writer_only).cursor()
        self.assertEqual(self.port_of(cur2), self.primary.port)
        self.assertEqual(self.port_of(cur2, "SELECT @@port FROM items WHERE id = 2"), self.primary.port)

    def test_4_lagging_replica_is_skipped_until_it_catches_up(self):
        cur = self.connect().cursor()
        beat = self.connect(self.heartbeat).cursor()
        self.assertEqual(self.port_of(cur), self.replica.port)
        wait_until(lambda: self.port_of(beat) == self.replica.port, 5, what="heartbeat lag known")
        stopped = time.monotonic()
        repl.stop_sql_thread(self.replica)
        try:
            # Seconds_Behind_Master is NULL: lag unknown, over max_replica_lag_ms.
            wait_until(lambda: self.port_of(cur) == self.primary.port, 3 * INTERVAL_MS / 1000 + 2,
                       what="reads moving to the primary")
            # The heartbeat row stops advancing: its age passes 1000 ms (it was at most one
            # interval old when the thread stopped).
            wait_until(lambda: self.port_of(beat) == self.primary.port, 5, interval=0.02,
                       what="heartbeat lag moving reads to the primary")
            self.assertGreater(time.monotonic() - stopped, 0.75, "moved before the lag exceeded 1 s")
            cur.execute("UPDATE items SET v = 'lag' WHERE id = 6")
            for _ in range(5):  # the writes are visible: reads are on the primary
                cur.execute("SELECT v FROM items WHERE id = 6")
                self.assertEqual(cur.fetchone(), ("lag",))
        finally:
            repl.start_sql_thread(self.replica)
        wait_until(lambda: self.port_of(cur) == self.replica.port, 3 * INTERVAL_MS / 1000 + 5,
                   what="reads back on the caught-up replica")
        wait_until(lambda: self.port_of(beat) == self.replica.port, 5,
                   what="heartbeat: reads back on the replica")
        self.assertRegex(self.heartbeat.log_text(), r"replica .* lags \d+ ms \(max_replica_lag_ms 1000\)")
        self.assertIn("reads skip it until it catches up", self.proxy.log_text())
        self.assertIn("caught up", self.proxy.log_text())

    def test_5_switchover_found_by_the_read_only_refusal(self):
        cur = self.connect(self.slow).cursor()
        cur.execute("INSERT INTO items (id, v) VALUES (100, 'before')")
        # A transaction already on the old writer when it turns read-only.
        txn = self.connect(self.slow).cursor()
        txn.execute("BEGIN")
        txn.execute("SELECT v FROM items WHERE id = 100")
        repl.wait_caught_up(self.primary, self.replica)
        self.primary.sql("SET GLOBAL read_only = 1")
        repl.wait_caught_up(self.primary, self.replica)
        repl.promote(self.replica)
        # The autocommit write reaches the old writer, is refused with 1290 (so it never
        # ran), and runs on the new writer: the client sees success.
        t0 = time.monotonic()
        cur.execute("INSERT INTO items (id, v) VALUES (102, 'after')")
        took = time.monotonic() - t0
        self.assertLess(took, 5.0)
        row = self.replica.connect(db=DB)
        with row.cursor() as c:
            c.execute("SELECT v FROM items WHERE id = 102")
            self.assertEqual(c.fetchone(), ("after",))
        row.close()
        self.assertIn("refused as read-only", self.slow.log_text())
        self.assertIn(f"the writer is now {LOOPBACK}:{self.replica.port}", self.slow.log_text())
        # Inside a transaction the refused write is not retried: the client gets 1290.
        with self.assertRaises(pymysql.err.MySQLError) as cm:
            txn.execute("INSERT INTO items (id, v) VALUES (104, 'txn')")
        self.assertEqual(cm.exception.args[0], 1290)
        txn.execute("ROLLBACK")
        # The old primary rejoins as a reader of the new one.
        repl.demote_to_replica_of(self.primary, self.replica)
        cur.execute("INSERT INTO items (id, v) VALUES (106, 'rejoined')")
        repl.wait_caught_up(self.replica, self.primary)
        fast = self.connect().cursor()
        wait_until(lambda: self.port_of(fast) == self.primary.port, 5, what="reads on the old primary")

    def test_6_failover_drill_under_writes(self):
        # Topology now: writer = self.replica's server, reader = self.primary's server.
        writer, reader = self.replica, self.primary
        cur = self.connect().cursor()
        wait_until(lambda: self.port_of(cur, "/* shardgate: shard=pair writer */ SELECT @@port")
                   == writer.port, 5, what="the fast proxy seeing the switchover")
        acked, errors = [], []
        stop = threading.Event()
        outage = {}

        def write_loop():
            c = pymysql.connect(host=LOOPBACK, port=self.proxy.port, user="app", password="app",
                                database=DB, autocommit=True, read_timeout=10)
            k = 10000
            while not stop.is_set():
                k += 2  # the pair's shard
                try:
                    with c.cursor() as wc:
                        wc.execute("INSERT INTO items (id, v) VALUES (%s, 'drill')", (k,))
                    acked.append((k, time.monotonic()))
                except pymysql.err.MySQLError as e:
                    errors.append((e.args[0], time.monotonic(), str(e.args[-1])[:160]))
                    try:
                        c.close()
                    except Exception:  # noqa: BLE001
                        pass
                    time.sleep(0.01)
                    try:
                        c = pymysql.connect(host=LOOPBACK, port=self.proxy.port, user="app",
                                            password="app", database=DB, autocommit=True,
                                            read_timeout=10)
                    except pymysql.err.MySQLError as e2:
                        errors.append((e2.args[0], time.monotonic(), str(e2.args[-1])[:160]))
            c.close()

        t = threading.Thread(target=write_loop)
        t.start()
        try:
            time.sleep(1.0)
            self.assertGreater(len(acked), 10, f"no writes before the drill: {errors[:3]}")
            repl.wait_caught_up(writer, reader)
            # Lossless semi-sync (as Aurora's shared storage): every acknowledged commit has
            # reached the replica, so a failover may lose none.
            self.assertEqual(writer.sql("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'")[0][1],
                             "ON")
            outage["kill"] = time.monotonic()
            writer.kill()
            repl.promote(reader)
            outage["promoted"] = time.monotonic()
            wait_until(lambda: acked and acked[-1][1] > outage["promoted"], 10,
                       what="writes resuming on the new writer")
            time.sleep(0.5)
        finally:
            stop.set()
            t.join(30)
        first_after = min(ts for _, ts in acked if ts > outage["promoted"])
        resumed_ms = (first_after - outage["promoted"]) * 1000
        total_ms = (first_after - outage["kill"]) * 1000
        sys.stderr.write(f"\n[failover drill] writes resumed {resumed_ms:.0f} ms after the promotion "
                         f"({total_ms:.0f} ms after the kill; health interval {INTERVAL_MS} ms); "
                         f"{len(acked)} writes acknowledged, {len(errors)} failed\n")
        seen = sorted({(code, msg) for code, _, msg in errors})
        self.assertLessEqual(resumed_ms, 3 * INTERVAL_MS + 100,
                             f"writes did not resume within 3 health intervals of the promotion; "
                             f"errors: {seen[:8]}")
        # Every acknowledged write is on the new writer.
        conn = reader.connect(db=DB)
        with conn.cursor() as c:
            c.execute("SELECT id FROM items WHERE v = 'drill'")
            present = {r[0] for r in c.fetchall()}
        conn.close()
        missing = [k for k, _ in acked if k not in present]
        self.assertEqual(missing, [], f"{len(missing)} acknowledged writes lost")
        # The client saw connection errors only during the outage, none after.
        self.assertTrue(all(ts < first_after for _, ts, _ in errors))
        self.assertIn(f"the writer is now {LOOPBACK}:{reader.port}", self.proxy.log_text())


if __name__ == "__main__":
    main()
