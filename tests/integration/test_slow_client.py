#!/usr/bin/python3
"""A client that requests a large result and stops reading: ShardGate must not buffer it
(memory stays bounded by its read buffer, not by the result), must drop the client after
listen.write_timeout_s as MySQL's net_write_timeout would, and must give the backend
connection up so the pool does not leak; other clients are unaffected meanwhile."""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pymysql  # noqa: E402

from harness.netutil import LOOPBACK, rss_kib  # noqa: E402
from harness.testbase import DIRECT, fixture_servers, main, start_proxy  # noqa: E402
from test_wire_translation import RawClient  # noqa: E402

BIG = "SELECT seq, REPEAT('x', 200) FROM seq_1_to_200000"  # about 41 MB of rows


@unittest.skipIf(DIRECT, "tests the proxy's buffering")
class SlowClientTest(unittest.TestCase):
    def setUp(self):
        self.servers = fixture_servers()
        self.backend = self.servers[0]
        self.proxy = start_proxy(f"slow-{self._testMethodName}", {self.backend.name: f"{LOOPBACK}:{self.backend.port}"},
                                 write_timeout_s=2)

    def tearDown(self):
        self.proxy.stop_and_check()

    def backend_connections(self):
        rows = self.backend.sql("SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'app'")
        return rows[0][0]

    def test_stalled_reader_is_bounded_then_dropped(self):
        warm = pymysql.connect(host=LOOPBACK, port=self.proxy.port, user="app", password="app", database="shop")
        with warm.cursor() as cur:  # warm the pool and the allocator
            cur.execute("SELECT COUNT(*) FROM seq_1_to_1000")
        baseline_rss = rss_kib(self.proxy.pid)
        baseline_backends = self.backend_connections()

        client = RawClient(self.proxy.port, 0)
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        client.send(b"\x03" + BIG.encode())
        time.sleep(1.2)  # ShardGate fills the socket buffers, then must stop reading the backend
        grown = rss_kib(self.proxy.pid) - baseline_rss
        sys.stderr.write(f"\n[slow client] ShardGate RSS growth with a stalled 41 MB result: {grown} KiB\n")
        self.assertLess(grown, 8 * 1024, f"RSS grew by {grown} KiB for a stalled 41 MB result")

        with warm.cursor() as cur:  # other clients are served meanwhile
            cur.execute("SELECT 42")
            self.assertEqual(cur.fetchone(), (42,))

        # Stay silent past write_timeout_s (2 s): the client is dropped, so draining its socket
        # yields what was already in flight and then EOF, not the whole result.
        time.sleep(3.5)
        client.sock.settimeout(15)
        received = 0
        while True:
            chunk = client.sock.recv(1 << 16)
            if not chunk:
                break
            received += len(chunk)
        self.assertLess(received, 20 * 1024 * 1024, "the whole result should not have been sent")

        deadline = time.monotonic() + 10
        while self.backend_connections() > baseline_backends and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertLessEqual(self.backend_connections(), baseline_backends,
                             "the stalled statement's backend connection must be given up")
        log = self.proxy.log_text()
        self.assertNotIn("AddressSanitizer", log)
        warm.close()


if __name__ == "__main__":
    main()
