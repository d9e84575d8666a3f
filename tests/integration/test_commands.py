#!/usr/bin/python3
"""The protocol commands besides COM_QUERY, each driven by a real client where one sends it
(mariadb-admin) and by PyMySQL's low-level command API otherwise: COM_STATISTICS, COM_PING,
COM_FIELD_LIST, COM_SET_OPTION, COM_RESET_CONNECTION, COM_INIT_DB. The same assertions hold
directly against MariaDB (SHARDGATE_DIRECT=1)."""
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness.netutil import LOOPBACK  # noqa: E402
from harness.testbase import ProxyTestCase, main  # noqa: E402

COM_FIELD_LIST, COM_STATISTICS, COM_SET_OPTION, COM_RESET_CONNECTION = 0x04, 0x09, 0x1B, 0x1F


class CommandsTest(ProxyTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend.sql("CREATE TABLE IF NOT EXISTS shop.cmd_items (id INT PRIMARY KEY, name VARCHAR(20), "
                        "price DECIMAL(8,2)) DEFAULT CHARSET=utf8mb4")
        cls.backend.sql("DELETE FROM shop.cmd_items")

    def admin(self, *args):
        return subprocess.run(["mariadb-admin", f"-h{LOOPBACK}", f"-P{self.port}", "-uapp", "-papp", *args],
                              capture_output=True, text=True, timeout=30)

    def command(self, conn, cmd, arg=b""):
        """Sends one command; returns the list of response packets up to its end."""
        conn._execute_command(cmd, arg)
        return conn._read_packet()

    def test_statistics_via_mariadb_admin(self):
        r = self.admin("status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^Uptime: \d+\s+Threads: \d+\s+Questions: \d+")

    def test_ping_via_mariadb_admin(self):
        r = self.admin("ping")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("is alive", r.stdout)

    def test_field_list(self):
        conn = self.connect(db="shop")
        conn._execute_command(COM_FIELD_LIST, b"cmd_items\0")
        names = []
        while True:
            p = conn._read_packet()
            if p.is_eof_packet() or p.is_ok_packet():
                break
            field = pymysql.protocol.FieldDescriptorPacket(p._data, conn.encoding)
            names.append(field.name)
        self.assertEqual(names, ["id", "name", "price"])
        with conn.cursor() as cur:  # the connection is in a clean state afterwards
            cur.execute("SELECT COUNT(*) FROM cmd_items")
            self.assertEqual(cur.fetchone(), (0,))
        conn._execute_command(COM_FIELD_LIST, b"no_such_table\0")
        with self.assertRaises(pymysql.err.ProgrammingError) as e:
            conn._read_packet()
        self.assertEqual(e.exception.args[0], 1146)

    def test_set_option_toggles_multi_statements(self):
        conn = self.connect(db="shop")  # connected without CLIENT_MULTI_STATEMENTS
        with conn.cursor() as cur:
            with self.assertRaises(pymysql.err.ProgrammingError):
                cur.execute("SELECT 1; SELECT 2")
        p = self.command(conn, COM_SET_OPTION, struct.pack("<H", 0))  # MULTI_STATEMENTS_ON
        self.assertTrue(p.is_eof_packet(), p._data)
        conn.client_flag |= pymysql.constants.CLIENT.MULTI_STATEMENTS
        with conn.cursor() as cur:
            cur.execute("SELECT 1; SELECT 2")
            self.assertEqual(cur.fetchall(), ((1,),))
            self.assertTrue(cur.nextset())
            self.assertEqual(cur.fetchall(), ((2,),))
        p = self.command(conn, COM_SET_OPTION, struct.pack("<H", 1))  # MULTI_STATEMENTS_OFF
        self.assertTrue(p.is_eof_packet(), p._data)
        with conn.cursor() as cur:
            with self.assertRaises(pymysql.err.ProgrammingError):
                cur.execute("SELECT 1; SELECT 2")

    def test_reset_connection_clears_session_but_keeps_schema(self):
        conn = self.connect(db="shop")
        with conn.cursor() as cur:
            cur.execute("SET @x = 5")
            cur.execute("SET time_zone = '+05:00'")
            cur.execute("BEGIN")
            cur.execute("INSERT INTO cmd_items VALUES (1, 'lost', 1.00)")
        p = self.command(conn, COM_RESET_CONNECTION)
        self.assertTrue(p.is_ok_packet(), p._data)
        with conn.cursor() as cur:
            cur.execute("SELECT @x, @@time_zone = @@GLOBAL.time_zone, DATABASE()")
            self.assertEqual(cur.fetchone(), (None, 1, "shop"))
            cur.execute("SELECT COUNT(*) FROM cmd_items")
            self.assertEqual(cur.fetchone(), (0,), "the open transaction must have been rolled back")

    def test_init_db(self):
        conn = self.connect()
        conn.select_db("shop")
        with conn.cursor() as cur:
            cur.execute("SELECT DATABASE()")
            self.assertEqual(cur.fetchone(), ("shop",))
        with self.assertRaises(pymysql.err.OperationalError) as e:
            conn.select_db("no_such_db")
        self.assertEqual(e.exception.args[0], 1049)
        with conn.cursor() as cur:  # the failed COM_INIT_DB changed nothing
            cur.execute("SELECT DATABASE()")
            self.assertEqual(cur.fetchone(), ("shop",))


if __name__ == "__main__":
    main()
