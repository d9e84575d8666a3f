#!/usr/bin/python3
"""Live configuration reloads (issue 7) under load. One shard is a real MariaDB replication
pair, the other a single server. While clients run point selects and transactions without
pause, the configuration is reloaded 20 times through POST /reload - alternating two valid
files, one of which adds the pair's replica as a reader and changes a rate limit - and 5
times with an invalid file. No statement may fail, the invalid files must change nothing,
the pools of unchanged endpoints must be kept, and the metrics must count the reloads.
SIGHUP and the file watcher reload too."""
import json
import os
import re
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness import replication as repl  # noqa: E402
from harness.netutil import LOOPBACK, free_ports, tail, wait_until  # noqa: E402
from harness.shardgate_process import to_yaml  # noqa: E402
from harness.testbase import DIRECT, OWN_SERVER_PORTS, fixture_servers, main, start_proxy, workdir  # noqa: E402
from test_operations import http, scrape, total, value  # noqa: E402

DB = "reloadtest"
ROWS = 200

INVALID = [
    ("yaml syntax", "listen: [\n"),
    ("unknown key", None),  # built from the valid config below
    ("unknown shard", None),
    ("reader is the writer", None),
    ("bad number", None),
]


@unittest.skipIf(DIRECT, "needs ShardGate")
class ReloadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        base = workdir("reload-pair")
        ports = free_ports(*OWN_SERVER_PORTS, count=2)
        cls.primary, cls.replica = repl.start_pair("reload", ports[0], ports[1], base)
        cls.addClassCleanup(cls.primary.stop)
        cls.addClassCleanup(cls.replica.stop)
        cls.single = fixture_servers()[0]
        create = f"CREATE TABLE {DB}.items (id INT PRIMARY KEY, v VARCHAR(20))"
        cls.single.sql(f"DROP DATABASE IF EXISTS {DB}")
        cls.single.sql(f"CREATE DATABASE {DB}")
        cls.single.sql(create)
        app = cls.primary.connect()
        with app.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {DB}")
            cur.execute(f"CREATE DATABASE {DB}")
            cur.execute(create)
        app.close()
        cls.proxy = start_proxy("Reload", cls.clusters(False), default_cluster="pair",
                                schemas=cls.schemas(), users=cls.users(None),
                                routing={"reads": "readers"}, top={"reload": {"watch": False}})
        # Rows through the proxy (odd ids on the pair, even on the single server).
        c = cls.connect()
        with c, c.cursor() as cur:
            cur.executemany("INSERT INTO items (id, v) VALUES (%s, %s)",
                            [(i, f"v{i}") for i in range(ROWS)])
        repl.wait_caught_up(cls.primary, cls.replica)

    @classmethod
    def tearDownClass(cls):
        sys.stderr.write(f"\n[reload] proxy log:\n{tail(cls.proxy.log_path, 15)}\n")
        cls.proxy.stop_and_check()

    @classmethod
    def clusters(cls, with_reader):
        pair = {"writer": f"{LOOPBACK}:{cls.primary.port}", "user": "app", "password": "app",
                "health": {"interval_ms": 200, "timeout_ms": 500}, "max_replica_lag_ms": 3000}
        if with_reader:
            pair["readers"] = [f"{LOOPBACK}:{cls.replica.port}"]
        return {"pair": pair, "single": {"writer": f"{LOOPBACK}:{cls.single.port}",
                                         "user": "app", "password": "app"}}

    @staticmethod
    def schemas():
        return {DB: {"default_cluster": "pair", "tables": {"items": {
            "shard_key": "id", "key": {"kind": "integer"},
            "strategy": {"kind": "hash", "function": "modulo", "shards": ["single", "pair"]}}}}}

    @staticmethod
    def users(qps):
        u = {"name": "app", "password": "app", "default_schema": DB}
        if qps:
            u["rate_limit"] = {"queries_per_second": qps, "burst": qps}
        return [u]

    @classmethod
    def variant(cls, with_reader):
        cfg = json.loads(json.dumps(cls.proxy.config))
        cfg["clusters"] = cls.clusters(with_reader)
        cfg["users"] = cls.users(200000 if with_reader else None)
        return cfg

    @classmethod
    def write_config(cls, cfg):
        text = cfg if isinstance(cfg, str) else to_yaml(cfg) + "\n"
        tmp = cls.proxy.config_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, cls.proxy.config_path)

    @classmethod
    def connect(cls):
        return pymysql.connect(host=LOOPBACK, port=cls.proxy.port, user="app", password="app",
                               database=DB, autocommit=True, read_timeout=30)

    def invalid_text(self, kind, valid):
        cfg = json.loads(json.dumps(valid))
        if kind == "unknown key":
            cfg["listen"]["prot"] = 1
        elif kind == "unknown shard":
            cfg["schemas"][DB]["tables"]["items"]["strategy"]["shards"] = ["single", "nowhere"]
        elif kind == "reader is the writer":
            cfg["clusters"]["pair"]["readers"] = [cfg["clusters"]["pair"]["writer"]]
        elif kind == "bad number":
            cfg["clusters"]["pair"]["pool"] = {"max_connections": -3}
        return to_yaml(cfg) + "\n"

    def config_checksum(self):
        status, body = http(self.proxy.admin_port, "/config")
        self.assertEqual(status, 200)
        return re.search(r"sha256 ([0-9a-f]{64})", body.splitlines()[0]).group(1)

    def generation(self):
        m = scrape(self.proxy.admin_port)
        return int(dict(next(k for k in m if k[0] == "shardgate_config_info")[1])["generation"])

    def test_1_reloads_under_load(self):
        stop = threading.Event()
        failures, counts = [], {"reads": 0, "txns": 0}

        def reader():
            try:
                c = self.connect()
                with c, c.cursor() as cur:
                    i = 0
                    while not stop.is_set():
                        k = i % ROWS
                        cur.execute("SELECT v FROM items WHERE id = %s", (k,))
                        row = cur.fetchone()
                        if row != (f"v{k}",):
                            failures.append(f"id {k}: {row!r}")
                        counts["reads"] += 1
                        i += 1
            except Exception as e:  # noqa: BLE001
                failures.append(f"reader: {e!r}")

        def writer():
            try:
                c = self.connect()
                with c, c.cursor() as cur:
                    n = 0
                    while not stop.is_set():
                        k = 1000 + (n % 2)  # one key on each shard
                        cur.execute("BEGIN")
                        cur.execute("INSERT INTO items (id, v) VALUES (%s, %s) "
                                    "ON DUPLICATE KEY UPDATE v = VALUES(v)", (k, str(n)))
                        cur.execute("SELECT v FROM items WHERE id = %s", (k,))
                        if cur.fetchone() != (str(n),):
                            failures.append(f"txn {n}: read its own write wrong")
                        cur.execute("COMMIT")
                        counts["txns"] += 1
                        n += 1
            except Exception as e:  # noqa: BLE001
                failures.append(f"writer: {e!r}")

        threads = [threading.Thread(target=reader) for _ in range(2)] + [threading.Thread(target=writer)]
        for t in threads:
            t.start()
        admin = self.proxy.admin_port
        before = scrape(admin)
        generation = self.generation()
        valid = [self.variant(True), self.variant(False)]
        invalid_at = {3, 8, 12, 17, 22}
        bad = iter(INVALID)
        ok = 0
        try:
            for step in range(25):
                time.sleep(0.15)
                if step in invalid_at:
                    kind, text = next(bad)
                    checksum = self.config_checksum()
                    self.write_config(text or self.invalid_text(kind, valid[0]))
                    status, body = http(admin, "/reload", "POST")
                    self.assertEqual(status, 422, f"{kind}: {body}")
                    answer = json.loads(body)
                    self.assertEqual(answer["result"], "failed")
                    self.assertRegex(answer["error"], r"\.yaml:\d+:\d+: ", kind)
                    self.assertEqual(self.config_checksum(), checksum, f"{kind} changed the config")
                    continue
                cfg = valid[ok % 2]
                ok += 1
                self.write_config(cfg)
                status, body = http(admin, "/reload", "POST")
                self.assertEqual(status, 200, body)
                answer = json.loads(body)
                generation += 1
                self.assertEqual(answer["generation"], generation, body)
                self.assertIn("clusters.pair.readers", answer["changes"])
                if ok % 2 == 1:  # the reader is in: reads reach it before the next reload
                    wait_until(lambda: total(scrape(admin), "shardgate_reader_statements_total",
                                             cluster="pair") > total(before, "shardgate_reader_statements_total",
                                                                     cluster="pair"),
                               10, what="reads on the new reader")
        finally:
            time.sleep(0.3)
            stop.set()
            for t in threads:
                t.join(30)
        self.assertEqual(failures, [])
        self.assertGreater(counts["reads"], 100)
        self.assertGreater(counts["txns"], 20)
        after = scrape(admin)
        self.assertEqual(value(after, "shardgate_config_reloads_total", result="ok")
                         - value(before, "shardgate_config_reloads_total", result="ok"), 20)
        self.assertEqual(value(after, "shardgate_config_reloads_total", result="failed")
                         - value(before, "shardgate_config_reloads_total", result="failed"), 5)
        self.assertEqual(self.generation(), generation)
        # The single server's endpoint never changed: its pools were kept (a few logins at
        # most, not one per reload and worker).
        single = f"{LOOPBACK}:{self.single.port}"
        grown = (value(after, "shardgate_backend_connects_total", cluster="single", endpoint=single)
                 - value(before, "shardgate_backend_connects_total", cluster="single", endpoint=single))
        self.assertLessEqual(grown, 4, "the unchanged endpoint's pools were rebuilt")
        # The last valid file has no reader: no pool for the replica is left.
        self.assertNotIn(("shardgate_backend_writer", frozenset({("cluster", "pair"), (
            "endpoint", f"{LOOPBACK}:{self.replica.port}")})), after)

    def test_2_sighup_and_the_file_watcher(self):
        admin = self.proxy.admin_port
        generation = self.generation()
        cfg = self.variant(True)
        self.write_config(cfg)
        os.kill(self.proxy.pid, signal.SIGHUP)
        wait_until(lambda: self.generation() == generation + 1, 10, what="the SIGHUP reload")
        cfg = self.variant(False)
        cfg["reload"] = {"watch": True, "interval_ms": 100}
        self.write_config(cfg)
        os.kill(self.proxy.pid, signal.SIGHUP)
        wait_until(lambda: self.generation() == generation + 2, 10, what="the second SIGHUP reload")
        # Now the file is watched: an edit alone reloads it.
        cfg["users"] = self.users(50000)
        self.write_config(cfg)
        wait_until(lambda: self.generation() == generation + 3, 10, what="the watcher's reload")
        status, body = http(admin, "/config")
        self.assertIn("50000", body)
        # An invalid edit is refused once (not at every poll) and changes nothing.
        failed = value(scrape(admin), "shardgate_config_reloads_total", result="failed")
        self.write_config("clusters: {\n")
        wait_until(lambda: value(scrape(admin), "shardgate_config_reloads_total", result="failed")
                   == failed + 1, 10, what="the failed reload")
        time.sleep(0.5)
        self.assertEqual(value(scrape(admin), "shardgate_config_reloads_total", result="failed"),
                         failed + 1)
        self.assertEqual(self.generation(), generation + 3)
        self.assertIn("config reload (file changed) failed", self.proxy.log_text())
        c = self.connect()
        with c, c.cursor() as cur:
            cur.execute("SELECT v FROM items WHERE id = 3")
            self.assertEqual(cur.fetchone(), ("v3",))

    def test_3_two_phase_commit_needs_a_restart(self):
        """Turning cross_shard: xa on needs the decision log opened at start: the reload is
        refused (and says why), and nothing changes."""
        generation = self.generation()
        cfg = self.variant(False)
        cfg["reload"] = {"watch": False}
        cfg["transactions"] = {"cross_shard": "xa", "xa_log": "xa.log", "xa_name": "reloadtest"}
        self.write_config(cfg)
        status, body = http(self.proxy.admin_port, "/reload", "POST")
        self.assertEqual(status, 422, body)
        self.assertIn("restart ShardGate to turn two-phase commit on", json.loads(body)["error"])
        self.assertEqual(self.generation(), generation)
        del cfg["transactions"]
        self.write_config(cfg)
        self.assertEqual(http(self.proxy.admin_port, "/reload", "POST")[0], 200)


if __name__ == "__main__":
    main()
