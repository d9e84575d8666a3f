#!/usr/bin/python3
"""5,000 concurrent client connections doing point selects through ShardGate, with every
shard's pool capped at 32 backend connections (issue 5): zero errors, every answer the
right row, and each shard's Threads_connected never above 32 plus this test's own monitor.

Also two clients with different time_zone / sql_mode / schema multiplexed over a pool of
ONE backend connection per shard: each must see its own settings on every statement.

The clients are asyncio connections (tests/harness/async_client.py): one Python thread
drives all 5,000."""
import asyncio
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness import async_client  # noqa: E402
from harness.netutil import LOOPBACK, rss_kib  # noqa: E402
from harness.testbase import DIRECT, ProxyTestCase, fixture_servers, main, start_proxy  # noqa: E402

CLIENTS = int(os.environ.get("SG_MANY_CLIENTS", "5000"))
POOL = 32
ROWS = 2000
DB = "manyc"


def sharding(names):
    return {DB: {"default_cluster": names[0], "tables": {
        "points": {"shard_key": "k", "key": "integer",
                   "strategy": {"kind": "hash", "function": "modulo", "shards": names}}}}}


class ManyClientsTest(ProxyTestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = fixture_servers()
        cls.shards = cls.servers[:4]
        for s in cls.shards:
            s.sql(f"CREATE DATABASE IF NOT EXISTS {DB}")
            s.sql(f"DROP TABLE IF EXISTS {DB}.points")
            s.sql(f"CREATE TABLE {DB}.points (k INT PRIMARY KEY, v VARCHAR(20))")
        cls.proxy = None
        if DIRECT:
            cls.port = cls.servers[0].port
            return
        clusters = {s.name: {"writer": f"{LOOPBACK}:{s.port}", "user": "app", "password": "app",
                             "pool": {"max_connections": POOL, "acquire_timeout_ms": 20000}}
                    for s in cls.shards}
        cls.proxy = start_proxy("ManyClientsTest", clusters, default_cluster=cls.shards[0].name,
                                schemas=sharding([s.name for s in cls.shards]), level="warn")
        cls.port = cls.proxy.port
        conn = cls.connect(db=DB)
        with conn, conn.cursor() as cur:
            for start in range(0, ROWS, 500):
                cur.execute("INSERT INTO points (k, v) VALUES " +
                            ", ".join(f"({k}, 'v{k}')" for k in range(start, start + 500)))

    def threads_connected(self, server, monitor):
        with monitor.cursor() as cur:
            cur.execute("SHOW GLOBAL STATUS LIKE 'Threads_connected'")
            return int(cur.fetchone()[1])

    def test_5000_clients_over_32_backend_connections_per_shard(self):
        if DIRECT:
            self.skipTest("needs ShardGate (a plain server would need 5,000 threads)")
        monitors = [s.root_connect() for s in self.shards]
        peak = [0] * len(self.shards)
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                for i, (s, m) in enumerate(zip(self.shards, monitors)):
                    peak[i] = max(peak[i], self.threads_connected(s, m) - 1)  # minus the monitor
                time.sleep(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        rss_before = rss_kib(self.proxy.pid)
        errors, wrong = [], []

        async def client(i, sem_connect):
            async with sem_connect:  # bounded connect rate: the listen backlog is finite
                conn = await async_client.connect(LOOPBACK, self.port, db=DB)
            return conn

        async def work(conn, i):
            for j in range(3):
                k = (i * 7 + j * 13) % ROWS
                try:
                    rows = await conn.query(f"SELECT v FROM points WHERE k = {k}")
                    if rows != [[f"v{k}"]]:
                        wrong.append((k, rows))
                except Exception as e:  # noqa: BLE001
                    errors.append(repr(e))

        async def run():
            sem = asyncio.Semaphore(200)
            conns = await asyncio.gather(*(client(i, sem) for i in range(CLIENTS)))
            idle_rss = rss_kib(self.proxy.pid)
            # Every client sends at once: 5,000 statements queue for 4 x 32 connections.
            await asyncio.gather(*(work(c, i) for i, c in enumerate(conns)))
            for c in conns:
                c.close()
            return idle_rss

        t0 = time.monotonic()
        idle_rss = asyncio.run(run())
        elapsed = time.monotonic() - t0
        stop.set()
        watcher.join()
        for m in monitors:
            m.close()
        per_conn = (idle_rss - rss_before) * 1024 / CLIENTS
        sys.stderr.write(f"\n{CLIENTS} clients x 3 point selects in {elapsed:.1f}s; backend threads peak "
                         f"{peak}; ShardGate RSS {rss_before} -> {idle_rss} KiB with all connected "
                         f"({per_conn:.0f} bytes per idle connection)\n")
        self.assertEqual(errors, [])
        self.assertEqual(wrong, [])
        for name, p in zip((s.name for s in self.shards), peak):
            self.assertLessEqual(p, POOL, f"{name}: {p} backend connections")
            self.assertGreater(p, 0, f"{name}: the watcher saw no backend connection")
        # The proxy is still fine, and gave the client slots back.
        self.assertEqual(self.query("SELECT v FROM points WHERE k = 5", db=DB), (("v5",),))

    def test_session_settings_multiplexed_over_one_connection(self):
        """Two clients, different time_zone, sql_mode and schema, alternate statements over a
        pool of one backend connection per shard: each sees its own settings every time."""
        if DIRECT:
            self.skipTest("needs ShardGate")
        monitors = [s.root_connect() for s in self.shards]
        # Other proxies of this class keep idle pooled connections: count only new ones.
        baseline = [self.threads_connected(s, m) for s, m in zip(self.shards, monitors)]
        one = {s.name: {"writer": f"{LOOPBACK}:{s.port}", "user": "app", "password": "app",
                        "pool": {"max_connections": 1}} for s in self.shards}
        proxy = start_proxy("ManyClientsTest_one", one, default_cluster=self.shards[0].name,
                            schemas=sharding([s.name for s in self.shards]), workers=1)
        try:
            a = pymysql.connect(host=LOOPBACK, port=proxy.port, user="app", password="app", database=DB,
                                autocommit=True)
            b = pymysql.connect(host=LOOPBACK, port=proxy.port, user="app", password="app", database="shop",
                                autocommit=True)
            with a, b, a.cursor() as ca, b.cursor() as cb:
                ca.execute("SET time_zone = '+09:00', sql_mode = 'ANSI_QUOTES,STRICT_ALL_TABLES'")
                cb.execute("SET time_zone = '-03:30', sql_mode = 'NO_BACKSLASH_ESCAPES'")
                for i in range(20):
                    ca.execute("SELECT @@time_zone, @@sql_mode, DATABASE(), v FROM points WHERE k = %s", (i,))
                    self.assertEqual(ca.fetchone(), ("+09:00", "ANSI_QUOTES,STRICT_ALL_TABLES", DB, f"v{i}"))
                    cb.execute("SELECT @@time_zone, @@sql_mode, DATABASE(), 'a\\b'")
                    self.assertEqual(cb.fetchone(), ("-03:30", "NO_BACKSLASH_ESCAPES", "shop", "a\\b"))
                    if i == 10:  # change settings midway
                        ca.execute("SET time_zone = '+01:00'")
                        ca.execute("USE shop")
                        ca.execute("USE manyc")
                        ca.execute("SET time_zone = '+09:00'")
                # One backend connection per shard served both clients.
                for s, m, base in zip(self.shards, monitors, baseline):
                    self.assertLessEqual(self.threads_connected(s, m) - base, 1, s.name)
        finally:
            for m in monitors:
                m.close()
            proxy.stop_and_check()


if __name__ == "__main__":
    main()
