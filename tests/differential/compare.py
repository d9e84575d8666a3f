"""Run one query on two connections and compare the answers exactly.

Values are fetched as text (no pymysql converters): DECIMAL '1.50' and '1.5' differ, as do
DOUBLE renderings, so scale and formatting are checked, not just numeric equality.
Column metadata is compared field by field (everything a column definition packet carries;
of the flags only those that describe the value, see stable_flags).
"""
import collections
import time

import pymysql
import pymysql.err

from harness.netutil import LOOPBACK

# Every field of a column definition packet (pymysql's FieldDescriptorPacket).
META_FIELDS = ("name", "org_name", "table_name", "org_table", "db", "catalog", "charsetnr", "length",
               "type_code", "flags", "scale")
# Column flags that say what the value is. The others (PRI_KEY, UNIQUE_KEY, MULTIPLE_KEY,
# PART_KEY, NO_DEFAULT_VALUE, NUM/GROUP, ...) depend on the execution plan - a temporary table
# drops the key flags - so one server gives different ones for the same query on other data
# volumes; they are not compared. BINARY counts on string columns only (on numbers it is plan
# noise too: COUNT(*) comes with and without it).
TYPE = META_FIELDS.index("type_code")
FLOAT_TYPES = {4, 5}  # FLOAT, DOUBLE
NOT_NULL, BLOB, UNSIGNED, ZEROFILL, BINARY, ENUM, SET = 1, 16, 32, 64, 128, 256, 2048
STRING_TYPES = {15, 247, 248, 249, 250, 251, 252, 253, 254}  # VARCHAR .. STRING, ENUM, SET, BLOBs


def stable_flags(flags, type_code):
    mask = NOT_NULL | BLOB | UNSIGNED | ZEROFILL | ENUM | SET
    if type_code in STRING_TYPES:
        mask |= BINARY
    return flags & mask


def _install_sqlstate_hook():
    """pymysql drops the SQLSTATE of an error packet; keep it on the exception (.sqlstate)."""
    original = pymysql.err.raise_mysql_exception
    if getattr(original, "_keeps_sqlstate", False):
        return

    def raise_with_sqlstate(data):
        try:
            original(data)
        except pymysql.err.MySQLError as e:
            e.sqlstate = data[4:9].decode("ascii", "replace") if data[3:4] == b"#" else None
            raise
    raise_with_sqlstate._keeps_sqlstate = True
    pymysql.err.raise_mysql_exception = raise_with_sqlstate


_install_sqlstate_hook()


def connect(port, db=None, read_timeout=60):
    return pymysql.connect(host=LOOPBACK, port=port, user="app", password="app", database=db,
                           charset="utf8mb4", autocommit=True, connect_timeout=10,
                           read_timeout=read_timeout, write_timeout=60, conv={})


class Answer:
    """Rows + column definitions, or an error."""
    __slots__ = ("fields", "rows", "error", "seconds")

    def __init__(self, fields=None, rows=None, error=None, seconds=0.0):
        self.fields, self.rows, self.error, self.seconds = fields, rows, error, seconds

    def error_text(self):
        e = self.error
        code = e.args[0] if e.args else "?"
        msg = e.args[1] if len(e.args) > 1 else str(e)
        return f"ERROR {code} ({getattr(e, 'sqlstate', None) or '?'}): {msg}"


def run(conn, sql):
    started = time.monotonic()
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            rows = list(cur.fetchall())
            fields = [tuple(stable_flags(f.flags, f.type_code) if a == "flags" else getattr(f, a)
                            for a in META_FIELDS) for f in (cur._result.fields or [])]
        return Answer(fields, rows, seconds=time.monotonic() - started)
    except pymysql.err.MySQLError as e:
        return Answer(error=e, seconds=time.monotonic() - started)


def _short(v, limit=60):
    s = repr(v)
    return s if len(s) <= limit else s[:limit] + "..."


def _row(r):
    return "(" + ", ".join(_short(v, 40) for v in r) + ")"


def _sort_key(row):
    return tuple((0, "") if v is None else (1, v) if isinstance(v, str) else (2, v.hex()) for v in row)


def _fold(v):
    return v.rstrip(" ").lower() if isinstance(v, str) else v


def compare(q, ref, sut):
    """None when equal, else (kind, detail). kind: 'error' | 'ref-error' | 'metadata' | 'rows'."""
    if ref.error is not None:  # a defect of the suite: every query must run on MariaDB
        return "ref-error", f"reference: {ref.error_text()}; proxy: " + (
            sut.error_text() if sut.error is not None else f"{len(sut.rows)} rows")
    if sut.error is not None:
        return "error", sut.error_text()
    if len(ref.fields) != len(sut.fields):
        return "metadata", (f"{len(sut.fields)} columns, expected {len(ref.fields)}: "
                            f"{[f[0] for f in sut.fields]} vs {[f[0] for f in ref.fields]}")
    diffs = []
    for i, (a, b) in enumerate(zip(ref.fields, sut.fields)):
        for name, x, y in zip(META_FIELDS, a, b):
            if name == "length" and a[TYPE] in FLOAT_TYPES:
                continue  # display width of a DOUBLE aggregate: 22 or 23 depending on the plan
            if x != y:
                diffs.append(f"column {i + 1} ({a[0]}) {name}: {y!r}, expected {x!r}")
    if diffs:
        return "metadata", "; ".join(diffs)
    exp, got = ref.rows, sut.rows
    mode = q.mode
    if mode.endswith("_fold"):
        # Which member of a PAD SPACE / case-insensitive group ('a', 'a ', 'A') a server shows
        # is not defined: compare the values without trailing spaces, in lower case.
        mode = mode[:-len("_fold")]
        exp, got = [tuple(map(_fold, r)) for r in exp], [tuple(map(_fold, r)) for r in got]
    if mode == "ordered":
        if exp != got:
            return "rows", _sequence_diff(exp, got)
        return None
    if mode == "ordered_by":
        pe, pg = [r[:q.k] for r in exp], [r[:q.k] for r in got]
        if pe != pg:
            return "rows", f"order of the first {q.k} column(s) differs: " + _sequence_diff(pe, pg)
    if sorted(exp, key=_sort_key) != sorted(got, key=_sort_key):
        return "rows", _multiset_diff(exp, got)
    return None


def _sequence_diff(exp, got):
    n = next((i for i, (a, b) in enumerate(zip(exp, got)) if a != b), min(len(exp), len(got)))
    parts = [f"{len(got)} rows, expected {len(exp)}"]
    if n < max(len(exp), len(got)):
        parts.append(f"first difference at row {n + 1}: got {_row(got[n]) if n < len(got) else '<end>'}, "
                     f"expected {_row(exp[n]) if n < len(exp) else '<end>'}")
    return "; ".join(parts)


def _multiset_diff(exp, got):
    ce, cg = collections.Counter(map(tuple, exp)), collections.Counter(map(tuple, got))
    missing = sorted((ce - cg).elements(), key=_sort_key)
    extra = sorted((cg - ce).elements(), key=_sort_key)
    parts = [f"{len(got)} rows, expected {len(exp)}"]
    if missing:
        parts.append(f"{len(missing)} missing, e.g. " + ", ".join(_row(r) for r in missing[:3]))
    if extra:
        parts.append(f"{len(extra)} unexpected, e.g. " + ", ".join(_row(r) for r in extra[:3]))
    return "; ".join(parts)
