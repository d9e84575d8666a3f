"""Deterministic dataset of the differential suite: DDL, rows and the INSERT texts.

The same statements go through ShardGate (split over 4 shards) and straight into the plain
reference server, so both hold exactly the same rows. Values are chosen to stress a merge:
NULLs in every nullable column, many ties, negatives, zero, DECIMAL extremes, BIGINT
UNSIGNED values above 2^63, dates over eight years, Korean and mixed-case ASCII text.

No two distinct strings of a column of orders / order_items / members / shops compare equal
under utf8mb4_general_ci (no 'abc'/'ABC', no trailing-space or accent variants): MySQL picks any
member of such a group for GROUP BY / DISTINCT, so the two sides could legitimately differ there.
Table pads has exactly such variants on purpose (PAD SPACE regression); its queries compare such
values folded (compare.py, modes *_fold) or select only what is decided.
"""
import datetime
import random
from decimal import Decimal

SCHEMA = "difftest"
SEED = 20261201
N_ORDERS = 2000
ORDER_PATTERN = r"^ORD(?<date>\d{8})(?<seq>\d{8})$"

TABLE_OPTIONS = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"

DDL = {
    "orders": (
        "CREATE TABLE orders ("
        " order_no VARCHAR(19) NOT NULL PRIMARY KEY,"
        " member_id INT NULL,"
        " shop_id INT NULL,"
        " status VARCHAR(16) NULL,"
        " amount DECIMAL(12,2) NULL,"
        " qty INT NULL,"
        " created DATETIME NOT NULL,"
        " ship_date DATE NULL,"
        " big BIGINT UNSIGNED NULL,"
        " score DOUBLE NULL,"
        " note VARCHAR(100) NULL,"
        " KEY (shop_id), KEY (created))" + TABLE_OPTIONS),
    "order_items": (
        "CREATE TABLE order_items ("
        " order_no VARCHAR(19) NOT NULL,"
        " line_no INT NOT NULL,"
        " sku VARCHAR(20) NOT NULL,"
        " price DECIMAL(10,2) NULL,"
        " qty INT NULL,"
        " PRIMARY KEY (order_no, line_no))" + TABLE_OPTIONS),
    # Independently sharded (by member_id): only for the "must refuse" joins.
    "members": (
        "CREATE TABLE members (member_id INT NOT NULL PRIMARY KEY, name VARCHAR(50) NULL)"
        + TABLE_OPTIONS),
    # Broadcast table (a full copy on every shard) when the proxy supports that.
    "shops": (
        "CREATE TABLE shops ("
        " id INT NOT NULL PRIMARY KEY,"
        " name VARCHAR(50) NOT NULL,"
        " region VARCHAR(20) NULL,"
        " rating DECIMAL(3,1) NULL,"
        " opened DATE NULL)" + TABLE_OPTIONS),
    # Regression tables of the merge review (hashed by id, pads co-located with edge).
    # edge: one column per type whose merge needs care (FLOAT, exactly summable DOUBLEs, wide
    # DECIMAL, TIME beyond 24 h and negative, DATETIME(6), BIT, ENUM, BIGINT UNSIGNED near 2^64).
    "edge": (
        "CREATE TABLE edge ("
        " id INT NOT NULL PRIMARY KEY,"
        " grp VARCHAR(8) NOT NULL,"
        " qty INT NULL,"
        " f FLOAT NULL,"
        " d DOUBLE NULL,"
        " dbig DOUBLE NULL,"
        " dtiny DOUBLE NULL,"
        " dec6 DECIMAL(20,6) NULL,"
        " t TIME NULL,"
        " dd DATE NULL,"
        " dt DATETIME NULL,"
        " dt6 DATETIME(6) NULL,"
        " bits BIT(8) NULL,"
        " e ENUM('small','medium','large','x-large') NULL,"
        " u BIGINT UNSIGNED NULL,"
        " txt VARCHAR(20) NULL)" + TABLE_OPTIONS),
    # pads: text that differs only by trailing spaces (and case) under PAD SPACE collations:
    # 'a' = 'a ' = 'A  ' in g/u/l/c, 'a' = 'a ' <> 'A' in b.
    "pads": (
        "CREATE TABLE pads ("
        " id INT NOT NULL PRIMARY KEY,"
        " n INT NOT NULL,"
        " g VARCHAR(12) COLLATE utf8mb4_general_ci NULL,"
        " u VARCHAR(12) COLLATE utf8mb4_unicode_ci NULL,"
        " b VARCHAR(12) COLLATE utf8mb4_bin NULL,"
        " l VARCHAR(12) CHARACTER SET latin1 COLLATE latin1_swedish_ci NULL,"
        " c CHAR(6) COLLATE utf8mb4_general_ci NULL,"
        " tx TEXT COLLATE utf8mb4_general_ci NULL)" + TABLE_OPTIONS),
}
SHARDED_TABLES = ("orders", "order_items", "members", "edge", "pads")
# Every table in load order (the proxy side creates shops only as a broadcast table).
ALL_TABLES = ("orders", "order_items", "members", "shops", "edge", "pads")

STATUSES = ["PAID"] * 6 + ["SHIPPED"] * 4 + ["NEW"] * 3 + ["CANCELLED"] * 2 + ["refunded"] * 2 + [None] * 2
NOTES = ["서울", "부산", "한글 메모", "대구 지점", "서울특별시 강남구", "mixed 한글 text", "Seoul office", "busan",
         "apple", "Banana", "cherry", "Zebra", "zoo", "ABC-123", "abd", "123", "", "Kim's gift",
         "Gift wrap", "rush delivery", "😀 emoji"]
SKUS = [f"SKU-{n:03d}" for n in range(1, 41)] + ["sku-x1", "Sku-Y2", "사과-01", "배-02", "감-03"]
TIMES = [datetime.time(h, m, s) for h, m, s in
         [(0, 0, 0), (9, 0, 0), (9, 30, 15), (12, 0, 0), (12, 0, 1), (13, 45, 0), (18, 20, 59),
          (23, 59, 59), (7, 7, 7), (15, 0, 0), (21, 10, 0), (3, 33, 33)]]
BIG_SPECIAL = [0, 1, 2**63 - 1, 2**63, 2**63 + 1, 2**64 - 1, 10**18, 12345678901234567890]
AMOUNT_TIES = [Decimal("10.00"), Decimal("19.99"), Decimal("100.00"), Decimal("0.00"), Decimal("-5.00")]
AMOUNT_EXTREMES = [Decimal("9999999999.99"), Decimal("-9999999999.99"), Decimal("0.01"), Decimal("-0.01"),
                   Decimal("1234567890.12")]
SHOP_NAMES = ["강남점", "홍대점", "Busan Central", "해운대", "Incheon Port", "daegu main", "Jeonju", "광주점",
              "Suwon", "ulsan", "제주점", "Pohang", "Changwon", "청주점", "Ansan", "Goyang", "용인점",
              "Seongnam", "Bucheon", "Hwaseong"]
REGIONS = ["서울", "부산", "Incheon", "daegu", None]

# pads: base words and their PAD SPACE variants ('' = ' ' too); latin1 gets no Korean.
PAD_BASES = ["a", "b", "ab", "a b", "", "zz", "한글", "x-1"]
PAD_BASES_LATIN1 = ["a", "b", "ab", "a b", "", "zz", "x-1"]
PAD_VARIANTS = [lambda w: w, lambda w: w + " ", lambda w: w + "   ", lambda w: w.upper(),
                lambda w: w.upper() + " ",
                # characters that sort below a space: 'a\t' < 'a' = 'a ' under PAD SPACE
                lambda w: w + "\t", lambda w: w + "\n"]
N_EDGE = 160
N_PADS = 180
N_EDGE_GROUPS = 16  # ~10 rows a group: MIN/MAX of a group differ from group to group
EDGE_TIMES = ["-838:59:59", "838:59:59", "-00:00:01", "00:00:00", "25:00:00", "100:30:00", "-25:00:00",
              "12:00:00", "23:59:59", "-100:00:00", "24:00:00", "09:05:00", "-00:00:00.5"]
NOON = datetime.datetime(2026, 6, 1, 12, 0, 0)
# around 2026-06-01 12:00 (midnight and noon exactly too), rarely far away
EDGE_DAY_OFFSETS = [-3, -2, -1, -1, 0, 0, 0, 1, 1, 2, 3]
EDGE_SECOND_OFFSETS = [-43200, -43200, -43201, -1, 0, 0, 1, 3600, 43199, -86400]
EDGE_MICROS = [0, 0, 1, -1, 500000, 99999, -999999]
EDGE_U = [2**64 - 1, 2**64 - 2, 2**64 - 1000, 2**63, 2**63 - 1, 0, 1, 18446744073709551000]
EDGE_TXT = ["m", "mm", "M ", "n", "", "zeta"]


def order_no(day, seq):
    return f"ORD{day:%Y%m%d}{seq:08d}"


def sql_literal(v):
    """A SQL literal for a Python value (the same text goes to both sides)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, Decimal)):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, datetime.datetime):
        return f"'{v:%Y-%m-%d %H:%M:%S}'"
    if isinstance(v, datetime.date):
        return f"'{v:%Y-%m-%d}'"
    s = str(v).replace("\\", "\\\\").replace("'", "''")
    return f"'{s}'"


class Dataset:
    """All rows, generated from SEED (the same on every run and machine)."""

    def __init__(self, seed=SEED, n_orders=N_ORDERS):
        rng = random.Random(seed)
        start = datetime.date(2019, 1, 1)
        days = sorted({start + datetime.timedelta(days=rng.randrange(0, 8 * 365)) for _ in range(700)})
        seqs = rng.sample(range(1, 100_000_000), n_orders)
        self.orders = []
        for i, seq in enumerate(seqs):
            day = rng.choice(days)
            created = datetime.datetime.combine(day, rng.choice(TIMES))
            r = rng.random()
            if r < 0.05:
                amount = None
            elif r < 0.20:
                amount = rng.choice(AMOUNT_TIES)
            elif r < 0.215:
                amount = rng.choice(AMOUNT_EXTREMES)
            elif r < 0.30:
                amount = Decimal(rng.randint(-50000, -1)) / 100
            else:
                amount = Decimal(rng.randint(1, 500000)) / 100
            qty = None if rng.random() < 0.06 else rng.randint(-2, 20)
            member = None if rng.random() < 0.02 else rng.randint(1, 400)
            r = rng.random()
            shop = None if r < 0.03 else 99 if r < 0.04 else rng.randint(1, 20)
            ship = None if rng.random() < 0.15 else day + datetime.timedelta(days=rng.randint(0, 10))
            r = rng.random()
            big = None if r < 0.03 else rng.choice(BIG_SPECIAL) if r < 0.2 else rng.randint(0, 2**64 - 1) \
                if r < 0.6 else rng.randint(0, 1000)
            r = rng.random()
            score = None if r < 0.05 else 0.0 if r < 0.1 else round(rng.uniform(-1000, 1000), 3)
            note = None if rng.random() < 0.1 else rng.choice(NOTES)
            self.orders.append({
                "order_no": order_no(day, seq), "member_id": member, "shop_id": shop,
                "status": rng.choice(STATUSES), "amount": amount, "qty": qty, "created": created,
                "ship_date": ship, "big": big, "score": score, "note": note})
        self.items = []
        for o in self.orders:
            for line in range(1, rng.choice([0, 1, 1, 2, 2, 2, 3, 3, 4, 5]) + 1):
                r = rng.random()
                price = None if r < 0.04 else Decimal("0.00") if r < 0.07 else \
                    Decimal(rng.randint(-2000, -1)) / 100 if r < 0.1 else Decimal(rng.randint(1, 99999)) / 100
                self.items.append({"order_no": o["order_no"], "line_no": line, "sku": rng.choice(SKUS),
                                   "price": price, "qty": None if rng.random() < 0.03 else rng.randint(1, 5)})
        self.members = [{"member_id": m, "name": f"member {m}"} for m in range(1, 401, 7)]
        self.shops = []
        for i, name in enumerate(SHOP_NAMES, start=1):
            self.shops.append({"id": i, "name": name, "region": REGIONS[i % len(REGIONS)],
                               "rating": None if i % 6 == 0 else Decimal(rng.randint(10, 50)) / 10,
                               "opened": datetime.date(2015 + i % 8, 1 + i % 12, 1 + i)})
        self.keys = [o["order_no"] for o in self.orders]
        self._edge_rows(random.Random(seed + 1))

    def _edge_rows(self, rng):
        """Rows of edge and pads (their own generator: orders & co. stay as they were)."""
        def maybe(v, p=0.08):
            return None if rng.random() < p else v

        self.edge = []
        for i in range(1, N_EDGE + 1):
            g = rng.randrange(N_EDGE_GROUPS)
            far = rng.random() < 0.08
            dt = datetime.datetime(2019, 1, 3) if far else NOON + datetime.timedelta(
                seconds=rng.choice(EDGE_SECOND_OFFSETS))
            self.edge.append({
                "id": i, "grp": f"g{g:02d}", "qty": maybe(rng.randint(-3, 30)),
                "f": maybe(rng.choice([1.5, -2.25, 0.1, 3.3, 1e-3, 1234.5, 0.0])),
                # exactly representable and exactly summable in any order within a group (multiples
                # of 1/4, of 1e6, of 1e14, of 2^-20): sums and averages are the same on one server
                # and merged. Not summed over all groups (1e15 + 1e6 * k would round).
                "d": maybe(1e6 if g % 5 == 0 else rng.randint(-400, 400) / 4),
                "dbig": maybe([1e14, 1e15, 1e6 * rng.randint(1, 9), 1e14 * rng.randint(1, 30)][g % 4]),
                "dtiny": maybe(rng.choice([2 ** -16, 3 * 2 ** -16, 2 ** -20, 5 * 2 ** -14, 7 * 2 ** -18])),
                "dec6": maybe(Decimal(rng.randint(-9999999, 9999999)) / 1000000),
                "t": maybe(rng.choice(EDGE_TIMES)),
                "dd": maybe(datetime.date(2030, 12, 31) if far else
                            NOON.date() + datetime.timedelta(days=rng.choice(EDGE_DAY_OFFSETS))),
                "dt": maybe(dt),
                "dt6": maybe(f"{dt + datetime.timedelta(microseconds=rng.choice(EDGE_MICROS)):%Y-%m-%d %H:%M:%S.%f}"),
                "bits": maybe(rng.randint(0, 255)),
                "e": maybe(rng.choice(["small", "medium", "large", "x-large"])),
                "u": maybe(rng.choice(EDGE_U) if rng.random() < 0.7 else rng.randint(2**63, 2**64 - 1)),
                "txt": maybe(rng.choice(EDGE_TXT))})

        def pad(bases):
            return maybe(rng.choice(PAD_VARIANTS)(rng.choice(bases)), 0.06)

        self.pads = [{"id": i, "n": rng.randint(1, 9), "g": pad(PAD_BASES), "u": pad(PAD_BASES),
                      "b": pad(PAD_BASES), "l": pad(PAD_BASES_LATIN1), "c": pad(PAD_BASES), "tx": pad(PAD_BASES)}
                     for i in range(1, N_PADS + 1)]

    @staticmethod
    def inserts(table, rows, batch):
        """Multi-row INSERT texts (column list first: ShardGate needs the key named)."""
        cols = list(rows[0])
        out = []
        for i in range(0, len(rows), batch):
            values = ",".join("(" + ",".join(sql_literal(r[c]) for c in cols) + ")" for r in rows[i:i + batch])
            out.append(f"INSERT INTO {table} ({', '.join(cols)}) VALUES {values}")
        return out

    def statements(self, table):
        return self.inserts(table, self.rows(table), 100 if table == "orders" else 200)

    def rows(self, table):
        return {"orders": self.orders, "order_items": self.items, "members": self.members,
                "shops": self.shops, "edge": self.edge, "pads": self.pads}[table]


def sharding_config(names, broadcast=True):
    """The `schemas:` part of the ShardGate config: orders hashed (modulo of seq) over all
    shards, order_items co-located, members sharded independently by range of member_id,
    shops a broadcast table (when `broadcast`)."""
    tables = {
        "orders": {"shard_key": "order_no",
                   "key": {"kind": "order_number", "pattern": ORDER_PATTERN},
                   "strategy": {"kind": "hash", "function": "modulo", "shards": list(names)}},
        "order_items": {"shard_key": "order_no", "same_as": "orders"},
        "members": {"shard_key": "member_id", "key": "integer",
                    "strategy": {"kind": "range", "ranges": [
                        {"below": 100, "cluster": names[0]}, {"below": 200, "cluster": names[1]},
                        {"below": 300, "cluster": names[2]}, {"cluster": names[3]}]}},
        "edge": {"shard_key": "id", "key": "integer",
                 "strategy": {"kind": "hash", "function": "modulo", "shards": list(names)}},
        "pads": {"shard_key": "id", "same_as": "edge"},
    }
    if broadcast:
        tables["shops"] = {"broadcast": True}
    return {SCHEMA: {"default_cluster": names[0], "tables": tables}}


def expected_shard_index(order_no_value, shard_count=4):
    return int(order_no_value[11:]) % shard_count
