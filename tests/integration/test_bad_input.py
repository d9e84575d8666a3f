#!/usr/bin/python3
"""Hostile and broken clients, and broken backends: ShardGate must answer cleanly and keep serving."""
import os
import random
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness.netutil import LOOPBACK  # noqa: E402
from harness.testbase import DIRECT, ProxyTestCase, main, own_server, proxy_only, start_proxy  # noqa: E402

MAX_PACKET = 4 * 1024 * 1024  # the proxy under test is configured with this max_packet_bytes
BIG_QUERY = "SELECT seq FROM seq_1_to_2000000"


def raw(port, timeout=5):
    return socket.create_connection((LOOPBACK, port), timeout=timeout)


def packet(payload, seq=0, length=None):
    n = len(payload) if length is None else length
    return struct.pack("<I", n)[:3] + bytes([seq]) + payload


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def read_packet(sock):
    header = read_exact(sock, 4)
    return read_exact(sock, int.from_bytes(header[:3], "little"))


def closed_within(sock, seconds):
    """True if the peer closes the connection within `seconds` (data before EOF is discarded)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
    return False


def err_code(payload):
    assert payload[:1] == b"\xff", f"expected an ERR packet, got {payload[:40]!r}"
    return struct.unpack("<H", payload[1:3])[0]


class BadInputTest(ProxyTestCase):
    proxy_kwargs = {"max_packet_bytes": MAX_PACKET}

    def assert_serving(self, n=5):
        """Fresh clients still get correct answers quickly."""
        t0 = time.monotonic()
        for i in range(n):
            self.assertEqual(self.query("SELECT %s + 1", args=(i,)), ((i + 1,),))
        self.assertLess(time.monotonic() - t0, 10)
        if self.proxy:
            self.assertTrue(self.proxy.is_running(), "proxy died")

    def app_threads(self, info_prefix=None):
        rows = self.backend.sql("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'app'"
                                + (f" AND INFO LIKE '{info_prefix}%'" if info_prefix else ""))
        return rows[0][0]

    def test_truncated_packet_then_close(self):
        for _ in range(5):
            s = raw(self.port)
            self.assertEqual(read_packet(s)[0], 10)  # protocol v10 greeting
            s.sendall(packet(b"x" * 10, seq=1, length=100))
            s.close()
        self.assert_serving()

    def test_truncated_packet_then_wait(self):
        stuck = []
        for _ in range(3):
            s = raw(self.port)
            read_packet(s)
            s.sendall(packet(b"y" * 10, seq=1, length=100))
            stuck.append(s)
        with self.connect() as c, c.cursor() as cur:  # a logged-in client also stalls mid-command
            sock = c._sock
            sock.sendall(packet(b"\x03SELECT 1", length=100))
            self.assert_serving(20)
            sock.close()
        for s in stuck:
            s.close()

    @proxy_only
    def test_oversized_packet_in_handshake(self):
        s = raw(self.port)
        read_packet(s)
        s.sendall(packet(b"\x00" * 32, seq=1, length=MAX_PACKET + 1024))
        code = err_code(read_packet(s))
        self.assertTrue(closed_within(s, 5), f"connection not closed after error {code}")
        s.close()
        self.assert_serving()

    @proxy_only
    def test_oversized_command_packet(self):
        c = self.connect()
        sock = c._sock
        sock.settimeout(5)
        sock.sendall(packet(b"\x03SELECT '", length=8 * 1024 * 1024))  # 8 MiB > max_packet_bytes (4 MiB)
        code = err_code(read_packet(sock))
        self.assertIn(code, (1153, 1105, 2020), f"unexpected error code {code}")
        self.assertTrue(closed_within(sock, 5), "connection not closed after oversized packet")
        sock.close()
        self.assert_serving()

    def test_garbage_handshake_response(self):
        s = raw(self.port)
        read_packet(s)
        s.sendall(packet(b"\x01\x02garbage", seq=1))
        payload = read_packet(s)
        code = err_code(payload)
        self.assertIn(code, (1043, 1045, 1105), payload)
        self.assertTrue(closed_within(s, 5))
        s.close()
        self.assert_serving()

    def test_random_bytes(self):
        rng = random.Random(1234)
        for i in range(20):
            s = raw(self.port)
            if i % 2:
                read_packet(s)
            s.sendall(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096))))
            closed_within(s, 0.3)  # either side may close; we only bound the time spent
            s.close()
        self.assert_serving()

    def test_client_disconnects_mid_resultset(self):
        self.assert_serving(1)
        baseline = self.app_threads()
        for _ in range(8):
            c = self.connect(db="shop")
            sock = c._sock
            sock.settimeout(10)
            sock.sendall(packet(b"\x03" + BIG_QUERY.encode()))
            first = [read_packet(sock) for _ in range(103)]  # count, column def, EOF, 100 rows
            self.assertEqual(first[0], b"\x01")
            self.assertEqual(first[3:6], [b"\x011", b"\x012", b"\x013"])
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.assert_serving()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.app_threads("SELECT seq FROM seq_1_to_2000000"):
            time.sleep(0.2)
        self.assertEqual(self.app_threads("SELECT seq FROM seq_1_to_2000000"), 0, "backend still streaming")
        self.assertLessEqual(self.app_threads(), baseline + 3, "backend connections leaked")

    def test_unknown_command(self):
        with self.connect() as c:
            sock = c._sock
            sock.settimeout(5)
            sock.sendall(packet(b"\x7a"))
            payload = read_packet(sock)
            self.assertEqual(err_code(payload), 1047, payload)
            with c.cursor() as cur:  # like MariaDB, the session goes on
                cur.execute("SELECT 'alive'")
                self.assertEqual(cur.fetchone()[0], "alive")


class BackendFailureTest(ProxyTestCase):
    """Each test gets its own MariaDB server, which it stops or kills."""

    def setUp(self):
        self.server = own_server(self.id().rsplit(".", 1)[-1])
        self.extra_proxy = None

    def tearDown(self):
        if self.extra_proxy:
            self.extra_proxy.stop_and_check()
        self.server.stop()

    def own_proxy(self):
        if DIRECT:
            return self.server.port
        self.extra_proxy = start_proxy("backendfail", {"solo": f"{LOOPBACK}:{self.server.port}"})
        return self.extra_proxy.port

    def connect_to(self, port, **kw):
        return pymysql.connect(host=LOOPBACK, port=port, user="app", password="app", connect_timeout=10,
                               read_timeout=30, autocommit=True, **kw)

    @proxy_only
    def test_backend_down_at_proxy_start(self):
        self.server.initialize()
        port = self.own_proxy()  # backend not running: the proxy starts anyway
        with self.connect_to(port) as c, c.cursor() as cur:
            self.assertEqual(c.get_server_info(), "5.7.99-ShardGate")  # the fallback, for now
            with self.assertRaises(pymysql.err.OperationalError) as ctx:
                cur.execute("SELECT 1")
        code, msg = ctx.exception.args[0], str(ctx.exception.args[1])
        self.assertEqual(code, 2003, msg)
        self.assertRegex(msg.lower(), rf"backend|cluster|solo|{self.server.port}")
        self.server.start()
        deadline, last = time.monotonic() + 20, None
        while time.monotonic() < deadline:
            try:
                with self.connect_to(port) as c, c.cursor() as cur:
                    cur.execute("SELECT 'back'")
                    self.assertEqual(cur.fetchone()[0], "back")
                    # Once a login succeeded, new clients see the backend's real version.
                    with self.connect_to(port) as c2:
                        self.assertRegex(c2.get_server_info(), r"^(5\.5\.5-)?\d+\.\d+\.\d+-MariaDB.*-ShardGate$")
                    return
            except pymysql.err.OperationalError as e:
                last = e
                time.sleep(0.5)
        self.fail(f"queries still fail 20 s after the backend came up: {last!r}")

    def test_backend_killed_mid_query(self):
        self.server.start()
        port = self.own_proxy()
        c = self.connect_to(port)
        result = {}

        def sleeper():
            t0 = time.monotonic()
            try:
                with c.cursor() as cur:
                    cur.execute("SELECT SLEEP(5)")
                    result["rows"] = cur.fetchall()
            except pymysql.err.MySQLError as e:
                result["error"] = e
            result["t"] = time.monotonic() - t0

        th = threading.Thread(target=sleeper)
        th.start()
        time.sleep(1.0)
        self.server.kill()
        th.join(15)
        self.assertFalse(th.is_alive(), "client hung after the backend was killed")
        self.assertIn("error", result, f"query did not fail: {result}")
        self.assertEqual(result["error"].args[0], 2013, result["error"])
        self.assertLess(result["t"], 4.0, "error was not prompt")
        c.close()
        self.server.start()
        deadline, last = time.monotonic() + 20, None
        while time.monotonic() < deadline:
            try:
                with self.connect_to(port) as c2, c2.cursor() as cur:
                    cur.execute("SELECT 'recovered'")
                    self.assertEqual(cur.fetchone()[0], "recovered")
                    return
            except pymysql.err.OperationalError as e:
                last = e
                time.sleep(0.5)
        self.fail(f"no recovery 20 s after the backend restarted: {last!r}")


if __name__ == "__main__":
    if DIRECT:
        print("SHARDGATE_DIRECT=1: proxy-only tests are skipped")
    main()
