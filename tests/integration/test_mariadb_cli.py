#!/usr/bin/python3
"""The real `mariadb` command-line client through ShardGate, compared with MariaDB directly."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness.testbase import DIRECT, ProxyTestCase, main  # noqa: E402

SESSION = """\
USE shop;
DROP TABLE IF EXISTS cli_rt;
CREATE TABLE cli_rt (id INT PRIMARY KEY, name VARCHAR(20), note VARCHAR(50)) DEFAULT CHARSET=utf8mb4;
SHOW TABLES LIKE 'cli\\_%';
SHOW TABLES;
SELECT 1; SELECT 2;
SELEC oops FROM nowhere;
INSERT INTO cli_rt VALUES (1, 'alpha', NULL), (2, '베타', '한글 메모');
SELECT * FROM cli_rt ORDER BY id;
SELECT DATABASE();
"""


def mariadb(port, *args, stdin=None, password="app"):
    """Run the mariadb CLI against 127.0.0.1:port; returns CompletedProcess (text)."""
    cmd = ["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{port}", "-uapp", f"-p{password}",
           "--default-character-set=utf8mb4", "--connect-timeout=10"] + list(args)
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8"))


def normalize(text):
    """Remove connection-specific values (thread ids) so proxy and direct outputs compare."""
    return re.sub(r"\b(thread|connection) id:? ?\d+", r"\1 id N", text, flags=re.I)


class MariaDBCliTest(ProxyTestCase):
    def test_batch_execute(self):
        r = mariadb(self.port, "-e", "SELECT 1+1 AS two, 'x' AS letter, NULL AS nothing", "shop")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "two\tletter\tnothing\n2\tx\tNULL\n")
        r = mariadb(self.port, "-N", "-e", "SELECT DATABASE(); SELECT COUNT(*) FROM seq_1_to_1000", "shop")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "shop\n1000\n")

    def test_session_on_stdin(self):
        r = mariadb(self.port, "--force", stdin=SESSION)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)  # --force: the session goes on after the error
        self.assertRegex(r.stderr, r"ERROR 1064 \(42000\) at line 7: You have an error in your SQL syntax.*"
                                   r"near 'SELEC oops FROM nowhere'")
        out = r.stdout
        self.assertIn("Tables_in_shop (cli\\_%)\ncli_rt\n", out)
        self.assertRegex(out, r"\nTables_in_shop\n(.*\n)*cli_rt\n")
        self.assertIn("1\n1\n2\n2\n", out)  # SELECT 1; SELECT 2; -> two result sets with headers
        self.assertIn("id\tname\tnote\n1\talpha\tNULL\n2\t베타\t한글 메모\n", out)  # after the error
        self.assertTrue(out.endswith("DATABASE()\nshop\n"), out)

    def test_table_output_matches_direct(self):
        if DIRECT:
            self.skipTest("compares proxy output with direct output")
        via = mariadb(self.port, "--force", "--table", stdin=SESSION)
        direct = mariadb(self.backend.port, "--force", "--table", stdin=SESSION)
        self.assertIn("|  2 | 베타   | 한글 메모     |", via.stdout)  # widths come from column metadata
        self.assertEqual(normalize(via.stdout), normalize(direct.stdout))
        self.assertEqual(normalize(via.stderr), normalize(direct.stderr))
        self.assertEqual(via.returncode, direct.returncode)

    def test_table_output_shape(self):
        r = mariadb(self.port, "--table", "-e", "SELECT seq AS n, seq * seq AS sq FROM seq_1_to_3", "shop")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "+---+----+\n| n | sq |\n+---+----+\n| 1 |  1 |\n| 2 |  4 |\n"
                                   "| 3 |  9 |\n+---+----+\n")

    def test_wrong_password(self):
        r = mariadb(self.port, "-e", "SELECT 1", password="wrong")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ERROR 1045 (28000)", r.stderr)
        self.assertIn("Access denied for user 'app'", r.stderr)
        self.assertEqual(r.stdout, "")


if __name__ == "__main__":
    main()
