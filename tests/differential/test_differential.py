"""Differential test: scatter-gather results through ShardGate == one plain MariaDB.

Fixture servers 0-3 are the shards behind ShardGate; server 4 is a plain reference server.
The same deterministic dataset (dataset.py) goes in through the proxy (split over the
shards) and directly into the reference; then every query of queries.py runs on both and
the answers must be identical: column metadata (every column-definition field) and rows
(as text, so DECIMAL scale and formatting count), in order where the ORDER BY decides it.

    SHARDGATE_BIN=build/shardgate SHARDGATE_TEST_STATE=/tmp/x/state.json \
        /usr/bin/python3 tests/differential/test_differential.py
    (without SHARDGATE_TEST_STATE it starts and stops 5 servers of its own)

Environment:
  DIFFTEST_TAGS=regex   run only the queries whose tag matches (for work on one construct;
                        the >= 300 queries check is then off)
  DIFFTEST_VERBOSE=1    list every query with its outcome
  SHARDGATE_DIRECT=1    suite self-check without the proxy: the "sharded" side is shard0
                        holding all rows in MyISAM tables loaded in another order (ties come
                        out in another order there, so under-decided ORDER BYs show up)
A JSON report of every query goes to <workdir>/differential/report.json.
"""
import collections
import json
import os
import random
import re
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))

import pymysql  # noqa: E402

import compare  # noqa: E402
import dataset  # noqa: E402
import queries  # noqa: E402
from harness import testbase  # noqa: E402
from harness.netutil import LOOPBACK, tail  # noqa: E402

MIN_QUERIES = 300
TAG_FILTER = os.environ.get("DIFFTEST_TAGS")
VERBOSE = os.environ.get("DIFFTEST_VERBOSE", "") not in ("", "0")
DIRECT = testbase.DIRECT
SCHEMA = dataset.SCHEMA


def direct_sql(server, statements, db=None):
    with server.connect(db=db) as c, c.cursor() as cur:
        for s in statements:
            cur.execute(s)
        c.commit()


def first_line_with(text, word):
    for line in text.splitlines():
        if word in line:
            return line.strip()
    return text.strip().splitlines()[-1] if text.strip() else ""


class DifferentialTest(unittest.TestCase):
    summary = {}

    @classmethod
    def setUpClass(cls):
        servers = testbase.fixture_servers()
        if len(servers) < 5:
            raise AssertionError(f"the differential test needs 5 fixture servers (4 shards + a reference), got "
                                 f"{len(servers)}: start them with servers.py start --count 5")
        cls.shards, cls.ref_server = servers[:4], servers[4]
        cls.names = [s.name for s in cls.shards]
        cls.data = dataset.Dataset()
        cls.queries = [q for q in queries.build(cls.data) if not TAG_FILTER or re.search(TAG_FILTER, q.tag)]
        cls.proxy = None
        cls.broadcast_skip = None     # why the broadcast group cannot run
        cls.broadcast_problem = None  # the proxy accepted shops but did not copy it everywhere
        cls.workdir = testbase.workdir("differential")
        for s in servers[:5]:
            direct_sql(s, [f"DROP DATABASE IF EXISTS {SCHEMA}"])
        started = time.monotonic()
        cls._load_reference()
        if DIRECT:
            cls._load_direct_sut()
        else:
            cls._start_proxy()
            cls._load_through_proxy()
        cls.load_seconds = time.monotonic() - started
        cls.ref = compare.connect(cls.ref_server.port, SCHEMA)
        cls.sut = cls._connect_sut()

    @classmethod
    def tearDownClass(cls):
        for c in ("ref", "sut"):
            conn = getattr(cls, c, None)
            if conn:
                try:
                    conn.close()
                except Exception:
                    pass
        s = cls.summary
        if s:
            sys.stderr.write(
                f"\ndifferential: {s.get('queries', 0)} queries, {s.get('mismatches', 0)} mismatches, "
                f"{s.get('refusals_ok', 0)} refusals as expected"
                + (f" ({s['refusals_bad']} refusal checks failed)" if s.get("refusals_bad") else "")
                + (f", {s['allowed_refusals']} merge-or-refuse queries refused" if s.get("allowed_refusals") else "")
                + (f"; broadcast group skipped: {cls.broadcast_skip}" if cls.broadcast_skip else "") + "\n")
        if cls.proxy:
            sys.stderr.write(f"[differential] proxy log: {cls.proxy.log_path}\n{tail(cls.proxy.log_path, 10)}\n")
            cls.proxy.stop_and_check()

    # ----- setup ---------------------------------------------------------------------------
    @classmethod
    def _ddl(cls, tables, engine_suffix=""):
        return [dataset.DDL[t] + engine_suffix for t in tables]

    @classmethod
    def _load_reference(cls):
        direct_sql(cls.ref_server, [f"CREATE DATABASE {SCHEMA}"])
        stmts = cls._ddl(dataset.ALL_TABLES)
        for t in dataset.ALL_TABLES:
            stmts += cls.data.statements(t)
        direct_sql(cls.ref_server, stmts, db=SCHEMA)

    @classmethod
    def _load_direct_sut(cls):
        """Self-check: everything on shard0 as MyISAM (scan order = insert order), shuffled."""
        server = cls.shards[0]
        direct_sql(server, [f"CREATE DATABASE {SCHEMA}"])
        stmts = [s.replace("ENGINE=InnoDB", "ENGINE=MyISAM") for s in cls._ddl(dataset.DDL)]
        rng = random.Random(5)
        for t in dataset.ALL_TABLES:
            rows = list(cls.data.rows(t))
            rng.shuffle(rows)
            stmts += dataset.Dataset.inserts(t, rows, 150)
        direct_sql(server, stmts, db=SCHEMA)
        cls.sut_port = server.port

    @classmethod
    def _start_proxy(cls):
        clusters = {s.name: f"{LOOPBACK}:{s.port}" for s in cls.shards}
        try:
            cls.proxy = testbase.start_proxy("differential", clusters, default_cluster=cls.names[0],
                                             schemas=dataset.sharding_config(cls.names, broadcast=True))
        except RuntimeError as e:  # the config loader does not know `broadcast` yet
            cls.broadcast_skip = ("the proxy does not accept a broadcast table in its config ("
                                  + first_line_with(str(e), "broadcast") + ")")
            cls.proxy = testbase.start_proxy("differential", clusters, default_cluster=cls.names[0],
                                             schemas=dataset.sharding_config(cls.names, broadcast=False))
        cls.sut_port = cls.proxy.port

    @classmethod
    def _connect_sut(cls):
        return compare.connect(cls.sut_port, SCHEMA)

    @classmethod
    def _load_through_proxy(cls):
        with compare.connect(cls.proxy.port) as c, c.cursor() as cur:
            cur.execute(f"CREATE DATABASE {SCHEMA}")
            cur.execute(f"USE {SCHEMA}")
            for s in cls._ddl(dataset.SHARDED_TABLES):
                cur.execute(s)
            for t in dataset.SHARDED_TABLES:
                rows = cls.data.rows(t)
                n = sum(cur.execute(s) for s in cls.data.statements(t))
                assert n == len(rows), f"{t}: {n} rows inserted through the proxy, expected {len(rows)}"
            if cls.broadcast_skip is None:
                try:
                    cur.execute(dataset.DDL["shops"])
                except pymysql.MySQLError as e:
                    cls.broadcast_skip = f"the proxy refused CREATE TABLE of broadcast table shops: {e.args}"
            if cls.broadcast_skip is None:
                try:
                    for s in cls.data.statements("shops"):
                        cur.execute(s)
                except pymysql.MySQLError as e:
                    cls.broadcast_skip = f"the proxy refused writing broadcast table shops: {e.args}"
        # The rows really are sharded: each on the shard its key names, and nowhere else.
        total = 0
        spread = {}
        for i, s in enumerate(cls.shards):
            with s.connect(db=SCHEMA) as c, c.cursor() as cur:
                cur.execute("SELECT order_no FROM orders")
                keys = [r[0] for r in cur.fetchall()]
                wrong = [k for k in keys if dataset.expected_shard_index(k) != i]
                assert keys and not wrong, f"{s.name}: {len(keys)} orders, misplaced {wrong[:3]}"
                total += len(keys)
                for t in ("edge", "pads"):  # hashed by id: every shard holds some, the whole sums up
                    cur.execute(f"SELECT COUNT(*) FROM {t}")
                    n = cur.fetchone()[0]
                    assert n > 0, f"{s.name}: no rows of {t}"
                    spread[t] = spread.get(t, 0) + n
                if cls.broadcast_skip is None:
                    cur.execute("SELECT COUNT(*) FROM shops")
                    n = cur.fetchone()[0]
                    if n != len(cls.data.shops) and not cls.broadcast_problem:
                        cls.broadcast_problem = (f"broadcast table shops has {n} rows on {s.name}, "
                                                 f"expected all {len(cls.data.shops)} on every shard")
        assert total == len(cls.data.orders), total
        for t, n in spread.items():
            assert n == len(cls.data.rows(t)), f"{t}: {n} rows over the shards, expected {len(cls.data.rows(t))}"

    # ----- running -----------------------------------------------------------------------------
    def _run_group(self, group, refusal_ok=False):
        """Run the group's queries on both sides. With refusal_ok a 1235 refusal is no mismatch."""
        qs = [q for q in self.queries if q.group == group]
        results = []
        mismatches = []
        for q in qs:
            ref = compare.run(self.ref, q.sql)
            if self.proxy and not self.proxy.is_running():
                sut = compare.Answer(error=pymysql.err.OperationalError(2013, "the proxy is not running"))
            else:
                sut = compare.run(self.sut, q.sql)
                if sut.error is not None and sut.error.args and sut.error.args[0] in (2006, 2013, 2014, 0):
                    type(self).sut = self._connect_sut()  # a broken connection: go on with a new one
            diff = compare.compare(q, ref, sut)
            if refusal_ok and diff and diff[0] == "error" and sut.error.args[0] == 1235:
                diff = ("refused", diff[1])
            results.append({"tag": q.tag, "mode": q.mode, "k": q.k, "sql": q.sql,
                            "ok": diff is None or diff[0] == "refused",
                             "kind": diff[0] if diff else None, "detail": diff[1] if diff else None,
                             "ref_ms": round(ref.seconds * 1000, 2), "proxy_ms": round(sut.seconds * 1000, 2)})
            if diff and diff[0] != "refused":
                mismatches.append((q, diff))
            if VERBOSE:
                print(f"{'ok  ' if diff is None else diff[0] if diff[0] == 'refused' else 'FAIL'} [{q.tag}] {q.sql}"
                      + (f"\n     {diff[0]}: {diff[1]}" if diff else ""))
        return qs, results, mismatches

    def _report(self, group, qs, results, mismatches):
        path = os.path.join(self.workdir, f"report-{group}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(results, f, ensure_ascii=False, indent=1)
        per_tag = collections.OrderedDict()
        for r in results:
            t = per_tag.setdefault(r["tag"], {"total": 0, "failed": collections.Counter(), "refused": 0})
            t["total"] += 1
            t["refused"] += r["kind"] == "refused"
            if not r["ok"]:
                why = r["kind"]
                if why == "error":
                    m = re.match(r"ERROR (\d+)", r["detail"])
                    why = f"error {m.group(1)}" if m else "error"
                t["failed"][why] += 1
        refused = sum(r["kind"] == "refused" for r in results)
        lines = [f"{group}: {len(qs)} queries, {len(mismatches)} mismatches"
                 + (f", {refused} refused (allowed)" if refused else "") + f" (report: {path})"]
        if mismatches or refused:
            lines.append("by construct (tag: failed/total [why]):")
            for tag, t in per_tag.items():
                n = sum(t["failed"].values())
                mark = "  " if n == 0 else "! "
                lines.append(f"  {mark}{tag}: {n}/{t['total']}"
                             + (" [" + ", ".join(f"{k}: {v}" for k, v in t["failed"].most_common()) + "]" if n else "")
                             + (f" ({t['refused']} refused, allowed)" if t["refused"] else ""))
        sys.stderr.write("\n" + "\n".join(lines) + "\n")
        return lines

    def _check(self, group, refusal_ok=False):
        qs, results, mismatches = self._run_group(group, refusal_ok)
        s = type(self).summary
        s["queries"] = s.get("queries", 0) + len(qs)
        s["mismatches"] = s.get("mismatches", 0) + len(mismatches)
        s["allowed_refusals"] = s.get("allowed_refusals", 0) + sum(r["kind"] == "refused" for r in results)
        lines = self._report(group, qs, results, mismatches)
        if mismatches:
            body = [f"[{q.tag}] ({q.mode}{'=' + str(q.k) if q.mode == 'ordered_by' else ''}) {q.sql}\n"
                    f"    {kind}: {detail}" for q, (kind, detail) in mismatches]
            self.fail(f"{len(mismatches)} of {len(qs)} {group} queries differ from the reference:\n"
                      + "\n".join(body) + "\n" + "\n".join(lines))

    def test_1_main(self):
        n = sum(1 for q in self.queries if q.group == "main")
        if not TAG_FILTER:
            self.assertGreaterEqual(n, MIN_QUERIES, "the suite must have at least 300 main queries")
        self._check("main")

    def test_2_broadcast(self):
        if not DIRECT and self.broadcast_skip:
            self.skipTest(f"broadcast tables: {self.broadcast_skip}")
        if self.broadcast_problem:
            self.fail(self.broadcast_problem)
        self._check("broadcast")

    def test_3_merge_or_refuse(self):
        """Constructs the merge may decline: an exact answer or a 1235 refusal, never wrong rows."""
        self._check("either", refusal_ok=True)

    @unittest.skipIf(DIRECT, "refusals are the proxy's")
    def test_4_refusals(self):
        bad = []
        ok = 0
        for what, sql, pattern in queries.REFUSALS:
            if TAG_FILTER and not re.search(TAG_FILTER, "refusal"):
                continue
            a = compare.run(self.sut, sql)
            if a.error is None:
                bad.append(f"[{what}] {sql}\n    answered with {len(a.rows)} rows instead of refusing")
                continue
            code = a.error.args[0] if a.error.args else None
            msg = a.error.args[1] if len(a.error.args) > 1 else ""
            state = getattr(a.error, "sqlstate", None)
            if code != 1235 or state != "42000" or not re.search(pattern, msg):
                bad.append(f"[{what}] {sql}\n    {a.error_text()} (want 1235 / 42000 and /{pattern}/)")
            else:
                ok += 1
        type(self).summary["refusals_ok"] = ok
        type(self).summary["refusals_bad"] = len(bad)
        if bad:
            self.fail(f"{len(bad)} statements not refused as they must be:\n" + "\n".join(bad))


if __name__ == "__main__":
    unittest.main(verbosity=2)
