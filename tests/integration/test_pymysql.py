#!/usr/bin/python3
"""PyMySQL through ShardGate: CRUD, types, 20 MB packets, transactions, session state, concurrency."""
import datetime
import decimal
import hashlib
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402
from pymysql.constants import CLIENT  # noqa: E402

from harness.testbase import ProxyTestCase, main  # noqa: E402

KOREAN = "주문 메모: 빠른 배송 부탁드립니다 🚚 — 감사합니다"


class PyMySQLTest(ProxyTestCase):
    proxy_kwargs = {"max_packet_bytes": 64 * 1024 * 1024}  # the 20 MB BLOB must fit

    def setUp(self):
        self.conn = self.connect(db="shop")
        self.cur = self.conn.cursor()

    def tearDown(self):
        self.conn.close()

    def fresh_table(self, name, ddl):
        self.cur.execute(f"DROP TABLE IF EXISTS {name}")
        self.cur.execute(f"CREATE TABLE {name} ({ddl}) DEFAULT CHARSET=utf8mb4")

    def test_connect_with_and_without_db(self):
        with self.connect() as c, c.cursor() as cur:
            cur.execute("SELECT DATABASE(), CURRENT_USER()")
            db, user = cur.fetchone()
            self.assertIsNone(db)
            self.assertTrue(user.startswith("app@"), user)
        self.cur.execute("SELECT DATABASE()")
        self.assertEqual(self.cur.fetchone()[0], "shop")

    def test_crud(self):
        self.fresh_table("pm_crud", "id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20), qty INT")
        n = self.cur.executemany("INSERT INTO pm_crud (name, qty) VALUES (%s, %s)", [("a", 1), ("b", 2), ("c", 3)])
        self.assertEqual(n, 3)
        self.cur.execute("INSERT INTO pm_crud (name, qty) VALUES ('d', 4)")
        self.assertEqual(self.cur.lastrowid, 4)
        self.assertEqual(self.cur.execute("UPDATE pm_crud SET qty = qty * 10 WHERE qty >= 2"), 3)
        self.assertEqual(self.cur.execute("DELETE FROM pm_crud WHERE name = 'a'"), 1)
        self.cur.execute("SELECT name, qty FROM pm_crud ORDER BY id")
        self.assertEqual(self.cur.fetchall(), (("b", 20), ("c", 30), ("d", 40)))
        self.assertEqual([d[0] for d in self.cur.description], ["name", "qty"])

    def test_multirow_and_nulls(self):
        self.cur.execute("SELECT seq, IF(seq % 3 = 0, NULL, CONCAT('r', seq)) FROM seq_1_to_5000")
        rows = self.cur.fetchall()
        self.assertEqual(len(rows), 5000)
        self.assertEqual(rows[0], (1, "r1"))
        self.assertEqual(rows[2], (3, None))
        self.assertEqual(sum(1 for r in rows if r[1] is None), 1666)
        self.cur.execute("SELECT NULL, '', 0")
        self.assertEqual(self.cur.fetchone(), (None, "", 0))

    def test_korean_utf8mb4_round_trip(self):
        self.fresh_table("pm_text", "id INT PRIMARY KEY, note VARCHAR(200)")
        self.cur.execute("INSERT INTO pm_text VALUES (1, %s), (2, NULL)", (KOREAN,))
        self.cur.execute("SELECT note, CHAR_LENGTH(note), HEX(note) FROM pm_text ORDER BY id")
        rows = self.cur.fetchall()
        self.assertEqual(rows[0][0], KOREAN)
        self.assertEqual(rows[0][1], len(KOREAN))
        self.assertEqual(bytes.fromhex(rows[0][2]).decode("utf-8"), KOREAN)
        self.assertEqual(rows[1], (None, None, None))

    def test_decimal_datetime_blob(self):
        self.fresh_table("pm_types", "id INT PRIMARY KEY, amount DECIMAL(12,2), at DATETIME(3), b BLOB, f DOUBLE")
        blob = bytes(range(256)) * 4 + b"\x00\x00'\"\\\x1a"
        at = datetime.datetime(2026, 11, 22, 23, 59, 58, 123000)
        self.cur.execute("INSERT INTO pm_types VALUES (1, %s, %s, %s, %s)",
                         (decimal.Decimal("1234567890.12"), at, blob, 2.5))
        self.cur.execute("SELECT amount, at, b, f, LENGTH(b) FROM pm_types")
        amount, got_at, got_blob, f, ln = self.cur.fetchone()
        self.assertEqual(amount, decimal.Decimal("1234567890.12"))
        self.assertEqual(got_at, at)
        self.assertEqual(got_blob, blob)
        self.assertEqual((f, ln), (2.5, len(blob)))

    def test_20mb_blob_round_trip(self):
        size = 20 * 1024 * 1024
        chunk = hashlib.sha256(b"shardgate").digest() * 1024
        blob = (chunk * (size // len(chunk) + 1))[:size - 7] + b"\x00\xff'\\end"
        digest = hashlib.sha256(blob).hexdigest()
        with self.connect(db="shop", max_allowed_packet=64 * 1024 * 1024) as c, c.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS pm_big")
            cur.execute("CREATE TABLE pm_big (id INT PRIMARY KEY, b LONGBLOB)")
            cur.execute("INSERT INTO pm_big VALUES (1, %s)", (blob,))  # > 16 MiB client->server
            cur.execute("SELECT SHA2(b, 256), LENGTH(b) FROM pm_big")
            self.assertEqual(cur.fetchone(), (digest, size))
            cur.execute("SELECT b FROM pm_big WHERE id = 1")  # > 16 MiB server->client
            got = cur.fetchone()[0]
            self.assertEqual(len(got), size)
            self.assertEqual(hashlib.sha256(got).hexdigest(), digest)
            cur.execute("SELECT 'still in sync'")
            self.assertEqual(cur.fetchone()[0], "still in sync")
            cur.execute("DROP TABLE pm_big")

    def test_transactions(self):
        self.fresh_table("pm_tx", "id INT PRIMARY KEY")
        self.cur.execute("ALTER TABLE pm_tx ENGINE=InnoDB")
        self.cur.execute("BEGIN")
        self.cur.execute("INSERT INTO pm_tx VALUES (1)")
        self.cur.execute("ROLLBACK")
        self.cur.execute("SELECT COUNT(*) FROM pm_tx")
        self.assertEqual(self.cur.fetchone()[0], 0)
        self.cur.execute("BEGIN")
        self.cur.execute("INSERT INTO pm_tx VALUES (2)")
        self.cur.execute("COMMIT")
        self.conn.autocommit(False)
        self.cur.execute("INSERT INTO pm_tx VALUES (3)")
        with self.connect(db="shop") as other, other.cursor() as oc:  # uncommitted row invisible
            oc.execute("SELECT id FROM pm_tx ORDER BY id")
            self.assertEqual(oc.fetchall(), ((2,),))
        self.conn.commit()
        self.cur.execute("INSERT INTO pm_tx VALUES (4)")
        self.conn.rollback()
        self.conn.autocommit(True)
        self.assertEqual(self.query("SELECT id FROM pm_tx ORDER BY id", db="shop"), ((2,), (3,)))
        direct = self.backend.sql("SELECT id FROM shop.pm_tx ORDER BY id")
        self.assertEqual(direct, [(2,), (3,)])

    def test_session_state_use_and_names(self):
        self.cur.execute("CREATE DATABASE IF NOT EXISTS pm_other")
        self.cur.execute("DROP TABLE IF EXISTS pm_other.only_here")
        self.cur.execute("CREATE TABLE pm_other.only_here (v VARCHAR(10))")
        self.cur.execute("INSERT INTO pm_other.only_here VALUES ('other')")
        self.cur.execute("USE pm_other")
        self.cur.execute("SELECT v FROM only_here")
        self.assertEqual(self.cur.fetchone()[0], "other")
        self.cur.execute("SELECT DATABASE()")
        self.assertEqual(self.cur.fetchone()[0], "pm_other")
        self.cur.execute("SET NAMES latin1")
        self.cur.execute("SELECT @@character_set_client, @@character_set_results")
        self.assertEqual(self.cur.fetchone(), ("latin1", "latin1"))
        self.cur.execute("SET NAMES utf8mb4")
        self.cur.execute("SELECT @@character_set_client, @@character_set_connection")
        self.assertEqual(self.cur.fetchone(), ("utf8mb4", "utf8mb4"))
        self.cur.execute("SET @sg_var = 42")
        self.cur.execute("SELECT @sg_var")
        self.assertEqual(self.cur.fetchone()[0], 42)

    def test_ping(self):
        self.conn.ping(reconnect=False)
        self.cur.execute("SELECT 1")
        self.assertEqual(self.cur.fetchone()[0], 1)

    def test_select_db(self):
        self.conn.select_db("sbtest")
        self.cur.execute("SELECT DATABASE()")
        self.assertEqual(self.cur.fetchone()[0], "sbtest")
        with self.assertRaises(pymysql.err.OperationalError) as ctx:
            self.conn.select_db("no_such_db_sg")
        self.assertEqual(ctx.exception.args[0], 1049)
        self.assertIn("no_such_db_sg", ctx.exception.args[1])
        self.cur.execute("SELECT DATABASE()")
        self.assertEqual(self.cur.fetchone()[0], "sbtest")

    def test_multi_statements(self):
        with self.connect(db="shop", client_flag=CLIENT.MULTI_STATEMENTS) as c, c.cursor() as cur:
            cur.execute("SELECT 1; SELECT 'two', NULL; DO 0; SELECT seq FROM seq_1_to_3")
            results = [cur.fetchall()]
            while cur.nextset():
                results.append(cur.fetchall())
            self.assertEqual(results, [((1,),), (("two", None),), (), ((1,), (2,), (3,))])
            cur.execute("SELECT 'after'")
            self.assertEqual(cur.fetchone()[0], "after")

    def test_concurrent_connections(self):
        threads, per_thread = 50, 100
        errors, done = [], []

        def worker(tid):
            try:
                with self.connect(read_timeout=60) as c, c.cursor() as cur:
                    for i in range(per_thread):
                        cur.execute("SELECT %s, CONNECTION_ID()", (tid * 1000 + i,))
                        v = cur.fetchone()[0]
                        if v != tid * 1000 + i:
                            raise AssertionError(f"thread {tid} query {i}: got {v}")
                done.append(tid)
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(f"{tid}: {e!r}")

        ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(len(done), threads)

    def test_wrong_password(self):
        with self.assertRaises(pymysql.err.OperationalError) as ctx:
            self.connect(password="wrong")
        self.assertEqual(ctx.exception.args[0], 1045)
        self.assertIn("Access denied", ctx.exception.args[1])


if __name__ == "__main__":
    main()
