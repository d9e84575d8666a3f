"""Sharded writes and keyed reads through ShardGate over 4 real MariaDB shards.

10,000 orders go in through the proxy (single-row and multi-row INSERTs, INSERT ... SET,
REPLACE, UPDATE and DELETE by key); then every backend is read directly and each row must
sit on exactly the shard the strategy names, nowhere else. Point selects and IN-lists
through ShardGate must return the rows; statements that cannot be routed safely must be
refused with a clear error. A broadcast table (shops) has an identical copy on every shard
after writes through the proxy, and joins with orders on whichever shard they run.
"""
import datetime
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import pymysql  # noqa: E402
import pymysql.constants.CLIENT  # noqa: E402,F401

from harness import testbase  # noqa: E402
from harness.netutil import LOOPBACK  # noqa: E402

SCHEMA = "shardtest"
CUTOVER = datetime.date(2026, 12, 1)


def sharding_config(names):
    s = names
    return {
        SCHEMA: {
            "default_cluster": s[0],
            "tables": {
                "orders": {
                    "shard_key": "order_no",
                    "key": {"kind": "order_number", "pattern": r"^ORD(?<date>\d{8})(?<seq>\d{8})$"},
                    "strategy": {"kind": "hash", "function": "modulo", "shards": [s[0], s[1]]},
                    "generations": [{"since": CUTOVER.isoformat(), "shards": list(s)}],
                },
                "order_items": {"shard_key": "order_no", "same_as": "orders"},
                "members": {
                    "shard_key": "member_id",
                    "key": "integer",
                    "strategy": {"kind": "range", "ranges": [
                        {"below": 1000, "cluster": s[0]}, {"below": 2000, "cluster": s[1]},
                        {"below": 3000, "cluster": s[2]}, {"cluster": s[3]}]},
                },
                # A copy on every shard: reads go to one, writes to all.
                "shops": {"broadcast": True},
            },
        }
    }


def expected_shard(order_no, names):
    day = datetime.date(int(order_no[3:7]), int(order_no[7:9]), int(order_no[9:11]))
    seq = int(order_no[11:])
    shards = list(names) if day >= CUTOVER else [names[0], names[1]]
    return shards[seq % len(shards)]


def order_no(day, seq):
    return f"ORD{day:%Y%m%d}{seq:08d}"


@testbase.proxy_only
class ShardingTest(testbase.ProxyTestCase):
    @classmethod
    def setUpClass(cls):
        cls.servers = testbase.fixture_servers()
        assert len(cls.servers) >= 4, "the sharding test needs 4 fixture servers"
        cls.shards = cls.servers[:4]
        cls.names = [s.name for s in cls.shards]
        # Start from a clean schema on every shard (directly, not through the proxy).
        for s in cls.shards:
            with s.connect() as c, c.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS {SCHEMA}")
        clusters = {s.name: f"{LOOPBACK}:{s.port}" for s in cls.shards}
        cls.proxy = testbase.start_proxy(cls.__name__, clusters, default_cluster=cls.names[0],
                                         schemas=sharding_config(cls.names))
        cls.port = cls.proxy.port

    def direct_rows(self, server, sql):
        with server.connect(db=SCHEMA) as c, c.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    def conn(self, **kw):
        return self.connect(db=SCHEMA, **kw)

    def test_1_ddl_fans_out(self):
        c = self.connect()
        with c, c.cursor() as cur:
            cur.execute(f"CREATE DATABASE {SCHEMA}")
            cur.execute(f"USE {SCHEMA}")
            cur.execute("CREATE TABLE orders (order_no CHAR(19) PRIMARY KEY, member_id BIGINT NOT NULL,"
                        " total DECIMAL(12,2) NOT NULL, note VARCHAR(100) NULL) DEFAULT CHARSET=utf8mb4")
            cur.execute("CREATE TABLE order_items (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
                        " order_no CHAR(19) NOT NULL, sku VARCHAR(20) NOT NULL, KEY (order_no))")
            cur.execute("CREATE TABLE members (member_id BIGINT PRIMARY KEY, name VARCHAR(50))")
            cur.execute("CREATE TABLE notes (id INT PRIMARY KEY, text VARCHAR(50))")
        for s in self.shards:
            tables = {r[0] for r in self.direct_rows(s, "SHOW TABLES")}
            self.assertTrue({"orders", "order_items", "members"} <= tables, (s.name, tables))
            # The unsharded table lives on the default cluster only.
            self.assertEqual("notes" in tables, s.name == self.names[0], (s.name, tables))
        # A DDL that fails on some shards says which ones (and where it was applied).
        with self.shards[2].connect(db=SCHEMA) as d, d.cursor() as cur:
            cur.execute("ALTER TABLE orders ADD COLUMN extra INT NULL")
        c = self.conn()
        with c, c.cursor() as cur:
            with self.assertRaises(pymysql.MySQLError) as e:
                cur.execute("ALTER TABLE orders ADD COLUMN extra INT NULL")
            self.assertEqual(e.exception.args[0], 1060)  # ER_DUP_FIELDNAME from shard 2
            self.assertIn(self.names[2], e.exception.args[1])
            self.assertIn("WAS applied on shard(s) " + ", ".join(n for n in self.names if n != self.names[2]),
                          e.exception.args[1])
            cur.execute("ALTER TABLE orders DROP COLUMN extra")  # now the same everywhere again
        for s in self.shards:
            cols = [r[0] for r in self.direct_rows(s, "SHOW COLUMNS FROM orders")]
            self.assertNotIn("extra", cols, s.name)

    def test_9_admin_route_endpoint(self):
        """GET /route on the admin port answers where a key (or a statement) goes, as the
        proxy routes it: checked against the shard each order landed on in test_2."""
        import json
        import urllib.error
        import urllib.parse
        import urllib.request

        def get(query):
            url = f"http://{LOOPBACK}:{self.proxy.admin_port}/route?{urllib.parse.urlencode(query)}"
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())
        for day, seq in ((CUTOVER - datetime.timedelta(days=1), 7), (CUTOVER, 6), (CUTOVER, 7)):
            key = order_no(day, seq)
            status, body = get({"table": "orders", "key": key})
            self.assertEqual(status, 200, body)
            self.assertEqual(body["clusters"], [expected_shard(key, self.names)], body)
            rows = self.direct_rows(self.shards[self.names.index(body["clusters"][0])],
                                    f"SELECT COUNT(*) FROM orders WHERE order_no = '{key}'")
            self.assertEqual(rows[0][0], 1, f"{key} is not on {body['clusters'][0]}")
        status, body = get({"sql": "SELECT * FROM members WHERE member_id = 1500"})
        self.assertEqual((status, body["action"], body["clusters"]), (200, "single", [self.names[1]]))
        status, body = get({"table": "orders", "key": "not-an-order"})
        self.assertEqual(status, 422)
        self.assertIn("is not a valid order_number", body["error"]["message"])
        status, body = get({"key": "1"})
        self.assertEqual(status, 400)

    def test_2_ten_thousand_orders_land_on_their_shards(self):
        rng = random.Random(7)
        days = [CUTOVER + datetime.timedelta(days=d) for d in range(-5, 5)]  # both generations
        keys = [order_no(day, seq) for day in days for seq in range(1, 1001)]
        rng.shuffle(keys)
        assert len(keys) == 10000
        totals = {k: rng.randint(1, 99999) / 100 for k in keys}
        c = self.conn()
        with c, c.cursor() as cur:
            i = 0
            # 200 single-row INSERTs
            for k in keys[i:i + 200]:
                n = cur.execute("INSERT INTO orders (order_no, member_id, total) VALUES (%s, %s, %s)",
                                (k, 1, totals[k]))
                self.assertEqual(n, 1)
            i += 200
            # 100 INSERT ... SET
            for k in keys[i:i + 100]:
                cur.execute("INSERT INTO orders SET order_no = %s, member_id = 2, total = %s", (k, totals[k]))
            i += 100
            # multi-row INSERTs of 50 rows, split over the shards
            while i < 9600:
                batch = keys[i:i + 50]
                values = ", ".join(["(%s, %s, %s)"] * len(batch))
                args = [x for k in batch for x in (k, 3, totals[k])]
                n = cur.execute("INSERT INTO orders (order_no, member_id, total) VALUES " + values, args)
                self.assertEqual(n, len(batch), "affected rows of a split INSERT are summed")
                i += 50
            # REPLACE for the rest (new rows), 40 per statement
            while i < 10000:
                batch = keys[i:i + 40]
                values = ", ".join(["(%s, %s, %s)"] * len(batch))
                args = [x for k in batch for x in (k, 4, totals[k])]
                cur.execute("REPLACE INTO orders (order_no, member_id, total) VALUES " + values, args)
                i += 40
            # UPDATE by key (single and IN-list), REPLACE an existing row, DELETE by key
            for k in keys[:300]:
                totals[k] = totals[k] + 1
                self.assertEqual(cur.execute("UPDATE orders SET total = %s WHERE order_no = %s", (totals[k], k)), 1)
            in_keys = keys[300:340]
            n = cur.execute("UPDATE orders SET note = 'bulk' WHERE order_no IN %s", (in_keys,))
            self.assertEqual(n, 40, "affected rows of an IN-list UPDATE over several shards")
            for k in keys[340:360]:
                totals[k] = 7.5
                cur.execute("REPLACE INTO orders (order_no, member_id, total) VALUES (%s, 5, 7.5)", (k,))
            deleted = set(keys[360:460])
            for k in keys[360:410]:
                self.assertEqual(cur.execute("DELETE FROM orders WHERE order_no = %s", (k,)), 1)
            n = cur.execute("DELETE FROM orders WHERE order_no IN %s", (keys[410:460],))
            self.assertEqual(n, 50)

        # Every row exactly where the strategy says, nowhere else.
        seen = {}
        for s in self.shards:
            for k, total, note in self.direct_rows(s, "SELECT order_no, total, note FROM orders"):
                self.assertNotIn(k, seen, f"{k} is on {seen.get(k)} and {s.name}")
                seen[k] = s.name
                self.assertEqual(s.name, expected_shard(k, self.names), k)
                self.assertAlmostEqual(float(total), totals[k], places=2)
                self.assertEqual(note, "bulk" if k in in_keys else None)
        self.assertEqual(set(seen), set(keys) - deleted)
        per_shard = {n: sum(1 for v in seen.values() if v == n) for n in self.names}
        self.assertTrue(all(v > 1000 for v in per_shard.values()), per_shard)

        # Reads through the proxy: point selects, IN-lists, scatter.
        c = self.conn()
        with c, c.cursor() as cur:
            for k in rng.sample(sorted(set(keys) - deleted), 200):
                cur.execute("SELECT order_no, total FROM orders WHERE order_no = %s", (k,))
                rows = cur.fetchall()
                self.assertEqual(len(rows), 1, k)
                self.assertAlmostEqual(float(rows[0][1]), totals[k], places=2)
            some = keys[450:470]  # ten deleted, ten present
            cur.execute("SELECT order_no FROM orders WHERE order_no IN %s", (some,))
            self.assertEqual({r[0] for r in cur.fetchall()}, set(some) - deleted)
            cur.execute("SELECT order_no FROM orders WHERE total >= 0")
            self.assertEqual(len(cur.fetchall()), 10000 - len(deleted))
            cur.execute("SELECT order_no FROM orders WHERE order_no = %s", (keys[400],))
            self.assertEqual(cur.fetchall(), ())

    def test_3_last_insert_id_and_co_location(self):
        c = self.conn()
        with c, c.cursor() as cur:
            day = CUTOVER + datetime.timedelta(days=30)
            k1, k2 = order_no(day, 1), order_no(day, 2)  # shards 1 and 2
            n = cur.execute("INSERT INTO order_items (order_no, sku) VALUES (%s, 'a'), (%s, 'b'), (%s, 'c')",
                            (k2, k1, k2))
            self.assertEqual(n, 3)
            first_id = cur.lastrowid
            # LAST_INSERT_ID is the id of the statement's first row, on its shard.
            rows = self.direct_rows(self.shards[2], f"SELECT id, sku FROM order_items WHERE order_no = '{k2}' ORDER BY id")
            self.assertEqual(rows[0], (first_id, "a"))
            self.assertEqual(self.direct_rows(self.shards[1], f"SELECT sku FROM order_items WHERE order_no = '{k1}'"),
                             (("b",),))
            # A join on the shard key pinned by one key runs on that shard.
            cur.execute("INSERT INTO orders (order_no, member_id, total) VALUES (%s, 9, 1)", (k2,))
            cur.execute("SELECT o.order_no, i.sku FROM orders o JOIN order_items i ON o.order_no = i.order_no"
                        " WHERE o.order_no = %s ORDER BY i.sku", (k2,))
            self.assertEqual(cur.fetchall(), ((k2, "a"), (k2, "c")))

    def test_4_refusals_are_clear(self):
        c = self.conn()
        cases = [
            ("UPDATE orders SET total = 0", 1235, "needs its shard key"),
            ("DELETE FROM orders WHERE total > 5", 1235, "needs its shard key"),
            ("UPDATE orders SET order_no = 'ORD2026112200000002' WHERE order_no = 'ORD2026112200000001'",
             1235, "change shard key"),
            ("INSERT INTO orders (order_no, member_id, total) VALUES ('ORDER-1', 1, 1)", 1525, "ORDER-1"),
            ("INSERT INTO orders (order_no, member_id, total) VALUES (NULL, 1, 1)", 1048, "cannot be null"),
            ("INSERT INTO orders (member_id, total) VALUES (1, 1)", 1364, "order_no"),
            ("SELECT ROW_NUMBER() OVER (ORDER BY total) FROM orders", 1235, "window function"),
            ("SELECT GROUP_CONCAT(order_no) FROM orders", 1235, "GROUP_CONCAT()"),
            ("SELECT * FROM orders o JOIN notes n ON n.id = o.member_id", 1235, "unsharded table notes"),
            ("SELECT * FROM orders WHERE order_no IN (SELECT order_no FROM order_items)", 1235, "subquery"),
        ]
        with c, c.cursor() as cur:
            for sql, code, text in cases:
                with self.assertRaises(pymysql.MySQLError, msg=sql) as e:
                    cur.execute(sql)
                self.assertEqual(e.exception.args[0], code, (sql, e.exception.args))
                self.assertIn(text, e.exception.args[1], sql)
            cur.execute("SELECT 1")  # the session is still usable
            self.assertEqual(cur.fetchall(), ((1,),))

    def test_5_transactions_stay_on_one_shard(self):
        day = CUTOVER + datetime.timedelta(days=31)
        k1, k3 = order_no(day, 101), order_no(day, 105)  # both on shard 1 (seq % 4 == 1)
        k2 = order_no(day, 102)  # shard 2
        c = self.conn()
        with c, c.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, member_id, total) VALUES (%s, 1, 1)", (k1,))
            cur.execute("SELECT COUNT(*) FROM orders WHERE order_no = %s", (k1,))
            self.assertEqual(cur.fetchall(), ((1,),))
            cur.execute("ROLLBACK")
            cur.execute("SELECT order_no FROM orders WHERE order_no = %s", (k1,))
            self.assertEqual(cur.fetchall(), ())
            # Writes on a second shard inside one transaction are refused; the transaction lives on.
            cur.execute("START TRANSACTION")
            cur.execute("INSERT INTO orders (order_no, member_id, total) VALUES (%s, 1, 1)", (k1,))
            with self.assertRaises(pymysql.MySQLError) as e:
                cur.execute("INSERT INTO orders (order_no, member_id, total) VALUES (%s, 1, 1)", (k2,))
            self.assertIn("cross-shard", e.exception.args[1])
            cur.execute("INSERT INTO orders (order_no, member_id, total) VALUES (%s, 1, 1)", (k3,))
            cur.execute("COMMIT")
        self.assertEqual(len(self.direct_rows(self.shards[1], f"SELECT 1 FROM orders WHERE order_no IN ('{k1}', '{k3}')")), 2)
        self.assertEqual(self.direct_rows(self.shards[2], f"SELECT 1 FROM orders WHERE order_no = '{k2}'"), ())
        # Multi-statement text for one shard runs as one.
        c = self.conn(client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS)
        with c, c.cursor() as cur:
            cur.execute(f"BEGIN; UPDATE orders SET total = 2 WHERE order_no = '{k1}'; COMMIT")
            while cur.nextset():
                pass
        self.assertEqual(float(self.direct_rows(self.shards[1], f"SELECT total FROM orders WHERE order_no = '{k1}'")[0][0]), 2.0)

    def test_6_range_strategy(self):
        c = self.conn()
        with c, c.cursor() as cur:
            n = cur.execute("INSERT INTO members (member_id, name) VALUES (5, 'a'), (1500, 'b'), (2500, 'c'), (99999, 'd')")
            self.assertEqual(n, 4)
            cur.execute("SELECT name FROM members WHERE member_id BETWEEN 1000 AND 2999")
            self.assertEqual(sorted(r[0] for r in cur.fetchall()), ["b", "c"])
        for server, want in zip(self.shards, [[5], [1500], [2500], [99999]]):
            self.assertEqual([r[0] for r in self.direct_rows(server, "SELECT member_id FROM members")], want)

    def copies(self, sql="SELECT id, name, city FROM shops ORDER BY id"):
        """The rows of every shard's copy of shops (read directly); all must be equal."""
        rows = [self.direct_rows(s, sql) for s in self.shards]
        for s, r in zip(self.shards[1:], rows[1:]):
            self.assertEqual(r, rows[0], f"the copy on {s.name} differs from the one on {self.names[0]}")
        return rows[0]

    def test_7_broadcast_table(self):
        c = self.conn()
        with c, c.cursor() as cur:
            # DDL reaches every copy.
            cur.execute("CREATE TABLE shops (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL,"
                        " city VARCHAR(50) NULL) DEFAULT CHARSET=utf8mb4")
            for s in self.shards:
                self.assertIn("shops", {r[0] for r in self.direct_rows(s, "SHOW TABLES")}, s.name)
            # Writes run on every copy; the client sees one copy's affected rows, not a sum.
            n = cur.execute("INSERT INTO shops (id, name, city) VALUES (1, 'north', 'Oslo'), (2, 'south', 'Rome'),"
                            " (3, 'east', 'Riga'), (4, 'west', 'Lima'), (5, 'spare', NULL)")
            self.assertEqual(n, 5)
            self.assertEqual(cur.execute("UPDATE shops SET city = 'Turin' WHERE id = 2"), 1)
            self.assertEqual(cur.execute("UPDATE shops SET city = 'Turin' WHERE id = 2"), 0)  # unchanged
            self.assertEqual(cur.execute("DELETE FROM shops WHERE id = 5"), 1)
            self.assertEqual(cur.execute("INSERT INTO shops (id, name) VALUES (3, 'east') "
                                         "ON DUPLICATE KEY UPDATE city = 'Tallinn'"), 2)
            self.assertEqual(cur.execute("REPLACE INTO shops (id, name, city) VALUES (6, 'new', 'Bern')"), 1)
            self.assertEqual(cur.execute("INSERT INTO shops SET id = 7, name = 'set', city = 'Kyiv'"), 1)
        expected = ((1, "north", "Oslo"), (2, "south", "Turin"), (3, "east", "Tallinn"), (4, "west", "Lima"),
                    (6, "new", "Bern"), (7, "set", "Kyiv"))
        self.assertEqual(self.copies(), expected)

        c = self.conn()
        with c, c.cursor() as cur:
            # A read of shops alone: one copy, with ORDER BY / aggregates as on one database.
            cur.execute("SELECT id, name, city FROM shops ORDER BY id")
            self.assertEqual(cur.fetchall(), expected)
            cur.execute("SELECT COUNT(*), MAX(id) FROM shops")
            self.assertEqual(cur.fetchall(), ((6, 7),))
            cur.execute("SELECT @@port FROM shops WHERE id = 1")  # on the first copy
            self.assertEqual(cur.fetchall(), ((self.shards[0].port,),))

            # Orders joined with shops: routed by the order key, answered by that shard's copy.
            day = CUTOVER + datetime.timedelta(days=40)
            keys = [order_no(day, seq) for seq in range(201, 209)]  # two per shard
            for i, k in enumerate(keys):
                cur.execute("INSERT INTO orders (order_no, member_id, total) VALUES (%s, %s, 4242.42)",
                            (k, [1, 2, 3, 4, 6, 7, 1, 2][i]))
            names = {1: "north", 2: "south", 3: "east", 4: "west", 6: "new", 7: "set"}
            for i, k in enumerate(keys):
                cur.execute("SELECT o.order_no, s.name, @@port FROM orders o JOIN shops s ON s.id = o.member_id"
                            " WHERE o.order_no = %s", (k,))
                rows = cur.fetchall()
                shard = expected_shard(k, self.names)
                port = next(s.port for s in self.shards if s.name == shard)
                self.assertEqual(rows, ((k, names[[1, 2, 3, 4, 6, 7, 1, 2][i]], port),), k)
            # Several shards (an IN-list, or no key): each joins its orders with its own copy.
            cur.execute("SELECT o.order_no, s.city FROM orders o JOIN shops s ON s.id = o.member_id"
                        " WHERE o.order_no IN %s", (keys[:4],))
            self.assertEqual(sorted(cur.fetchall()),
                             [(keys[0], "Oslo"), (keys[1], "Turin"), (keys[2], "Tallinn"), (keys[3], "Lima")])
            cur.execute("SELECT o.order_no, s.name FROM orders o JOIN shops s ON s.id = o.member_id"
                        " WHERE o.total = 4242.42")
            self.assertEqual(sorted(cur.fetchall()),
                             sorted((k, names[m]) for k, m in zip(keys, [1, 2, 3, 4, 6, 7, 1, 2])))
            cur.execute("SELECT order_no FROM orders WHERE order_no = %s AND member_id IN"
                        " (SELECT id FROM shops WHERE city = 'Turin')", (keys[1],))
            self.assertEqual(cur.fetchall(), ((keys[1],),))

            # A write naming shops and orders is refused: nothing changes anywhere.
            for sql in ["UPDATE shops s JOIN orders o ON o.member_id = s.id SET s.name = 'x' WHERE o.order_no = %s",
                        "UPDATE orders o JOIN shops s ON o.member_id = s.id SET o.total = 1 WHERE o.order_no = %s",
                        "DELETE o FROM orders o JOIN shops s ON o.member_id = s.id WHERE o.order_no = %s"]:
                with self.assertRaises(pymysql.MySQLError, msg=sql) as e:
                    cur.execute(sql, (keys[0],))
                self.assertEqual(e.exception.args[0], 1235, e.exception.args)
                self.assertIn("broadcast table shops and sharded table orders", e.exception.args[1])
                self.assertIn("copies diverge", e.exception.args[1])
            # Statements whose result would differ between the copies are refused too.
            for sql, text in [("UPDATE shops SET city = 'x' LIMIT 1", "ORDER BY or LIMIT"),
                              ("INSERT INTO shops (id, name) VALUES (99, UUID())", "UUID()")]:
                with self.assertRaises(pymysql.MySQLError, msg=sql) as e:
                    cur.execute(sql)
                self.assertEqual(e.exception.args[0], 1235, e.exception.args)
                self.assertIn(text, e.exception.args[1])
        self.assertEqual(self.copies(), expected)
        totals = [r for s in self.shards
                  for r in self.direct_rows(s, "SELECT total FROM orders WHERE order_no IN ('%s')" % "', '".join(keys))]
        self.assertEqual([float(r[0]) for r in totals], [4242.42] * len(keys))

    def test_8_broadcast_failures_and_transactions(self):
        # A copy that refuses the write: the client learns where it was and was not applied.
        with self.shards[2].connect(db=SCHEMA) as d, d.cursor() as cur:
            cur.execute("INSERT INTO shops (id, name) VALUES (100, 'only here')")
        c = self.conn()
        with c, c.cursor() as cur:
            with self.assertRaises(pymysql.MySQLError) as e:
                cur.execute("INSERT INTO shops (id, name) VALUES (100, 'everywhere')")
            self.assertEqual(e.exception.args[0], 1062, e.exception.args)  # ER_DUP_ENTRY from shard 2
            msg = e.exception.args[1]
            self.assertIn("write to broadcast table shops failed on shard(s) " + self.names[2], msg)
            self.assertIn("WAS applied on shard(s) " + ", ".join(n for n in self.names if n != self.names[2]), msg)
            self.assertIn("copies now differ", msg)
            # Repaired through the proxy: the DELETE runs on every copy.
            self.assertEqual(cur.execute("DELETE FROM shops WHERE id = 100"), 1)
        for s in self.shards:
            self.assertEqual(self.direct_rows(s, "SELECT COUNT(*) FROM shops WHERE id = 100"), ((0,),), s.name)
        before = self.copies()

        day = CUTOVER + datetime.timedelta(days=41)
        k1 = order_no(day, 301)  # shard 1
        c = self.conn()
        with c, c.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO orders (order_no, member_id, total) VALUES (%s, 1, 1)", (k1,))
            # A read of shops joins the transaction on its shard (which has a copy).
            cur.execute("SELECT @@port, name FROM shops WHERE id = 1")
            self.assertEqual(cur.fetchall(), ((self.shards[1].port, "north"),))
            # A write to every copy is a cross-shard write: refused, the transaction lives on.
            with self.assertRaises(pymysql.MySQLError) as e:
                cur.execute("UPDATE shops SET city = 'Bergen' WHERE id = 1")
            self.assertEqual(e.exception.args[0], 1235, e.exception.args)
            self.assertIn("cross-shard", e.exception.args[1])
            cur.execute("SELECT COUNT(*) FROM orders WHERE order_no = %s", (k1,))
            self.assertEqual(cur.fetchall(), ((1,),))
            cur.execute("ROLLBACK")
            # Outside the transaction: the first copy again.
            cur.execute("SELECT @@port FROM shops WHERE id = 1")
            self.assertEqual(cur.fetchall(), ((self.shards[0].port,),))
            # With autocommit off every write is in a transaction.
            cur.execute("SET autocommit = 0")
            with self.assertRaises(pymysql.MySQLError) as e:
                cur.execute("DELETE FROM shops WHERE id = 1")
            self.assertIn("cross-shard", e.exception.args[1])
            cur.execute("ROLLBACK")
            cur.execute("SET autocommit = 1")
        self.assertEqual(self.copies(), before)
        self.assertEqual(self.direct_rows(self.shards[1], f"SELECT 1 FROM orders WHERE order_no = '{k1}'"), ())
        # DROP reaches every copy.
        c = self.conn()
        with c, c.cursor() as cur:
            cur.execute("DROP TABLE shops")
        for s in self.shards:
            self.assertNotIn("shops", {r[0] for r in self.direct_rows(s, "SHOW TABLES")}, s.name)


if __name__ == "__main__":
    testbase.main()
