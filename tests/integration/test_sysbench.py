#!/usr/bin/python3
"""sysbench oltp_read_write through ShardGate (and directly), then data checksums compared.

sysbench 1.0.20 prints no plain "errors:" line: fatal errors abort the run (non-zero exit, "FATAL"),
and errors it tolerates by default (deadlock 1213, lock wait 1205, 1020) are counted as
"ignored errors". InnoDB deadlocks happen even directly at this size, so the test requires
ignored errors == the backend's Innodb_deadlocks increase over the run (i.e. only genuine
deadlocks, never a proxy-made error), and 0 reconnects.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness.testbase import DIRECT, ProxyTestCase, main  # noqa: E402

COMMON = ["--db-driver=mysql", "--mysql-host=127.0.0.1", "--mysql-user=app", "--mysql-password=app",
          "--mysql-db=sbtest", "--tables=2", "--table-size=10000"]


def sysbench(port, action, *extra, timeout=120, test="oltp_read_write"):
    cmd = ["sysbench", test] + COMMON + [f"--mysql-port={port}"] + list(extra) + [action]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def stat(text, name):
    m = re.search(rf"^\s*{name}:\s+(\d+)", text, re.M)
    return int(m.group(1)) if m else None


class SysbenchTest(ProxyTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for action in ("cleanup", "prepare"):  # prepare directly: fast and independent of the proxy
            r = sysbench(cls.backend.port, action)
            assert r.returncode == 0, f"sysbench {action} failed:\n{r.stdout}\n{r.stderr}"

    def deadlocks(self):
        return int(self.backend.sql("SHOW GLOBAL STATUS LIKE 'Innodb_deadlocks'")[0][1])

    def status(self, name):
        return int(self.backend.sql(f"SHOW GLOBAL STATUS LIKE '{name}'")[0][1])

    def checksums(self, port):
        conn = self.connect() if port == self.port else self.backend.connect()
        with conn, conn.cursor() as cur:
            cur.execute("CHECKSUM TABLE sbtest.sbtest1, sbtest.sbtest2")
            return cur.fetchall()

    def run_workload(self, port, *extra):
        before = self.deadlocks()
        r = sysbench(port, "run", "--threads=4", "--time=10", "--rand-seed=1", *extra)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        self.assertNotIn("FATAL", out)
        self.assertGreater(stat(out, "transactions"), 100, out)
        self.assertEqual(stat(out, "reconnects"), 0, out)
        self.assertEqual(stat(out, "ignored errors"), self.deadlocks() - before, out)
        self.assertLess(stat(out, "ignored errors"), stat(out, "transactions") // 100 + 1, out)
        direct = self.checksums(self.backend.port)
        self.assertEqual(len(direct), 2)
        self.assertTrue(all(row[1] for row in direct), direct)
        self.assertEqual(self.checksums(self.port), direct)
        return out

    def test_1_direct_baseline(self):
        self.run_workload(self.backend.port, "--db-ps-mode=disable")

    def test_2_proxy_ps_disabled(self):
        self.run_workload(self.port, "--db-ps-mode=disable")

    def test_3_proxy_ps_auto(self):
        # The default db-ps-mode=auto: server-side prepared statements. The backend must
        # really have executed prepared statements (sysbench falls back to text silently
        # when COM_STMT_PREPARE fails), and prepared each one only once per backend
        # connection, not once per transaction.
        executes, prepares = self.status("Com_stmt_execute"), self.status("Com_stmt_prepare")
        out = self.run_workload(self.port)
        executes = self.status("Com_stmt_execute") - executes
        prepares = self.status("Com_stmt_prepare") - prepares
        transactions = stat(out, "transactions")
        self.assertGreater(executes, 10 * transactions, out)  # 14+ statements per transaction
        if not DIRECT:
            self.assertLess(prepares, 200, f"{prepares} prepares for {executes} executions")

    def test_5_point_select_prepared(self):
        """oltp_point_select with server-side prepared statements (the default) and with
        the text protocol: zero errors, the same rows (sysbench checks none, so the test
        compares one statement's result through the proxy and directly)."""
        for mode in ([], ["--db-ps-mode=disable"]):
            executes = self.status("Com_stmt_execute")
            r = sysbench(self.port, "run", "--threads=8", "--time=5", *mode, test="oltp_point_select")
            out = r.stdout + r.stderr
            self.assertEqual(r.returncode, 0, out)
            self.assertNotIn("FATAL", out)
            self.assertEqual(stat(out, "ignored errors"), 0, out)
            self.assertEqual(stat(out, "reconnects"), 0, out)
            queries = stat(out, "read")
            self.assertGreater(queries, 1000, out)
            if not mode:
                self.assertGreaterEqual(self.status("Com_stmt_execute") - executes, queries, out)

    def test_4_prepare_through_proxy(self):
        self.backend.sql("DROP DATABASE IF EXISTS sbtest_via")
        self.backend.sql("CREATE DATABASE sbtest_via")
        args = ["--mysql-db=sbtest_via", "--tables=1", "--table-size=3000"]
        r = sysbench(self.port, "prepare", *args)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(self.backend.sql("SELECT COUNT(*), SUM(k) > 0 FROM sbtest_via.sbtest1"), [(3000, 1)])
        via = self.query("CHECKSUM TABLE sbtest_via.sbtest1")
        self.assertEqual(list(via), self.backend.sql("CHECKSUM TABLE sbtest_via.sbtest1"))
        self.backend.sql("DROP DATABASE sbtest_via")


if __name__ == "__main__":
    if DIRECT:
        print("SHARDGATE_DIRECT=1: 'proxy' runs go straight to MariaDB")
    main()
