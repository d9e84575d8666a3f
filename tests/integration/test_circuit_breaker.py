#!/usr/bin/python3
"""Circuit breakers per endpoint (issue 6, first part): a cluster whose server is down fails
its statements fast once the breaker's window (10 calls, 50% failures) has filled, other
clusters are unaffected, and after the server is back the breaker lets its trial calls
through and closes. One worker, so the test's session and its pools share one breaker."""
import multiprocessing
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness.netutil import LOOPBACK, tail, wait_until  # noqa: E402
from harness.testbase import DIRECT, fixture_servers, main, own_server, start_proxy  # noqa: E402
import unittest  # noqa: E402

OPEN_S = 2


@unittest.skipIf(DIRECT, "needs ShardGate")
class CircuitBreakerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.healthy = fixture_servers()[0]
        cls.flaky = own_server("breaker_flaky")
        cls.flaky.start()
        clusters = {
            "healthy": f"{LOOPBACK}:{cls.healthy.port}",
            "flaky": {"writer": f"{LOOPBACK}:{cls.flaky.port}", "user": "app", "password": "app",
                      "circuit_breaker": {"open_s": OPEN_S}},
        }
        cls.proxy = start_proxy("CircuitBreaker", clusters, default_cluster="healthy", workers=1)

    @classmethod
    def tearDownClass(cls):
        sys.stderr.write(f"\n[{cls.__name__}] proxy log:\n{tail(cls.proxy.log_path, 15)}\n")
        cls.proxy.stop_and_check()
        cls.flaky.stop()

    def port_of(self, cur, cluster):
        """@@port of the server that answered, or the error (code, message, seconds)."""
        t0 = time.monotonic()
        try:
            cur.execute(f"/* shardgate: shard={cluster} */ SELECT @@port")
            return cur.fetchone()[0]
        except pymysql.err.MySQLError as e:
            return (e.args[0], str(e.args[1]), time.monotonic() - t0)

    def test_breaker_opens_fails_fast_and_closes_after_probes(self):
        c = pymysql.connect(host=LOOPBACK, port=self.proxy.port, user="app", password="app",
                            autocommit=True, read_timeout=30)
        cur = c.cursor()
        self.assertEqual(self.port_of(cur, "flaky"), self.flaky.port)
        self.assertEqual(self.port_of(cur, "healthy"), self.healthy.port)
        self.flaky.stop()

        # The window fills with failed calls (connection refused, or the pooled connection
        # lost; a statement may try more than one connection), each reported as the
        # failure it is; the healthy cluster answers meanwhile. At most 10 statements.
        before_open = 0
        while True:
            r = self.port_of(cur, "flaky")
            self.assertIsInstance(r, tuple, r)
            self.assertIn(r[0], (2003, 2013), r)
            self.assertEqual(self.port_of(cur, "healthy"), self.healthy.port)
            if "circuit breaker" in r[1]:
                break
            before_open += 1
            self.assertLessEqual(before_open, 10, "the breaker did not open within its window")
        self.assertGreaterEqual(before_open, 4, "the breaker opened before half the window failed")
        # Open: fails at once, says why and when it retries.
        for _ in range(20):
            r = self.port_of(cur, "flaky")
            self.assertIsInstance(r, tuple, r)
            self.assertEqual(r[0], 2003, r)
            self.assertIn("circuit breaker is open", r[1])
            self.assertIn("flaky", r[1])
            self.assertLess(r[2], 0.05, r)
        self.assertEqual(self.port_of(cur, "healthy"), self.healthy.port)

        # Back up: still open until open_s has passed, then trial calls close it.
        self.flaky.start()
        opened_at = time.monotonic()
        r = self.port_of(cur, "flaky")
        self.assertIsInstance(r, tuple, r)
        self.assertIn("circuit breaker is open", r[1])
        deadline = opened_at + OPEN_S + 10
        answer = None
        while time.monotonic() < deadline:
            answer = self.port_of(cur, "flaky")
            if answer == self.flaky.port:
                break
            time.sleep(0.2)
        self.assertEqual(answer, self.flaky.port, "the breaker did not close after the server came back")
        for _ in range(5):  # three probes succeeded: closed, statements flow
            self.assertEqual(self.port_of(cur, "flaky"), self.flaky.port)
        c.close()
        log = self.proxy.log_text()
        self.assertRegex(log, r"cluster flaky \(127\.0\.0\.1:\d+\): circuit breaker opened \(\d+ of the last 10 calls failed\)")
        self.assertRegex(log, r"cluster flaky \(127\.0\.0\.1:\d+\): circuit breaker closed")
        self.assertNotRegex(log, r"cluster healthy \(.*\): circuit breaker opened")

    def opened_count(self):
        return len(re.findall(r"cluster flaky \(127\.0\.0\.1:\d+\): circuit breaker opened",
                              self.proxy.log_text()))

    def test_z_other_shard_keeps_its_throughput_under_load(self):
        """The breaker drill under load: while clients keep hitting a shard whose server was
        killed, the healthy shard's throughput stays within 10% of what it was before."""
        opened_before = self.opened_count()
        ctx = multiprocessing.get_context("fork")
        counts = ctx.Array("q", 3)  # healthy statements, flaky failures, flaky successes
        stop = ctx.Event()
        procs = [ctx.Process(target=_load, args=(self.proxy.port, "healthy", i, counts, stop))
                 for i in range(2)]
        procs.append(ctx.Process(target=_load, args=(self.proxy.port, "flaky", 2, counts, stop)))
        for p in procs:
            p.start()
        try:
            time.sleep(1.0)  # warm up

            def window_rates(n):
                rates = []
                for _ in range(n):
                    before, t0 = counts[0], time.monotonic()
                    time.sleep(1.0)
                    rates.append((counts[0] - before) / (time.monotonic() - t0))
                return rates
            before = window_rates(4)
            self.flaky.kill()
            wait_until(lambda: counts[1] > 20, 10, what="statements on the dead shard failing")
            time.sleep(0.5)
            during = window_rates(4)
        finally:
            stop.set()
            for p in procs:
                p.join(10)
            self.flaky.start()
        ratio = statistics.median(during) / statistics.median(before)
        sys.stderr.write(f"\n[breaker drill] healthy shard {statistics.median(before):.0f} q/s before, "
                         f"{statistics.median(during):.0f} q/s with the other shard down "
                         f"(ratio {ratio:.2f}); {counts[1]} failed statements on the dead shard\n")
        self.assertGreaterEqual(ratio, 0.9, f"healthy throughput fell: {before} -> {during}")
        # The dead shard's statements failed fast through its open breaker meanwhile.
        self.assertGreater(self.opened_count(), opened_before)



def _load(port, cluster, seed, counts, stop):
    """A client process: point statements on `cluster` until `stop`; counts outcomes. After
    an error it backs off 10 ms, as a client with a retry loop would."""
    import pymysql as pm
    conn = None
    while not stop.is_set():
        try:
            if conn is None:
                conn = pm.connect(host=LOOPBACK, port=port, user="app", password="app",
                                  autocommit=True, read_timeout=10)
            with conn.cursor() as cur:
                cur.execute(f"/* shardgate: shard={cluster} */ SELECT {seed}")
                cur.fetchall()
            with counts.get_lock():
                counts[0 if cluster == "healthy" else 2] += 1
        except pm.err.MySQLError:
            with counts.get_lock():
                counts[1] += 1
            if conn is not None and not conn.open:
                conn = None
            time.sleep(0.01)
    if conn is not None:
        conn.close()


if __name__ == "__main__":
    main()
