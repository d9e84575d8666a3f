"""The query list of the differential suite.

Each query is a Q(tag, sql, mode, k, group):
  tag    the construct it exercises (failures are summarised per tag)
  mode   'ordered'     the ORDER BY decides the whole row order: the sequences must be equal
         'multiset'    no (deciding) ORDER BY: the sorted row lists must be equal
         'ordered_by'  the ORDER BY decides the order of the first k select columns only: the
                       sequence of those k-column prefixes must be equal, and the multisets of
                       whole rows
  group  'main'       must merge exactly (orders / order_items)
         'broadcast'  must merge exactly (with the broadcast table shops)
         'either'     must merge exactly OR refuse with 1235 - constructs the merge may decline
                      (expressions over aggregates, GROUP_CONCAT, WITH ROLLUP, ...), never wrong rows
  mode '..._fold' (ordered_fold, multiset_fold): as without _fold, but text values are compared
         without trailing spaces and in lower case - for groups of PAD SPACE / _ci equal strings
         ('a', 'a ', 'A'), where a server may show any member

LIMIT queries always use an ORDER BY that decides the order completely (ties at the LIMIT
boundary may legitimately pick different rows).

REFUSALS are statements ShardGate must refuse with error 1235 (SQLSTATE 42000) and a message
naming the construct - never answer with rows.
"""
from collections import namedtuple

from dataset import expected_shard_index, sql_literal

Q = namedtuple("Q", "tag sql mode k group")


def q(tag, sql, mode="multiset", k=0, group="main"):
    if mode == "ordered_by":
        assert k > 0, sql
    return Q(tag, " ".join(sql.split()), mode, k, group)


def flip(d):
    return "DESC" if d == "ASC" else "ASC"


def lit_list(values):
    return "(" + ", ".join(sql_literal(v) for v in values) + ")"


# Filters used by several templates (each matches some rows, a few match none).
CONDS = [
    "amount > 1000", "amount < 0", "amount = 0", "amount IS NULL", "amount BETWEEN 10 AND 20",
    "qty IS NULL", "qty >= 10 AND status = 'PAID'", "status IS NULL", "status = 'refunded'",
    "status <> 'PAID'", "note LIKE '서울%'", "note = '한글 메모'", "note IS NULL OR note = ''",
    "created >= '2026-01-01'", "created < '2019-06-01'", "ship_date IS NULL AND status = 'SHIPPED'",
    "big > 9223372036854775807", "big = 18446744073709551615", "score < 0", "member_id NOT IN (1, 2, 3)",
    "note > 'b' AND note < 'z'", "1 = 0",
]
# Columns of orders that ORDER BY / MIN / MAX / GROUP BY / DISTINCT run over.
ORDER_COLS = ["amount", "qty", "created", "ship_date", "big", "score", "note", "status", "member_id",
              "shop_id"]


def build(data):
    """All queries for a Dataset (point selects and IN-lists use its real keys)."""
    keys = data.keys
    by_shard = {i: [k for k in keys if expected_shard_index(k) == i] for i in range(4)}
    missing = "ORD2020010199999998"  # well-formed, not in the data
    with_items = sorted({it["order_no"] for it in data.items})
    out = []
    add = out.append

    # --- plain scatter (concatenation), filters, IN-lists without the key -------------------
    add(q("scatter", "SELECT * FROM orders"))
    add(q("scatter", "SELECT order_no, status FROM orders"))
    add(q("scatter", "SELECT * FROM order_items"))
    add(q("scatter", "SELECT sku, price * qty AS line_total FROM order_items WHERE price IS NULL OR qty IS NULL"))
    for c in CONDS:
        add(q("scatter_where", f"SELECT order_no, member_id, amount, status, note FROM orders WHERE {c}"))
    add(q("in_nonkey", "SELECT order_no, shop_id FROM orders WHERE shop_id IN (1, 2, 3)"))
    add(q("in_nonkey", "SELECT order_no, status FROM orders WHERE status IN ('NEW', 'CANCELLED', 'nope')"))
    add(q("in_nonkey", "SELECT order_no, note FROM orders WHERE note IN ('서울', 'apple', 'Zebra', '')"))
    add(q("in_nonkey", "SELECT order_no, big FROM orders WHERE big IN (0, 1, 18446744073709551615)"))
    add(q("in_nonkey", "SELECT order_no, line_no FROM order_items WHERE sku IN ('SKU-001', '사과-01')"))

    # --- point selects and IN-lists by key --------------------------------------------------
    for k in keys[0:8] + [missing]:
        add(q("point", f"SELECT * FROM orders WHERE order_no = '{k}'"))
    for k in with_items[:3]:
        add(q("point", f"SELECT * FROM order_items WHERE order_no = '{k}' ORDER BY line_no DESC", "ordered"))
        add(q("point", f"SELECT COUNT(*), SUM(price), AVG(qty) FROM order_items WHERE order_no = '{k}'"))
    spread = [by_shard[i][j] for j in range(3) for i in range(4)]  # 12 keys over all 4 shards
    add(q("in_key", f"SELECT * FROM orders WHERE order_no IN {lit_list(spread[:2])}"))
    add(q("in_key", f"SELECT * FROM orders WHERE order_no IN {lit_list(spread[:5] + [missing])}"))
    add(q("in_key", f"SELECT order_no, amount FROM orders WHERE order_no IN {lit_list(spread)}"))
    add(q("in_key", f"SELECT * FROM orders WHERE order_no IN {lit_list(by_shard[2][:4])}"))  # one shard
    add(q("in_key", f"SELECT * FROM order_items WHERE order_no IN {lit_list(with_items[:9])}"))
    add(q("in_key_order", f"SELECT order_no, amount FROM orders WHERE order_no IN {lit_list(spread)}"
                          " ORDER BY amount DESC, order_no", "ordered"))
    add(q("in_key_order", f"SELECT order_no, note FROM orders WHERE order_no IN {lit_list(spread)}"
                          " ORDER BY note, order_no DESC", "ordered"))
    add(q("in_key_order", f"SELECT * FROM orders WHERE order_no IN {lit_list(spread)} ORDER BY order_no DESC"
                          " LIMIT 3", "ordered"))
    add(q("in_key_order", f"SELECT order_no, created FROM orders WHERE order_no IN {lit_list(spread)}"
                          " ORDER BY created, order_no LIMIT 4, 5", "ordered"))
    add(q("in_key_agg", f"SELECT COUNT(*) FROM orders WHERE order_no IN {lit_list(spread)}"))
    add(q("in_key_agg", f"SELECT COUNT(*), SUM(amount), MIN(created), MAX(note) FROM orders"
                        f" WHERE order_no IN {lit_list(spread)}"))
    add(q("in_key_agg", f"SELECT status, COUNT(*) FROM orders WHERE order_no IN {lit_list(spread)}"
                        " GROUP BY status"))
    add(q("in_key_agg", f"SELECT COUNT(*) FROM orders WHERE order_no IN {lit_list([missing, 'ORD2020010199999997'])}"))

    # --- ORDER BY ----------------------------------------------------------------------------
    for c in ORDER_COLS:
        for d in ("ASC", "DESC"):
            add(q("order_by", f"SELECT order_no, {c} FROM orders ORDER BY {c} {d}, order_no {flip(d)}", "ordered"))
            add(q("order_by_ties", f"SELECT {c}, order_no, amount FROM orders ORDER BY {c} {d}", "ordered_by", 1))
    for spec in ["status, amount DESC, order_no", "status DESC, created, order_no DESC",
                 "shop_id, qty DESC, order_no", "note, amount, order_no", "note DESC, status, order_no",
                 "ship_date DESC, big, order_no", "member_id, created DESC, order_no",
                 "qty, score DESC, order_no", "amount DESC, qty DESC, note, order_no",
                 "big DESC, shop_id, order_no", "created, order_no", "score, note DESC, order_no"]:
        add(q("order_by_multi", f"SELECT order_no, status, amount, qty, note, created FROM orders ORDER BY {spec}",
              "ordered"))
    for c in ["amount > 100", "status IS NULL", "note LIKE '%한%'", "created BETWEEN '2021-01-01' AND '2022-12-31'"]:
        add(q("order_by_where", f"SELECT * FROM orders WHERE {c} ORDER BY amount, order_no", "ordered"))
        add(q("order_by_where", f"SELECT order_no, note, qty FROM orders WHERE {c} ORDER BY note DESC, qty, order_no",
              "ordered"))
    add(q("order_by_ties", "SELECT status, shop_id, order_no FROM orders ORDER BY status, shop_id DESC",
          "ordered_by", 2))
    add(q("order_by_ties", "SELECT qty, note, order_no FROM orders ORDER BY qty DESC, note", "ordered_by", 2))
    add(q("order_by_ties", "SELECT created, status, amount FROM orders ORDER BY created DESC, status",
          "ordered_by", 2))
    add(q("order_by", "SELECT * FROM order_items ORDER BY price DESC, order_no, line_no", "ordered"))
    add(q("order_by", "SELECT * FROM order_items ORDER BY sku, qty, order_no DESC, line_no", "ordered"))
    add(q("order_by", "SELECT * FROM orders ORDER BY order_no", "ordered"))
    add(q("order_by", "SELECT * FROM orders ORDER BY order_no DESC", "ordered"))
    # by position and by alias
    add(q("order_by_position", "SELECT order_no, amount FROM orders ORDER BY 2 DESC, 1", "ordered"))
    add(q("order_by_position", "SELECT note, qty, order_no FROM orders ORDER BY 1, 3 DESC", "ordered"))
    add(q("order_by_position", "SELECT status, created, order_no FROM orders ORDER BY 1 DESC, 2, 3", "ordered"))
    add(q("order_by_position", "SELECT big, order_no FROM orders WHERE big IS NOT NULL ORDER BY 1, 2", "ordered"))
    add(q("order_by_position", "SELECT amount, qty FROM orders ORDER BY 1 DESC", "ordered_by", 1))
    add(q("order_by_alias", "SELECT order_no AS k, amount AS a FROM orders ORDER BY a, k", "ordered"))
    add(q("order_by_alias", "SELECT order_no, amount * 2 AS dbl FROM orders ORDER BY dbl DESC, order_no", "ordered"))
    add(q("order_by_alias", "SELECT order_no, COALESCE(note, '(none)') AS n FROM orders ORDER BY n, order_no",
          "ordered"))
    add(q("order_by_alias", "SELECT order_no, qty * 10 + 1 AS q FROM orders ORDER BY q DESC, order_no DESC",
          "ordered"))
    add(q("order_by_alias", "SELECT o.order_no, o.status AS st FROM orders o ORDER BY st, o.order_no", "ordered"))
    add(q("order_by_alias", "SELECT order_no AS `번호`, note AS `메모` FROM orders ORDER BY `메모` DESC, `번호`",
          "ordered"))
    # by an expression / column not in the select list
    add(q("order_by_expr", "SELECT order_no FROM orders ORDER BY amount * qty DESC, order_no", "ordered"))
    add(q("order_by_expr", "SELECT order_no, note FROM orders ORDER BY COALESCE(amount, 0), order_no", "ordered"))
    add(q("order_by_expr", "SELECT order_no FROM orders ORDER BY created DESC, order_no", "ordered"))
    add(q("order_by_expr", "SELECT order_no, status FROM orders ORDER BY CHAR_LENGTH(note) DESC, order_no", "ordered"))
    add(q("order_by_expr", "SELECT order_no FROM orders ORDER BY YEAR(created), amount DESC, order_no", "ordered"))
    add(q("order_by_expr", "SELECT order_no FROM orders ORDER BY ABS(score), order_no", "ordered"))
    add(q("order_by_expr", "SELECT order_no, amount FROM orders ORDER BY shop_id IS NULL, shop_id DESC, order_no",
          "ordered"))
    add(q("order_by_expr", "SELECT order_no, note FROM orders ORDER BY BINARY note, order_no", "ordered"))
    add(q("order_by_expr", "SELECT order_no, amount FROM orders ORDER BY -amount, order_no", "ordered"))
    add(q("order_by_expr", "SELECT amount FROM orders ORDER BY qty, order_no", "ordered"))
    add(q("order_by_expr", "SELECT order_no, note FROM orders ORDER BY note COLLATE utf8mb4_bin DESC, order_no",
          "ordered"))

    # --- LIMIT ---------------------------------------------------------------------------------
    bases = [("order_no, amount", "amount DESC, order_no"), ("order_no, created, status", "created, order_no"),
             ("order_no, note", "note, order_no"), ("order_no, status, qty", "status DESC, qty, order_no"),
             ("order_no, big", "big, order_no DESC"), ("*", "score DESC, order_no")]
    limits = [("limit", "LIMIT 1"), ("limit", "LIMIT 10"), ("limit_offset", "LIMIT 5, 10"),
              ("limit_offset", "LIMIT 10 OFFSET 1990"), ("limit_0", "LIMIT 0"),
              ("limit_past_end", "LIMIT 2500, 5"), ("limit_offset", "LIMIT 100 OFFSET 37")]
    for cols, order in bases:
        for tag, lim in limits:
            add(q(tag, f"SELECT {cols} FROM orders ORDER BY {order} {lim}", "ordered"))
    add(q("limit", "SELECT order_no FROM orders ORDER BY order_no LIMIT 5000", "ordered"))
    add(q("limit", "SELECT order_no, amount FROM orders WHERE status = 'PAID' ORDER BY amount, order_no LIMIT 3, 7",
          "ordered"))
    add(q("limit", "SELECT order_no, note FROM orders WHERE note IS NOT NULL ORDER BY note DESC, order_no LIMIT 15",
          "ordered"))
    add(q("limit", "SELECT order_no, qty FROM orders WHERE amount < 0 ORDER BY qty DESC, order_no LIMIT 8 OFFSET 8",
          "ordered"))
    add(q("limit", "SELECT order_no, amount FROM orders WHERE 1 = 0 ORDER BY amount, order_no LIMIT 5", "ordered"))
    add(q("limit", "SELECT * FROM order_items ORDER BY price DESC, order_no, line_no LIMIT 20", "ordered"))
    add(q("limit_offset", "SELECT * FROM order_items ORDER BY sku, order_no, line_no LIMIT 25 OFFSET 3000",
          "ordered"))
    add(q("limit_offset", "SELECT order_no, amount * qty AS v FROM orders ORDER BY v DESC, order_no LIMIT 2, 3",
          "ordered"))
    add(q("limit_offset", "SELECT order_no FROM orders ORDER BY created DESC, order_no LIMIT 1999, 10", "ordered"))

    # --- aggregates without GROUP BY -------------------------------------------------------------
    add(q("agg_count", "SELECT COUNT(*) FROM orders"))
    add(q("agg_count", "SELECT COUNT(*) FROM order_items"))
    add(q("agg_count", "SELECT COUNT(1) FROM orders"))
    add(q("agg_count", "SELECT COUNT(*) AS n FROM orders"))
    for c in ["amount", "qty", "status", "note", "ship_date", "big", "score", "shop_id", "member_id"]:
        add(q("agg_count", f"SELECT COUNT({c}) FROM orders"))
    for c in ["status", "shop_id", "member_id", "note", "amount", "created", "big"]:
        add(q("agg_count_distinct", f"SELECT COUNT(DISTINCT {c}) FROM orders"))
    add(q("agg_count_distinct", "SELECT COUNT(DISTINCT sku) FROM order_items"))
    for c in ["qty", "amount", "member_id", "big"]:
        add(q("agg_sum", f"SELECT SUM({c}) FROM orders"))
    add(q("agg_sum", "SELECT SUM(price), SUM(qty) FROM order_items"))
    for c in ["amount", "qty", "created", "ship_date", "big", "score", "note", "status", "order_no"]:
        add(q("agg_minmax", f"SELECT MIN({c}), MAX({c}) FROM orders"))
    add(q("agg_minmax", "SELECT MIN(amount) FROM orders"))
    add(q("agg_minmax", "SELECT MAX(note) FROM orders"))
    add(q("agg_minmax", "SELECT MAX(created) AS latest FROM orders"))
    add(q("agg_minmax", "SELECT MIN(price), MAX(sku) FROM order_items"))
    for c in ["qty", "amount", "member_id", "big"]:
        add(q("agg_avg", f"SELECT AVG({c}) FROM orders"))
    add(q("agg_avg", "SELECT AVG(price) FROM order_items"))
    add(q("agg_multi", "SELECT COUNT(*), COUNT(amount), SUM(amount), MIN(amount), MAX(amount), AVG(amount)"
                       " FROM orders"))
    add(q("agg_multi", "SELECT COUNT(*), COUNT(qty), SUM(qty), MIN(qty), MAX(qty), AVG(qty) FROM orders"))
    add(q("agg_multi", "SELECT MAX(amount), COUNT(DISTINCT shop_id), MIN(note), SUM(big) FROM orders"))
    for c in ["status = 'PAID'", "amount < 0", "created >= '2026-01-01'", "note LIKE '서울%'", "qty IS NULL",
              "shop_id IN (3, 5, 7)", "big > 9223372036854775807", "score BETWEEN -10 AND 10",
              # rows on one or two shards only: the others answer NULL / 0
              "amount = 9999999999.99", "note = '😀 emoji' AND qty > 15"]:
        add(q("agg_where", f"SELECT COUNT(*), SUM(amount), AVG(qty), MIN(created), MAX(note) FROM orders WHERE {c}"))
    for c in ["1 = 0", "amount > 99999999999", "status = 'nope'"]:
        add(q("agg_empty", "SELECT COUNT(*), COUNT(amount), SUM(amount), AVG(amount), MIN(note), MAX(created)"
                           f" FROM orders WHERE {c}"))
    add(q("agg_empty", "SELECT SUM(qty) FROM orders WHERE 1 = 0"))
    add(q("agg_empty", "SELECT COUNT(*) FROM orders WHERE 1 = 0"))
    add(q("agg_empty", "SELECT COUNT(DISTINCT status), AVG(big) FROM orders WHERE status = 'nope'"))
    add(q("agg_sum", "SELECT SUM(price * qty) FROM order_items"))

    # --- GROUP BY / HAVING ----------------------------------------------------------------------
    for g in ["status", "shop_id", "qty", "note", "ship_date", "big", "score", "amount"]:
        add(q("group_by", f"SELECT {g}, COUNT(*), SUM(amount), MIN(created), MAX(qty), AVG(amount) FROM orders"
                          f" GROUP BY {g}"))
    add(q("group_by", "SELECT status, COUNT(amount), COUNT(note), COUNT(DISTINCT shop_id) FROM orders GROUP BY status"))
    add(q("group_by", "SELECT member_id, COUNT(*), SUM(qty) FROM orders GROUP BY member_id"))
    add(q("group_by", "SELECT status, AVG(qty), AVG(big) FROM orders GROUP BY status"))
    add(q("group_by", "SELECT shop_id, SUM(big), MIN(big), MAX(score) FROM orders GROUP BY shop_id"))
    add(q("group_by", "SELECT COUNT(*) FROM orders GROUP BY status"))
    add(q("group_by_multi", "SELECT status, shop_id, COUNT(*), SUM(amount) FROM orders GROUP BY status, shop_id"))
    add(q("group_by_multi", "SELECT shop_id, qty, COUNT(*) FROM orders GROUP BY shop_id, qty"))
    add(q("group_by_multi", "SELECT note, status, MIN(amount), MAX(amount) FROM orders GROUP BY note, status"))
    add(q("group_by_multi", "SELECT status, ship_date IS NULL AS unshipped, COUNT(*) FROM orders"
                            " GROUP BY status, unshipped"))
    for c in ["amount > 0", "created < '2022-01-01'", "note IS NOT NULL", "status = 'PAID' OR status IS NULL"]:
        add(q("group_by_where", f"SELECT status, COUNT(*), SUM(qty), AVG(amount) FROM orders WHERE {c}"
                                " GROUP BY status"))
    add(q("group_by_where", "SELECT shop_id, COUNT(*) FROM orders WHERE 1 = 0 GROUP BY shop_id"))
    for g in ["status", "shop_id", "qty", "note", "big"]:
        for d in ("ASC", "DESC"):
            add(q("group_order", f"SELECT {g}, COUNT(*), SUM(amount) FROM orders GROUP BY {g} ORDER BY {g} {d}",
                  "ordered"))
    add(q("group_order", "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY COUNT(*) DESC, status",
          "ordered"))
    add(q("group_order", "SELECT shop_id, COUNT(*) AS n FROM orders GROUP BY shop_id ORDER BY n DESC, shop_id",
          "ordered"))
    add(q("group_order", "SELECT shop_id, SUM(amount) FROM orders GROUP BY shop_id ORDER BY SUM(amount) DESC, shop_id",
          "ordered"))
    add(q("group_order", "SELECT status, AVG(amount) AS a FROM orders GROUP BY status ORDER BY a, status", "ordered"))
    add(q("group_order", "SELECT shop_id, MAX(created) FROM orders GROUP BY shop_id ORDER BY MAX(created) DESC,"
                         " shop_id", "ordered"))
    add(q("group_order", "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY 2 DESC, 1", "ordered"))
    add(q("group_order", "SELECT shop_id FROM orders GROUP BY shop_id ORDER BY SUM(qty) DESC, shop_id", "ordered"))
    add(q("group_order", "SELECT member_id, SUM(amount) AS total FROM orders GROUP BY member_id"
                         " ORDER BY total DESC, member_id", "ordered"))
    add(q("group_order", "SELECT status, shop_id, COUNT(*) FROM orders GROUP BY status, shop_id"
                         " ORDER BY status DESC, shop_id", "ordered"))
    add(q("group_order", "SELECT qty, COUNT(*) FROM orders GROUP BY qty ORDER BY COUNT(*), qty", "ordered"))
    add(q("group_order", "SELECT COUNT(*) AS n, note FROM orders GROUP BY note ORDER BY n DESC", "ordered_by", 1))
    add(q("having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) > 250"))
    add(q("having", "SELECT shop_id, COUNT(*) AS n FROM orders GROUP BY shop_id HAVING n > 95"))
    add(q("having", "SELECT shop_id, SUM(amount), COUNT(*) FROM orders GROUP BY shop_id"
                    " HAVING SUM(amount) > 100000 AND COUNT(*) < 105"))
    add(q("having", "SELECT qty, MIN(amount), MAX(qty) FROM orders GROUP BY qty"
                    " HAVING MIN(amount) < -300 OR MAX(qty) >= 20"))
    add(q("having", "SELECT status, AVG(amount) FROM orders GROUP BY status"
                    " HAVING AVG(amount) BETWEEN 100 AND 10000000"))
    add(q("having", "SELECT shop_id, COUNT(DISTINCT member_id) AS m FROM orders GROUP BY shop_id HAVING m > 80"))
    add(q("having", "SELECT member_id, SUM(amount) AS total FROM orders GROUP BY member_id HAVING total < 0"))
    add(q("having", "SELECT member_id, COUNT(*) FROM orders GROUP BY member_id HAVING COUNT(*) = 1"))
    add(q("having", "SELECT shop_id, SUM(qty) FROM orders GROUP BY shop_id HAVING SUM(qty) > 0"
                    " ORDER BY SUM(qty) DESC, shop_id", "ordered"))
    add(q("having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) > 100000"))
    add(q("having", "SELECT shop_id FROM orders GROUP BY shop_id HAVING SUM(amount) > 0"))
    add(q("having", "SELECT note, COUNT(*) AS n, MAX(created) FROM orders GROUP BY note HAVING n >= 80 AND"
                    " MAX(created) > '2026-06-01' ORDER BY note", "ordered"))
    add(q("group_limit", "SELECT shop_id, COUNT(*) FROM orders GROUP BY shop_id ORDER BY COUNT(*) DESC, shop_id"
                         " LIMIT 5", "ordered"))
    add(q("group_limit", "SELECT member_id, SUM(amount) AS s FROM orders GROUP BY member_id ORDER BY s DESC, member_id"
                         " LIMIT 10 OFFSET 3", "ordered"))
    add(q("group_limit", "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status LIMIT 2", "ordered"))
    add(q("group_limit", "SELECT qty, COUNT(*) FROM orders GROUP BY qty ORDER BY qty DESC LIMIT 3, 3", "ordered"))
    add(q("group_limit", "SELECT note, COUNT(*) FROM orders GROUP BY note ORDER BY note LIMIT 5", "ordered"))
    add(q("group_limit", "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status LIMIT 0", "ordered"))
    add(q("group_limit", "SELECT shop_id, AVG(qty) FROM orders GROUP BY shop_id HAVING COUNT(*) > 50"
                         " ORDER BY AVG(qty) DESC, shop_id LIMIT 4", "ordered"))
    add(q("group_expr", "SELECT YEAR(created), COUNT(*), SUM(amount) FROM orders GROUP BY YEAR(created)"))
    add(q("group_expr", "SELECT YEAR(created) AS y, COUNT(*) FROM orders GROUP BY y ORDER BY y", "ordered"))
    add(q("group_expr", "SELECT LEFT(order_no, 7) AS ym, COUNT(*) FROM orders GROUP BY ym ORDER BY ym DESC", "ordered"))
    add(q("group_expr", "SELECT amount > 0, COUNT(*) FROM orders GROUP BY amount > 0"))
    add(q("group_expr", "SELECT qty DIV 5 AS bucket, COUNT(*), AVG(amount) FROM orders GROUP BY bucket"))
    add(q("group_expr", "SELECT DATE(created) AS d, COUNT(*) FROM orders GROUP BY d ORDER BY COUNT(*) DESC, d"
                        " LIMIT 10", "ordered"))
    add(q("group_by", "SELECT sku, COUNT(*), SUM(price * qty) FROM order_items GROUP BY sku ORDER BY sku", "ordered"))
    add(q("group_by", "SELECT qty, COUNT(*), AVG(price) FROM order_items GROUP BY qty"))
    add(q("group_by_key", "SELECT order_no, COUNT(*) FROM order_items GROUP BY order_no HAVING COUNT(*) >= 5"))
    add(q("group_by_key", "SELECT order_no, SUM(price) FROM order_items GROUP BY order_no ORDER BY order_no LIMIT 20",
          "ordered"))
    add(q("group_by_key", "SELECT order_no, MAX(line_no) AS n FROM order_items GROUP BY order_no"
                          " ORDER BY n DESC, order_no DESC LIMIT 7", "ordered"))

    # --- DISTINCT ---------------------------------------------------------------------------------
    for c in ["status", "shop_id", "qty", "note", "ship_date", "big", "amount", "member_id", "score"]:
        add(q("distinct", f"SELECT DISTINCT {c} FROM orders"))
    add(q("distinct", "SELECT DISTINCT status, shop_id FROM orders"))
    add(q("distinct", "SELECT DISTINCT qty, status FROM orders"))
    add(q("distinct", "SELECT DISTINCT note, status FROM orders"))
    add(q("distinct", "SELECT DISTINCT sku FROM order_items"))
    for c in ["status", "shop_id", "note", "amount", "created", "big"]:
        for d in ("ASC", "DESC"):
            add(q("distinct_order", f"SELECT DISTINCT {c} FROM orders ORDER BY {c} {d}", "ordered"))
    add(q("distinct_order", "SELECT DISTINCT status, qty FROM orders ORDER BY status DESC, qty", "ordered"))
    add(q("distinct_limit", "SELECT DISTINCT note FROM orders ORDER BY note LIMIT 5", "ordered"))
    add(q("distinct_limit", "SELECT DISTINCT amount FROM orders ORDER BY amount DESC LIMIT 10", "ordered"))
    add(q("distinct_limit", "SELECT DISTINCT shop_id FROM orders ORDER BY shop_id LIMIT 3, 4", "ordered"))
    add(q("distinct_limit", "SELECT DISTINCT status FROM orders ORDER BY status LIMIT 0", "ordered"))
    add(q("distinct_limit", "SELECT DISTINCT qty, shop_id FROM orders ORDER BY qty, shop_id LIMIT 10 OFFSET 50",
          "ordered"))
    add(q("distinct_limit", "SELECT DISTINCT big FROM orders ORDER BY big DESC LIMIT 6", "ordered"))
    add(q("distinct", "SELECT DISTINCT status FROM orders WHERE amount < 0"))
    add(q("distinct", "SELECT DISTINCT shop_id, status FROM orders WHERE note LIKE '%한%'"))
    add(q("distinct", "SELECT DISTINCT status FROM orders WHERE 1 = 0"))
    add(q("distinct_limit", "SELECT DISTINCT order_no FROM order_items ORDER BY order_no LIMIT 10", "ordered"))

    # --- co-located joins orders / order_items ---------------------------------------------------
    add(q("join", "SELECT o.order_no, o.status, i.line_no, i.sku, i.price FROM orders o"
                  " JOIN order_items i ON o.order_no = i.order_no"))
    add(q("join", "SELECT order_no, line_no, amount, price FROM orders JOIN order_items USING (order_no)"))
    add(q("join", "SELECT o.order_no, o.amount FROM orders o LEFT JOIN order_items i ON o.order_no = i.order_no"
                  " WHERE i.order_no IS NULL"))
    add(q("join", "SELECT o.order_no, i.line_no, i.price FROM orders o JOIN order_items i ON i.order_no = o.order_no"
                  " WHERE o.status = 'PAID' AND i.price > 500"))
    add(q("join", "SELECT o.order_no, i.sku FROM orders o, order_items i WHERE o.order_no = i.order_no"
                  " AND o.note = '한글 메모'"))
    for k in with_items[3:6]:
        add(q("join_key", f"SELECT o.order_no, o.note, i.* FROM orders o JOIN order_items i USING (order_no)"
                          f" WHERE o.order_no = '{k}' ORDER BY i.line_no", "ordered"))
    add(q("join_key", f"SELECT o.order_no, i.line_no, i.price FROM orders o JOIN order_items i"
                      f" ON o.order_no = i.order_no WHERE o.order_no IN {lit_list(with_items[10:22])}"))
    add(q("join_key", f"SELECT o.order_no, SUM(i.price * i.qty) FROM orders o JOIN order_items i"
                      f" ON o.order_no = i.order_no WHERE o.order_no IN {lit_list(with_items[10:22])}"
                      " GROUP BY o.order_no ORDER BY o.order_no", "ordered"))
    add(q("join_order", "SELECT i.order_no, i.line_no, i.price, o.status FROM orders o JOIN order_items i"
                        " ON o.order_no = i.order_no ORDER BY i.price DESC, i.order_no, i.line_no", "ordered"))
    add(q("join_order", "SELECT i.order_no, i.line_no, o.created FROM orders o JOIN order_items i USING (order_no)"
                        " ORDER BY o.created DESC, i.order_no, i.line_no LIMIT 10", "ordered"))
    add(q("join_order", "SELECT o.order_no, i.line_no, i.sku FROM orders o JOIN order_items i"
                        " ON o.order_no = i.order_no ORDER BY i.sku, o.order_no DESC, i.line_no"
                        " LIMIT 20 OFFSET 100", "ordered"))
    add(q("join_agg", "SELECT COUNT(*) FROM orders o JOIN order_items i ON o.order_no = i.order_no"))
    add(q("join_agg", "SELECT SUM(i.price * i.qty), AVG(i.price), MAX(o.amount) FROM orders o"
                      " JOIN order_items i ON o.order_no = i.order_no"))
    add(q("join_agg", "SELECT o.status, SUM(i.qty), COUNT(DISTINCT o.order_no) FROM orders o"
                      " JOIN order_items i ON o.order_no = i.order_no GROUP BY o.status"))
    add(q("join_agg", "SELECT i.sku, SUM(i.price * i.qty) AS revenue FROM orders o JOIN order_items i"
                      " USING (order_no) WHERE o.status <> 'CANCELLED' GROUP BY i.sku"
                      " ORDER BY revenue DESC, i.sku LIMIT 5", "ordered"))
    add(q("join_agg", "SELECT o.shop_id, AVG(i.price), COUNT(*) FROM orders o JOIN order_items i"
                      " ON o.order_no = i.order_no GROUP BY o.shop_id HAVING COUNT(*) > 200"))
    add(q("join_agg", "SELECT o.order_no, COUNT(*) AS n_lines FROM orders o JOIN order_items i"
                      " ON o.order_no = i.order_no GROUP BY o.order_no HAVING n_lines > 4 ORDER BY o.order_no",
          "ordered"))
    add(q("join_agg", "SELECT o.status, COUNT(i.order_no) FROM orders o LEFT JOIN order_items i"
                      " ON o.order_no = i.order_no GROUP BY o.status ORDER BY o.status", "ordered"))
    add(q("join_distinct", "SELECT DISTINCT o.status FROM orders o JOIN order_items i ON o.order_no = i.order_no"
                           " WHERE i.price < 0"))
    add(q("join_distinct", "SELECT DISTINCT i.sku FROM orders o JOIN order_items i ON o.order_no = i.order_no"
                           " WHERE o.status = 'PAID' ORDER BY i.sku", "ordered"))

    # --- the broadcast table shops ------------------------------------------------------------------
    b = "broadcast"
    add(q(b, "SELECT * FROM shops", group=b))
    add(q(b, "SELECT * FROM shops ORDER BY name", "ordered", group=b))
    add(q(b, "SELECT COUNT(*), AVG(rating) FROM shops", group=b))
    add(q(b, "SELECT o.order_no, s.name FROM orders o JOIN shops s ON o.shop_id = s.id", group=b))
    add(q(b, "SELECT o.order_no, s.name, o.amount FROM orders o JOIN shops s ON s.id = o.shop_id"
             " WHERE s.region = '서울'", group=b))
    add(q(b, f"SELECT o.order_no, s.name FROM orders o JOIN shops s ON o.shop_id = s.id"
             f" WHERE o.order_no = '{keys[0]}'", group=b))
    add(q(b, f"SELECT o.order_no, s.region FROM orders o JOIN shops s ON o.shop_id = s.id"
             f" WHERE o.order_no IN {lit_list(spread)}", group=b))
    add(q(b, "SELECT o.order_no, s.name FROM orders o LEFT JOIN shops s ON o.shop_id = s.id WHERE s.id IS NULL",
          group=b))
    add(q(b + "_order", "SELECT s.name, o.order_no, o.amount FROM orders o JOIN shops s ON o.shop_id = s.id"
                        " ORDER BY s.name, o.order_no LIMIT 20", "ordered", group=b))
    add(q(b + "_order", "SELECT o.order_no, s.rating FROM orders o JOIN shops s ON o.shop_id = s.id"
                        " ORDER BY s.rating DESC, o.amount, o.order_no LIMIT 15 OFFSET 30", "ordered", group=b))
    add(q(b + "_agg", "SELECT s.region, COUNT(*), SUM(o.amount) FROM orders o JOIN shops s ON o.shop_id = s.id"
                      " GROUP BY s.region", group=b))
    add(q(b + "_agg", "SELECT s.name, SUM(o.amount) AS total FROM orders o JOIN shops s ON o.shop_id = s.id"
                      " GROUP BY s.name ORDER BY total DESC, s.name LIMIT 5", "ordered", group=b))
    add(q(b + "_agg", "SELECT s.id, COUNT(*) AS n FROM orders o JOIN shops s ON o.shop_id = s.id"
                      " GROUP BY s.id HAVING n > 100", group=b))
    add(q(b + "_agg", "SELECT COUNT(DISTINCT s.region), AVG(s.rating) FROM orders o JOIN shops s"
                      " ON o.shop_id = s.id", group=b))
    add(q(b + "_agg", "SELECT s.region, COUNT(*) FROM orders o JOIN shops s ON o.shop_id = s.id"
                      " JOIN order_items i ON i.order_no = o.order_no GROUP BY s.region ORDER BY s.region",
          "ordered", group=b))
    add(q(b + "_distinct", "SELECT DISTINCT s.region FROM orders o JOIN shops s ON o.shop_id = s.id"
                           " WHERE o.amount < 0", group=b))

    # --- review probes (adversarial review of the merge engine; these pass) ------------------
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING SUM(qty) BETWEEN 1800 AND 3000"
                       " ORDER BY status", "ordered"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) NOT BETWEEN 200 AND 300"
                       " ORDER BY status", "ordered"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) BETWEEN 300 AND NULL"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) NOT BETWEEN 300 AND NULL"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) IN (NULL, 319)"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) NOT IN (NULL, 319)"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING NOT (COUNT(*) IN (NULL, 319))"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) <=> 319"))
    add(q("rv_having", "SELECT shop_id, MAX(amount) FROM orders GROUP BY shop_id HAVING shop_id <=> NULL"))
    add(q("rv_having", "SELECT status, MAX(amount) FROM orders GROUP BY status HAVING MAX(amount) <=> NULL"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING status IS NULL"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status"
                       " HAVING status IS NOT NULL AND NOT COUNT(*) > 300 ORDER BY status", "ordered"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) > 300 OR status IS NULL"
                       " ORDER BY status", "ordered"))
    add(q("rv_having", "SELECT shop_id, COUNT(*) FROM orders GROUP BY shop_id HAVING COUNT(*) > 100 XOR shop_id > 10"
                       " ORDER BY shop_id", "ordered"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING SUM(qty) > 2000 && COUNT(*) < 500"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING SUM(qty) > 2000 || COUNT(*) < 200"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING ! (COUNT(*) > 300)"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING NULL"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING -1 ORDER BY status", "ordered"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) > TRUE"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) > '3e2'"))
    add(q("rv_having", "SELECT status, SUM(amount) s FROM orders GROUP BY status HAVING s ORDER BY status", "ordered"))
    add(q("rv_having", "SELECT shop_id, COUNT(*) FROM orders GROUP BY shop_id HAVING shop_id ORDER BY shop_id",
          "ordered"))
    add(q("rv_having", "SELECT shop_id, COUNT(*) FROM orders GROUP BY shop_id HAVING NOT shop_id"))
    add(q("rv_having", "SELECT shop_id, COUNT(*) FROM orders GROUP BY shop_id HAVING shop_id = '15'"))
    add(q("rv_having", "SELECT shop_id, COUNT(*) FROM orders GROUP BY shop_id HAVING shop_id = .1e1"))
    add(q("rv_having", "SELECT shop_id, COUNT(*) FROM orders GROUP BY shop_id HAVING shop_id = - 1"))
    add(q("rv_having", "SELECT shop_id, COUNT(*) FROM orders GROUP BY shop_id HAVING COUNT(*) = 0x6E"))
    add(q("rv_having", "SELECT shop_id, COUNT(*) FROM orders GROUP BY shop_id HAVING orders.shop_id > 18"
                       " ORDER BY shop_id", "ordered"))
    add(q("rv_having", "SELECT shop_id s, COUNT(*) FROM orders GROUP BY s HAVING s IN (1, 2, 99) ORDER BY s",
          "ordered"))
    add(q("rv_having", "SELECT shop_id, COUNT(*) FROM orders GROUP BY shop_id"
                       " HAVING shop_id = 1 XOR shop_id = 2 AND COUNT(*) > 0"))
    add(q("rv_having", "SELECT status FROM orders GROUP BY status HAVING AVG(qty) > 9 ORDER BY AVG(amount)",
          "ordered"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status"
                       " HAVING MIN(created) < '2019-01-03' ORDER BY status", "ordered"))
    add(q("rv_having", "SELECT status, COUNT(*) FROM orders GROUP BY status"
                       " HAVING MAX(big) >= 18446744073709551615 ORDER BY status", "ordered"))
    add(q("rv_having", "SELECT status, SUM(qty) AS amount FROM orders GROUP BY status HAVING amount > 2000"
                       " ORDER BY status", "ordered"))
    add(q("rv_group", "SELECT YEAR(created) y, COUNT(*) FROM orders GROUP BY y DESC", "ordered"))
    add(q("rv_group", "SELECT YEAR(created), COUNT(*) FROM orders GROUP BY 1 DESC LIMIT 3", "ordered"))
    add(q("rv_group", "SELECT COUNT(*), YEAR(created) FROM orders GROUP BY 2 ORDER BY 1 DESC, 2 LIMIT 4", "ordered"))
    add(q("rv_group", "SELECT COUNT(*) FROM orders GROUP BY YEAR(created), MONTH(created)"
                      " ORDER BY COUNT(*) DESC, MIN(order_no) LIMIT 5", "ordered"))
    add(q("rv_group", "SELECT status, shop_id, COUNT(*) FROM orders GROUP BY shop_id DESC, status LIMIT 10",
          "ordered"))
    add(q("rv_group", "SELECT member_id IS NULL, shop_id IS NULL, COUNT(*) FROM orders GROUP BY 1, 2", "ordered"))
    add(q("rv_group", "SELECT DISTINCT COUNT(*) c FROM orders GROUP BY shop_id ORDER BY c DESC LIMIT 3", "ordered"))
    add(q("rv_group", "SELECT shop_id, COUNT(*) n FROM orders GROUP BY shop_id ORDER BY n DESC, shop_id LIMIT 0",
          "ordered"))
    add(q("rv_group", "SELECT shop_id, COUNT(*) n FROM orders GROUP BY shop_id ORDER BY n DESC, shop_id LIMIT 100, 5",
          "ordered"))
    add(q("rv_group", "SELECT status, COUNT(*) FROM orders WHERE qty > 1000 GROUP BY status"))
    add(q("rv_group", "SELECT COUNT(*), SUM(qty), AVG(qty), MIN(note), MAX(created), COUNT(DISTINCT status)"
                      " FROM orders WHERE qty > 1000"))
    add(q("rv_group", "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY COUNT(DISTINCT shop_id), status",
          "ordered"))
    add(q("rv_order", "SELECT amount AS qty, order_no FROM orders ORDER BY qty, order_no LIMIT 10", "ordered"))
    add(q("rv_order", "SELECT qty AS amount, order_no FROM orders ORDER BY amount DESC, order_no LIMIT 10",
          "ordered"))
    add(q("rv_order", "SELECT order_no, -amount AS amount FROM orders ORDER BY orders.amount, order_no LIMIT 5",
          "ordered"))
    add(q("rv_order", "SELECT order_no, -amount AS amount FROM orders ORDER BY `amount`, order_no LIMIT 5",
          "ordered"))
    add(q("rv_order", "SELECT amount * 2 AS dbl, orders.* FROM orders ORDER BY dbl DESC, order_no LIMIT 3",
          "ordered"))
    add(q("rv_order", "SELECT order_no, amount FROM orders ORDER BY amount DESC, order_no LIMIT 18446744073709551615",
          "ordered"))
    add(q("rv_order", "SELECT order_no, amount FROM orders ORDER BY amount DESC, order_no"
                      " LIMIT 1990, 18446744073709551615", "ordered"))
    add(q("rv_order", "SELECT order_no, amount FROM orders ORDER BY amount DESC, order_no LIMIT 5000, 10",
          "ordered"))
    add(q("rv_order", "SELECT order_no, note FROM orders ORDER BY CONVERT(note USING latin1), order_no LIMIT 30",
          "ordered"))
    add(q("rv_order", "SELECT order_no, note FROM orders ORDER BY LENGTH(note) DESC, note, order_no LIMIT 30",
          "ordered"))
    add(q("rv_order", "SELECT o.amount AS price, i.price AS amount FROM orders o JOIN order_items i USING (order_no)"
                      " ORDER BY price, amount, o.order_no, i.line_no LIMIT 10", "ordered"))
    add(q("rv_syntax", "/* lead */ SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status -- trail",
          "ordered"))
    add(q("rv_syntax", "select `status`, count(*) AS `n` from `orders` group by `status` order by `n` desc, `status`",
          "ordered"))
    add(q("rv_syntax", "SELECT status /* c1 */, /* c2 */ COUNT(*) /* c3 */ FROM orders GROUP BY status /* c4 */"
                       " ORDER BY status /* c5 */ LIMIT 3", "ordered"))
    add(q("rv_syntax", "SELECT `order_no` `o`, amount `a` FROM orders ORDER BY `a` DESC, o LIMIT 4", "ordered"))
    add(q("rv_syntax", "SELECT order_no, amount FROM orders ORDER BY amount DESC, order_no LIMIT 5 FOR UPDATE",
          "ordered"))
    add(q("rv_syntax", "SELECT order_no, amount FROM orders ORDER BY amount DESC, order_no LIMIT 5 LOCK IN SHARE MODE",
          "ordered"))
    add(q("rv_syntax", "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status FOR UPDATE", "ordered"))
    add(q("rv_syntax", "SELECT order_no FROM orders ORDER BY order_no LIMIT 2 OFFSET 1 FOR UPDATE SKIP LOCKED",
          "ordered"))
    add(q("rv_syntax", "SELECT DISTINCTROW status FROM orders ORDER BY status", "ordered"))
    add(q("rv_join", "SELECT o.status s, SUM(i.qty) q FROM orders o JOIN order_items i USING (order_no) GROUP BY s"
                     " HAVING q > 100 ORDER BY q DESC", "ordered"))
    add(q("rv_join", "SELECT i.line_no, COUNT(*), MIN(o.created), MAX(i.price) FROM orders o"
                     " JOIN order_items i ON o.order_no = i.order_no GROUP BY i.line_no", "ordered"))
    add(q("rv_join", "SELECT o.status, COUNT(i.line_no) FROM orders o LEFT JOIN order_items i"
                     " ON o.order_no = i.order_no GROUP BY o.status", "ordered"))
    add(q("rv_join", "SELECT COUNT(*) FROM orders o LEFT JOIN order_items i ON o.order_no = i.order_no"
                     " WHERE i.order_no IS NULL"))
    add(q("rv_avg", "SELECT AVG(CASE WHEN qty = 20 AND shop_id = 1 THEN 1 ELSE 0 END) FROM orders"
                    " WHERE created < '2019-03-01'"))
    add(q("rv_avg", "SELECT status, AVG(CASE WHEN qty = 3 THEN -1.05 ELSE 0 END) FROM orders GROUP BY status",
          "ordered"))

    # --- merge exactly or refuse (1235): constructs the merge may decline, never answer wrongly --
    e = "either"
    add(q("agg_expr", "SELECT SUM(amount) / COUNT(*) FROM orders", group=e))
    add(q("agg_expr", "SELECT COUNT(*) + 1 FROM orders", group=e))
    add(q("agg_expr", "SELECT SUM(qty) * 2 AS twice FROM orders", group=e))
    add(q("agg_expr", "SELECT MAX(amount) - MIN(amount) FROM orders", group=e))
    add(q("agg_expr", "SELECT ROUND(AVG(amount), 1) FROM orders", group=e))
    add(q("agg_expr", "SELECT status, SUM(amount) / COUNT(*) AS mean FROM orders GROUP BY status ORDER BY status",
          "ordered", group=e))
    add(q("agg_count_distinct", "SELECT COUNT(DISTINCT status, shop_id) FROM orders", group=e))
    add(q("agg_distinct", "SELECT SUM(DISTINCT qty), AVG(DISTINCT qty) FROM orders", group=e))
    add(q("agg_bit", "SELECT BIT_OR(qty), BIT_AND(member_id), BIT_XOR(shop_id) FROM orders", group=e))
    add(q("group_concat", "SELECT GROUP_CONCAT(DISTINCT status ORDER BY status) FROM orders", group=e))
    add(q("group_concat", "SELECT shop_id, GROUP_CONCAT(order_no ORDER BY order_no) FROM orders WHERE amount > 4900"
                          " GROUP BY shop_id", group=e))
    add(q("having_text", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING status <> 'PAID'", group=e))
    add(q("having_text", "SELECT status FROM orders GROUP BY status HAVING MAX(note) > 'b'", group=e))
    add(q("having_no_group", "SELECT COUNT(*) FROM orders HAVING COUNT(*) > 10", group=e))
    add(q("rollup", "SELECT status, COUNT(*) FROM orders GROUP BY status WITH ROLLUP", group=e))
    add(q("distinct_agg", "SELECT DISTINCT COUNT(*) FROM orders GROUP BY status", group=e))
    add(q("agg_limit", "SELECT COUNT(*) FROM orders LIMIT 1 OFFSET 1", "ordered", group=e))
    add(q("group_order_null", "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY NULL", group=e))
    add(q("rv_having_either", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING COUNT(*) > 300 = 1",
          group=e))
    add(q("rv_having_either", "SELECT shop_id, COUNT(*) FROM orders GROUP BY shop_id HAVING COUNT(*) = b'1101110'",
          group=e))
    add(q("rv_having_either", "SELECT shop_id, COUNT(*) FROM orders GROUP BY shop_id HAVING shop_id = X'01'",
          group=e))
    out += review_regressions(keys)
    return out


PAD_COLS = ["g", "u", "b", "l", "c", "tx"]  # pads: general_ci, unicode_ci, bin, latin1_swedish_ci, CHAR, TEXT


def review_regressions(keys):
    """Regression queries for the merge bugs of the review (tables edge and pads, and orders)."""
    out = []
    add = out.append

    # --- 1. text equal under PAD SPACE ('a' = 'a ' = 'A  '; in utf8mb4_bin 'a' = 'a ' <> 'A') ----
    # Full rows of ORDER BY s, id are decided; which member a group / DISTINCT / MIN / MAX shows
    # is not, so those compare folded (trailing spaces and case ignored), or select counts only.
    for c in PAD_COLS:
        add(q("rg_pad_order", f"SELECT id, {c}, n FROM pads ORDER BY {c}, id", "ordered"))
        add(q("rg_pad_order", f"SELECT id, {c} FROM pads ORDER BY {c} DESC, id DESC LIMIT 40", "ordered"))
        add(q("rg_pad_count_distinct", f"SELECT COUNT(DISTINCT {c}) FROM pads"))
        add(q("rg_pad_group", f"SELECT COUNT(*), SUM(n), MIN(id) FROM pads GROUP BY {c}"))
        add(q("rg_pad_group", f"SELECT {c}, COUNT(*), MAX(id) FROM pads GROUP BY {c} ORDER BY {c}", "ordered_fold"))
        add(q("rg_pad_distinct", f"SELECT DISTINCT {c} FROM pads", "multiset_fold"))
        add(q("rg_pad_distinct", f"SELECT DISTINCT {c} FROM pads ORDER BY {c} DESC", "ordered_fold"))
        add(q("rg_pad_minmax", f"SELECT MIN({c}), MAX({c}) FROM pads", "multiset_fold"))
    add(q("rg_pad_order", "SELECT id, g, b FROM pads ORDER BY g, b DESC, id LIMIT 60", "ordered"))
    add(q("rg_pad_order", "SELECT id, g FROM pads ORDER BY g COLLATE utf8mb4_bin, id", "ordered"))
    add(q("rg_pad_order", "SELECT id, u FROM pads WHERE u LIKE 'a%' ORDER BY u DESC, id LIMIT 5, 20", "ordered"))
    add(q("rg_pad_order", "SELECT id, l, c FROM pads ORDER BY l, c, id", "ordered"))
    add(q("rg_pad_order", "SELECT id, g AS k FROM pads ORDER BY k DESC, id LIMIT 25", "ordered"))
    add(q("rg_pad_group", "SELECT COUNT(*) FROM pads GROUP BY g, b"))
    add(q("rg_pad_group", "SELECT UPPER(RTRIM(g)) AS k, COUNT(*) FROM pads GROUP BY g ORDER BY g", "ordered"))
    add(q("rg_pad_group", "SELECT g, n, COUNT(*) FROM pads GROUP BY g, n ORDER BY g DESC, n LIMIT 12",
          "ordered_fold"))
    add(q("rg_pad_group", "SELECT b, COUNT(*) AS cnt FROM pads GROUP BY b ORDER BY cnt DESC, MIN(id)",
          "ordered_fold"))
    add(q("rg_pad_group", "SELECT u, COUNT(*) FROM pads GROUP BY u HAVING COUNT(*) > 20", "multiset_fold"))
    add(q("rg_pad_group", "SELECT n, MIN(g), MAX(b), COUNT(DISTINCT u) FROM pads GROUP BY n ORDER BY n",
          "ordered_fold"))
    add(q("rg_pad_group", "SELECT p.l, COUNT(*), SUM(e.qty) FROM pads p JOIN edge e ON p.id = e.id GROUP BY p.l",
          "multiset_fold"))
    add(q("rg_pad_distinct", "SELECT DISTINCT g, b FROM pads", "multiset_fold"))
    add(q("rg_pad_distinct", "SELECT DISTINCT u FROM pads ORDER BY u LIMIT 3", "ordered_fold"))
    add(q("rg_pad_distinct", "SELECT DISTINCT l, n FROM pads ORDER BY l DESC, n LIMIT 10 OFFSET 4", "ordered_fold"))
    add(q("rg_pad_count_distinct", "SELECT n, COUNT(DISTINCT b) FROM pads GROUP BY n"))
    add(q("rg_pad_count_distinct", "SELECT COUNT(DISTINCT tx) FROM pads WHERE n > 4"))

    # --- 2. items after a star, sorted by (hidden copies of) them; t.*, other.col in a join -----
    add(q("rg_star", "SELECT *, qty FROM orders ORDER BY qty, order_no LIMIT 10", "ordered"))
    add(q("rg_star", "SELECT *, qty AS k FROM orders ORDER BY k DESC, order_no LIMIT 10", "ordered"))
    add(q("rg_star", "SELECT *, note FROM orders ORDER BY note DESC, order_no LIMIT 12", "ordered"))
    add(q("rg_star", "SELECT *, amount * 2 AS dbl FROM orders ORDER BY dbl, order_no LIMIT 5 OFFSET 100", "ordered"))
    add(q("rg_star", "SELECT orders.*, created AS c FROM orders ORDER BY c DESC, order_no LIMIT 8", "ordered"))
    add(q("rg_star", "SELECT *, shop_id FROM orders WHERE amount < 0 ORDER BY shop_id, order_no", "ordered"))
    add(q("rg_star", "SELECT *, t FROM edge ORDER BY t DESC, id LIMIT 7", "ordered"))
    add(q("rg_star", "SELECT *, u AS k FROM edge ORDER BY k DESC, id LIMIT 12", "ordered"))
    add(q("rg_star", "SELECT *, g AS k FROM pads ORDER BY k, id LIMIT 25", "ordered"))
    add(q("rg_star_join", "SELECT i.*, o.amount FROM orders o JOIN order_items i ON o.order_no = i.order_no"
                          " ORDER BY o.amount DESC, i.order_no, i.line_no LIMIT 15", "ordered"))
    add(q("rg_star_join", "SELECT i.*, o.created FROM orders o JOIN order_items i USING (order_no)"
                          " ORDER BY o.created DESC, i.order_no, i.line_no LIMIT 12", "ordered"))
    add(q("rg_star_join", "SELECT o.*, i.sku FROM orders o JOIN order_items i ON o.order_no = i.order_no"
                          " ORDER BY i.sku DESC, o.order_no, i.line_no LIMIT 10", "ordered"))
    add(q("rg_star_join", "SELECT e.*, p.g FROM edge e JOIN pads p ON e.id = p.id ORDER BY p.g DESC, e.id LIMIT 20",
          "ordered"))
    add(q("rg_star_join", "SELECT p.*, e.u FROM pads p JOIN edge e ON p.id = e.id ORDER BY e.u DESC, p.id LIMIT 20",
          "ordered"))

    # --- 3. DOUBLE sums / averages printed in plain digits (exact in any order of addition) -----
    add(q("rg_double", "SELECT SUM(qty * 1e5), AVG(qty * 1e5) FROM orders"))
    add(q("rg_double", "SELECT status, SUM(qty * 1e5), AVG(qty * 1e5) FROM orders GROUP BY status"))
    add(q("rg_double", "SELECT status, SUM(IF(qty = 7, 1e6, 0e0)), AVG(IF(qty = 7, 1e6, 0e0)) FROM orders"
                       " GROUP BY status ORDER BY status", "ordered"))
    add(q("rg_double", "SELECT SUM(d), AVG(d), SUM(dtiny), AVG(dtiny) FROM edge"))
    add(q("rg_double", "SELECT grp, SUM(d), AVG(d), COUNT(d) FROM edge GROUP BY grp"))
    add(q("rg_double", "SELECT grp, SUM(dbig), MIN(dbig), MAX(dbig) FROM edge GROUP BY grp"))
    add(q("rg_double", "SELECT grp, SUM(dtiny), AVG(dtiny), MIN(dtiny), MAX(dtiny) FROM edge GROUP BY grp"))
    add(q("rg_double", "SELECT AVG(d), SUM(d) FROM edge WHERE d = 1e6"))
    add(q("rg_double", "SELECT SUM(dbig), AVG(dbig) FROM edge WHERE dbig >= 1e14"))
    add(q("rg_double", "SELECT AVG(dbig), SUM(dbig) FROM edge WHERE dbig = 1e15"))
    add(q("rg_double", "SELECT AVG(dbig), SUM(dbig) FROM edge WHERE dbig = 1e14"))
    add(q("rg_double", "SELECT SUM(IF(id = 7, 4e-5, 0)), SUM(IF(id = 7, 1e-5, 0e0)), SUM(IF(id = 9, 0.00001234, 0e0)),"
                       " SUM(IF(id = 7, 1e14, 0)), SUM(IF(id = 9, 1e15, 0)), SUM(IF(id = 7, 123456789012345.5, 0e0))"
                       " FROM edge"))
    add(q("rg_double", f"SELECT SUM(IF(order_no = '{keys[5]}', 4e-5, 0e0)) FROM orders"))
    add(q("rg_double", "SELECT grp, SUM(d) AS s FROM edge GROUP BY grp ORDER BY s DESC, grp", "ordered"))
    add(q("rg_double", "SELECT grp, AVG(dtiny) AS a FROM edge GROUP BY grp HAVING AVG(dtiny) > 0.0001"
                       " ORDER BY a, grp", "ordered"))
    add(q("rg_double", "SELECT MIN(d), MAX(d), MIN(dbig), MAX(dbig), MIN(dtiny), MAX(dtiny) FROM edge"))
    # MariaDB's plain / exponent forms of DOUBLE: tiny values down to 1e-15, and 1e15 or more
    # with a fraction (exact sums: one non-zero term).
    add(q("rg_double", "SELECT SUM(IF(id = 7, 1e-6, 0e0)), SUM(IF(id = 7, 1e-7, 0e0)), "
                       "SUM(IF(id = 7, 1.234e-15, 0e0)), SUM(IF(id = 7, 1e-16, 0e0)) FROM edge"))
    add(q("rg_double", "SELECT SUM(IF(id = 7, 2355555555555555.5e0, 0e0)), "
                       "SUM(IF(id = 7, 1234567890123456.7e0, 0e0)), SUM(IF(id = 7, 1.5e15, 0e0)) FROM edge"))
    add(q("rg_double", "SELECT grp, AVG(dbig) FROM edge GROUP BY grp"))

    # --- 4. AVG of DECIMALs with a large scale (result scale up to 38) --------------------------
    add(q("rg_avg_scale", "SELECT AVG(CAST(dec6 AS DECIMAL(38,30))) FROM edge"))
    add(q("rg_avg_scale", "SELECT grp, AVG(CAST(dec6 AS DECIMAL(38,30))) FROM edge GROUP BY grp"))
    add(q("rg_avg_scale", "SELECT AVG(CAST(qty AS DECIMAL(38,30))), SUM(CAST(qty AS DECIMAL(38,30))) FROM edge"))
    add(q("rg_avg_scale", "SELECT AVG(CAST(dtiny AS DECIMAL(38,36))), SUM(CAST(dtiny AS DECIMAL(38,36))) FROM edge"))
    add(q("rg_avg_scale", "SELECT AVG(CAST(price AS DECIMAL(38,30))) FROM order_items"))
    add(q("rg_avg_scale", "SELECT status, AVG(CAST(amount AS DECIMAL(30,27))) FROM orders"
                          " WHERE amount BETWEEN -1000 AND 1000 GROUP BY status"))
    add(q("rg_avg_scale", "SELECT grp, AVG(CAST(dec6 AS DECIMAL(38,30))) AS a FROM edge GROUP BY grp"
                          " ORDER BY a DESC, grp LIMIT 5", "ordered"))

    # --- 5. HAVING: MIN/MAX of DATE / DATETIME against canonical date strings -------------------
    for h in ["MIN(dd) >= '2026-06-01'", "MAX(dd) = '2026-06-01'", "MAX(dd) = '2026-06-01 00:00:00'",
              "MIN(dd) < '2026-05-30 12:00:00'", "MIN(dd) IN ('2026-05-29', '2026-05-30')",
              "MIN(dd) <> '2026-05-29'", "MAX(dd) BETWEEN '2026-06-02' AND '2026-06-04'",
              "MAX(dt) > '2026-06-01 12:00:00'", "MAX(dt) = '2026-06-01 13:00:00'", "MIN(dt) = '2026-05-31 12:00:00'",
              "MIN(dt) BETWEEN '2026-05-31' AND '2026-06-01'", "MIN(dt) <= '2026-06-01'",
              "MAX(dt6) > '2026-06-01 12:00:00'", "MAX(dt6) = '2026-06-01 12:00:01'",
              "MIN(dt6) < '2026-05-31 12:00:00'", "MIN(dt6) = '2026-05-31 12:00:00'",
              "MAX(dt) >= '2026-06-01 23:59:59' AND COUNT(*) > 9"]:
        add(q("rg_having_date", f"SELECT grp, COUNT(*), MIN(dd), MAX(dt) FROM edge GROUP BY grp HAVING {h}"
                                " ORDER BY grp", "ordered"))

    # --- 8. FLOAT: MIN / MAX merge (ordering / grouping / DISTINCT are refused, see REFUSALS) ----
    add(q("rg_float", "SELECT MIN(f), MAX(f), COUNT(f) FROM edge"))
    add(q("rg_float", "SELECT grp, MIN(f), MAX(f) FROM edge GROUP BY grp"))
    add(q("rg_float", "SELECT id, f FROM edge WHERE f > 1 ORDER BY id", "ordered"))

    # --- 9. ENUM: grouping merges, ordered by anything but the ENUM (that is refused) -----------
    add(q("rg_enum", "SELECT e, COUNT(*) FROM edge GROUP BY e"))
    add(q("rg_enum", "SELECT e, COUNT(*) FROM edge GROUP BY e ORDER BY COUNT(*) DESC, MIN(id)", "ordered"))
    add(q("rg_enum", "SELECT e, COUNT(*) AS n, SUM(qty) FROM edge GROUP BY e ORDER BY n, MAX(id)", "ordered"))
    add(q("rg_enum", "SELECT grp, e, COUNT(*) FROM edge GROUP BY grp, e ORDER BY grp, COUNT(*) DESC, MIN(id)",
          "ordered"))
    add(q("rg_enum", "SELECT DISTINCT e FROM edge"))
    add(q("rg_enum", "SELECT MIN(e), MAX(e), COUNT(DISTINCT e) FROM edge"))

    # --- TIME (negative, beyond 24 h), BIGINT UNSIGNED near 2^64, DATETIME(6), FOR UPDATE ---------
    add(q("rg_time", "SELECT id, t FROM edge ORDER BY t, id", "ordered"))
    add(q("rg_time", "SELECT id, t FROM edge ORDER BY t DESC, id LIMIT 15", "ordered"))
    add(q("rg_time", "SELECT id, t FROM edge WHERE t < '00:00:00' ORDER BY t DESC, id", "ordered"))
    add(q("rg_time", "SELECT MIN(t), MAX(t) FROM edge"))
    add(q("rg_time", "SELECT grp, MIN(t), MAX(t) FROM edge GROUP BY grp"))
    add(q("rg_time", "SELECT MIN(t), MAX(t) FROM edge WHERE t BETWEEN '-30:00:00' AND '30:00:00'"))
    add(q("rg_time", "SELECT DISTINCT t FROM edge ORDER BY t", "ordered"))
    add(q("rg_time", "SELECT t, COUNT(*) FROM edge GROUP BY t ORDER BY t DESC", "ordered"))
    add(q("rg_ubig", "SELECT id, u FROM edge ORDER BY u DESC, id LIMIT 20", "ordered"))
    add(q("rg_ubig", "SELECT id, u FROM edge ORDER BY u, id", "ordered"))
    add(q("rg_ubig", "SELECT MIN(u), MAX(u), SUM(u), AVG(u), COUNT(DISTINCT u) FROM edge"))
    add(q("rg_ubig", "SELECT grp, SUM(u), MIN(u), MAX(u) FROM edge GROUP BY grp"))
    add(q("rg_ubig", "SELECT SUM(u), MIN(u) FROM edge WHERE u > 18446744073709551000"))
    add(q("rg_ubig", "SELECT DISTINCT u FROM edge ORDER BY u DESC LIMIT 5", "ordered"))
    add(q("rg_ubig", "SELECT u, COUNT(*) FROM edge GROUP BY u ORDER BY u DESC LIMIT 4", "ordered"))
    add(q("rg_dt6", "SELECT id, dt6 FROM edge ORDER BY dt6, id", "ordered"))
    add(q("rg_dt6", "SELECT id, dt6 FROM edge ORDER BY dt6 DESC, id LIMIT 10", "ordered"))
    add(q("rg_dt6", "SELECT grp, MIN(dt6), MAX(dt6) FROM edge GROUP BY grp"))
    add(q("rg_dt6", "SELECT DISTINCT dt6 FROM edge ORDER BY dt6", "ordered"))
    add(q("rg_dt6", "SELECT dt6, COUNT(*) FROM edge GROUP BY dt6 ORDER BY dt6 DESC LIMIT 5", "ordered"))
    add(q("rg_dt6", "SELECT id, dt6 FROM edge WHERE dt6 BETWEEN '2026-06-01 12:00:00' AND '2026-06-01 12:00:00.5'"
                    " ORDER BY dt6, id", "ordered"))
    add(q("rg_for_update", "SELECT id, dt6 FROM edge ORDER BY dt6 DESC, id LIMIT 5 FOR UPDATE", "ordered"))
    add(q("rg_for_update", "SELECT * FROM edge ORDER BY u, id LIMIT 3 FOR UPDATE", "ordered"))
    add(q("rg_for_update", "SELECT id, g FROM pads ORDER BY g, id LIMIT 10 FOR UPDATE", "ordered"))
    add(q("rg_for_update", "SELECT *, qty FROM orders ORDER BY qty DESC, order_no LIMIT 4 FOR UPDATE", "ordered"))
    add(q("rg_for_update", "SELECT grp, COUNT(*) FROM edge GROUP BY grp ORDER BY grp LIMIT 3 FOR UPDATE", "ordered"))
    add(q("rg_for_update", "SELECT id, t FROM edge ORDER BY t, id LIMIT 4 LOCK IN SHARE MODE", "ordered"))
    return out


# ShardGate must refuse these (1235 / 42000) with a message naming the construct (regex).
REFUSALS = [
    ("window function", "SELECT order_no, ROW_NUMBER() OVER (ORDER BY amount) FROM orders", r"(?i)window"),
    ("window function", "SELECT status, SUM(amount) OVER (PARTITION BY status) FROM orders", r"(?i)window"),
    ("UNION", "SELECT order_no FROM orders UNION SELECT order_no FROM order_items", r"(?i)union"),
    ("independent join", "SELECT o.order_no, m.name FROM orders o JOIN members m ON o.member_id = m.member_id",
     r"(?i)sharded independently|not joined on their shard keys"),
    ("subquery", "SELECT order_no FROM orders WHERE order_no IN (SELECT order_no FROM order_items WHERE price < 0)",
     r"(?i)subquer"),
    ("derived table", "SELECT COUNT(*) FROM (SELECT status FROM orders GROUP BY status) t", r"(?i)derived"),
    ("non-key join", "SELECT o.order_no, i.line_no FROM orders o JOIN order_items i ON o.member_id = i.qty",
     r"(?i)shard key"),
    # --- review regressions: merges that cannot be exact ---
    # 5. HAVING compares dates only with 'YYYY-MM-DD[ HH:MM:SS]' strings; no text, TIME, BIT, FLOAT
    ("HAVING date vs number", "SELECT grp, COUNT(*) FROM edge GROUP BY grp HAVING MIN(dd) > 20190103",
     r"HAVING compares"),
    ("HAVING datetime vs number", "SELECT grp, COUNT(*) FROM edge GROUP BY grp HAVING MAX(dt) < 20260601120000",
     r"HAVING compares"),
    ("HAVING date vs non-canonical string", "SELECT grp, COUNT(*) FROM edge GROUP BY grp HAVING MIN(dd) > '2019-1-9'",
     r"HAVING compares"),
    ("HAVING datetime vs non-canonical string",
     "SELECT grp, COUNT(*) FROM edge GROUP BY grp HAVING MAX(dt) >= '2026-6-1 12:00'", r"HAVING compares"),
    ("HAVING TIME", "SELECT grp, COUNT(*) FROM edge GROUP BY grp HAVING MAX(t) > '100:00:00'", r"HAVING compares"),
    ("HAVING TIME vs number", "SELECT grp, COUNT(*) FROM edge GROUP BY grp HAVING MIN(t) < 0", r"HAVING compares"),
    ("HAVING BIT", "SELECT grp, COUNT(*) FROM edge GROUP BY grp HAVING MAX(bits) > 200", r"HAVING compares"),
    ("HAVING FLOAT", "SELECT grp, COUNT(*) FROM edge GROUP BY grp HAVING MAX(f) > 1000", r"HAVING compares"),
    ("HAVING FLOAT", "SELECT grp, COUNT(*) FROM edge GROUP BY grp HAVING MIN(f) = 0.1", r"HAVING compares"),
    ("HAVING text", "SELECT grp, COUNT(*) FROM edge GROUP BY grp HAVING MAX(txt) > 'm'", r"HAVING compares"),
    ("HAVING text (PAD SPACE)", "SELECT n, COUNT(*) FROM pads GROUP BY n HAVING MIN(g) = 'a'", r"HAVING compares"),
    # 6. SUM / AVG of a division (each shard's partial sum is rounded)
    ("SUM of a division", "SELECT SUM(qty / 9) FROM edge", r"sum of a division"),
    ("AVG of a division", "SELECT AVG(qty / 7) FROM edge", r"sum of a division"),
    ("AVG of a division", "SELECT status, AVG(amount / 7) FROM orders GROUP BY status", r"sum of a division"),
    ("SUM of a division", "SELECT grp, SUM(dec6 / 3) FROM edge GROUP BY grp ORDER BY grp", r"sum of a division"),
    # 7. a condition used as a value in HAVING
    ("HAVING condition as value", "SELECT grp, COUNT(*) FROM edge GROUP BY grp HAVING (COUNT(*) > 3) = 1",
     r"condition used as a value"),
    ("HAVING condition as value", "SELECT status, COUNT(*) FROM orders GROUP BY status HAVING (SUM(qty) > 10) <> 0",
     r"condition used as a value"),
    # 8. FLOAT keys (the text of a FLOAT is rounded)
    ("ORDER BY FLOAT", "SELECT id, f FROM edge ORDER BY f, id", r"FLOAT column"),
    ("ORDER BY FLOAT", "SELECT id FROM edge ORDER BY f DESC, id LIMIT 5", r"FLOAT column"),
    ("GROUP BY FLOAT", "SELECT f, COUNT(*) FROM edge GROUP BY f", r"FLOAT column"),
    ("GROUP BY FLOAT", "SELECT f, COUNT(*) FROM edge GROUP BY f ORDER BY COUNT(*) DESC, MIN(id)", r"FLOAT column"),
    ("DISTINCT FLOAT", "SELECT DISTINCT f FROM edge", r"FLOAT column"),
    ("DISTINCT FLOAT", "SELECT DISTINCT grp, f FROM edge", r"FLOAT column"),
    ("COUNT(DISTINCT) FLOAT", "SELECT COUNT(DISTINCT f) FROM edge", r"FLOAT column"),
    ("COUNT(DISTINCT) FLOAT", "SELECT grp, COUNT(DISTINCT f) FROM edge GROUP BY grp", r"FLOAT column"),
    # 9. ordering by an ENUM (its order is its index, not its text)
    ("ORDER BY ENUM", "SELECT e, COUNT(*) FROM edge GROUP BY e ORDER BY e", r"ENUM"),
    ("ORDER BY ENUM", "SELECT id, e FROM edge ORDER BY e, id", r"ENUM"),
    ("ORDER BY ENUM", "SELECT id FROM edge ORDER BY e DESC, id LIMIT 5", r"ENUM"),
    ("ORDER BY ENUM", "SELECT DISTINCT e FROM edge ORDER BY e", r"ENUM"),
]
