#!/usr/bin/python3
"""The shardgate process: command line, config errors, admin /healthz, graceful SIGTERM drain,
login timeout."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pymysql  # noqa: E402

from harness.netutil import LOOPBACK  # noqa: E402
from harness.shardgate_process import default_binary  # noqa: E402
from harness.testbase import DIRECT, fixture_servers, main, start_proxy, workdir  # noqa: E402

BIN = default_binary()


def run(*args, env=None):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30, env=env)


@unittest.skipIf(DIRECT, "tests the shardgate process itself")
class CommandLineTest(unittest.TestCase):
    def test_version_and_help(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^shardgate \d+\.\d+\.\d+")
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--check-config", r.stdout)

    def test_usage_errors_exit_2(self):
        self.assertEqual(run().returncode, 2)
        r = run("--bogus")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown argument", r.stderr)

    def test_broken_config_reports_file_line_column(self):
        path = os.path.join(workdir("lifecycle"), "broken.yaml")
        with open(path, "w") as f:
            f.write("users:\n  - { name: app, password: app }\nclusters:\n  c1: { writer: '127.0.0.1:99999', user: app }\n"
                    "default_cluster: c1\n")
        for args in (["--check-config", "--config", path], ["--config", path]):
            r = run(*args)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertRegex(r.stderr, rf"^{path}:4:17: clusters\.c1\.writer: port '99999' must be 1-65535")
        r = run("--check-config", "--config", path + ".missing")
        self.assertEqual(r.returncode, 2)
        self.assertIn("cannot open the file", r.stderr)


@unittest.skipIf(DIRECT, "tests the shardgate process itself")
class ProcessTest(unittest.TestCase):
    def setUp(self):
        self.servers = fixture_servers()
        self.proxy = start_proxy(f"lifecycle-{self._testMethodName}",
                                 {s.name: f"{LOOPBACK}:{s.port}" for s in self.servers},
                                 default_cluster=self.servers[0].name, connect_timeout_s=2)

    def tearDown(self):
        if self.proxy.is_running():
            self.proxy.stop_and_check()

    def connect(self):
        return pymysql.connect(host=LOOPBACK, port=self.proxy.port, user="app", password="app",
                               connect_timeout=5, read_timeout=30)

    def test_healthz(self):
        admin = self.proxy.config["admin"]["port"]
        with urllib.request.urlopen(f"http://{LOOPBACK}:{admin}/healthz", timeout=5) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.read(), b"ok\n")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"http://{LOOPBACK}:{admin}/nope", timeout=5)
        self.assertEqual(e.exception.code, 404)

    def test_sigterm_lets_running_statement_finish(self):
        busy, idle = self.connect(), self.connect()
        result = {}

        def slow():
            with busy.cursor() as cur:
                cur.execute("SELECT SLEEP(1.5), 42")
                result["rows"] = cur.fetchall()

        t = threading.Thread(target=slow)
        t.start()
        time.sleep(0.4)  # the statement is running on the backend
        started = time.monotonic()
        self.proxy.proc.send_signal(signal.SIGTERM)
        t.join(10)
        self.assertEqual(result.get("rows"), ((0, 42),), "the running statement must complete")
        # New clients are refused once draining started.
        time.sleep(0.2)
        with self.assertRaises((pymysql.err.OperationalError, ConnectionError)):
            self.connect()
        code = self.proxy.proc.wait(15)
        self.assertEqual(code, 0)
        self.assertLess(time.monotonic() - started, 10)
        # The idle client was closed by the drain, not left hanging.
        with self.assertRaises(pymysql.err.OperationalError):
            with idle.cursor() as cur:
                cur.execute("SELECT 1")
        log = self.proxy.log_text()
        self.assertIn("draining", log)
        self.assertIn("ShardGate stopped", log)

    def test_silent_client_is_dropped_after_connect_timeout(self):
        s = socket.create_connection((LOOPBACK, self.proxy.port), timeout=10)
        greeting = s.recv(4096)
        self.assertGreater(len(greeting), 20)  # got the handshake, now say nothing
        started = time.monotonic()
        self.assertEqual(s.recv(4096), b"")  # closed by the proxy
        self.assertLess(time.monotonic() - started, 6)
        s.close()
        with self.connect().cursor() as cur:  # others are unaffected
            cur.execute("SELECT 1")
            self.assertEqual(cur.fetchall(), ((1,),))


if __name__ == "__main__":
    main()
