// MariaDB Connector/C's prepared-statement API (mysql_stmt_*, the binary protocol) against
// ShardGate: long data, cursors, statement reset, mariadb_stmt_execute_direct (statement
// id -1, pipelined after the prepare), temporal types, NULLs, errors, many statements on
// few backend connections. Run by run_stmt_client.py: SG_PORT is a ShardGate whose schema
// `pstest` shards cc_orders by order number over 4 shards (pools of 2 connections);
// SG_SHARD_PORTS lists the shards (empty with SG_DIRECT=1: one plain MariaDB).
#include <gtest/gtest.h>
#include <mysql.h>
#include <zlib.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

const bool direct = std::getenv("SG_DIRECT") && std::string(std::getenv("SG_DIRECT")) == "1";

std::vector<unsigned> shard_ports() {
  std::vector<unsigned> ports;
  const char* env = std::getenv("SG_SHARD_PORTS");
  std::stringstream ss(env ? env : "");
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) ports.push_back(static_cast<unsigned>(std::stoul(item)));
  return ports;
}

struct conn_deleter {
  void operator()(MYSQL* m) const { mysql_close(m); }
};
using connection = std::unique_ptr<MYSQL, conn_deleter>;
struct stmt_deleter {
  void operator()(MYSQL_STMT* s) const { mysql_stmt_close(s); }
};
using statement = std::unique_ptr<MYSQL_STMT, stmt_deleter>;

connection connect(unsigned port = 0) {
  if (!port) port = static_cast<unsigned>(std::atoi(std::getenv("SG_PORT")));
  MYSQL* m = mysql_init(nullptr);
  unsigned timeout = 20;
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (!mysql_real_connect(m, "127.0.0.1", "app", "app", "pstest", port, nullptr, 0)) {
    ADD_FAILURE() << "connect to " << port << ": " << mysql_error(m);
    mysql_close(m);
    return nullptr;
  }
  return connection(m);
}

void run(MYSQL* m, const std::string& sql) {
  ASSERT_EQ(mysql_query(m, sql.c_str()), 0) << sql << ": " << mysql_error(m);
  if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
}

std::string scalar(MYSQL* m, const std::string& sql) {
  if (mysql_query(m, sql.c_str()) != 0) return std::string("ERROR ") + mysql_error(m);
  MYSQL_RES* r = mysql_store_result(m);
  if (!r) return "NO RESULT";
  MYSQL_ROW row = mysql_fetch_row(r);
  std::string v = row && row[0] ? row[0] : "NULL";
  mysql_free_result(r);
  return v;
}

statement prepare(MYSQL* m, const std::string& sql) {
  MYSQL_STMT* s = mysql_stmt_init(m);
  if (mysql_stmt_prepare(s, sql.c_str(), sql.size()) != 0) {
    ADD_FAILURE() << "prepare " << sql << ": " << mysql_stmt_error(s);
    mysql_stmt_close(s);
    return nullptr;
  }
  return statement(s);
}

MYSQL_BIND string_param(const std::string& s, unsigned long* length) {
  MYSQL_BIND b{};
  b.buffer_type = MYSQL_TYPE_STRING;
  b.buffer = const_cast<char*>(s.data());
  *length = s.size();
  b.length = length;
  return b;
}

std::string order_no(int day, int seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "ORD%08d%08d", day, seq);
  return buf;
}

class StmtClient : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    connection c = connect();
    ASSERT_TRUE(c);
    run(c.get(), "DROP TABLE IF EXISTS cc_orders");
    run(c.get(),
        "CREATE TABLE cc_orders (order_no VARCHAR(20) PRIMARY KEY, qty INT, note MEDIUMBLOB, "
        "at DATETIME(6), dur TIME(6), day DATE) DEFAULT CHARSET=utf8mb4");
  }
  void SetUp() override {
    c_ = connect();
    ASSERT_TRUE(c_);
  }
  connection c_;
};

// Inserts one order with a long-data note through a prepared statement; returns false on
// failure (the error is reported).
bool insert_order(MYSQL* m, const std::string& no, int qty, const std::string& note) {
  statement s = prepare(m, "INSERT INTO cc_orders (order_no, qty, note) VALUES (?, ?, ?)");
  if (!s) return false;
  unsigned long no_len;
  MYSQL_BIND b[3]{};
  b[0] = string_param(no, &no_len);
  b[1].buffer_type = MYSQL_TYPE_LONG;
  b[1].buffer = &qty;
  b[2].buffer_type = MYSQL_TYPE_BLOB;
  EXPECT_EQ(mysql_stmt_bind_param(s.get(), b), 0);
  // The note in pieces of 64 KiB.
  for (std::size_t at = 0; at < note.size(); at += 65536) {
    const std::size_t n = std::min<std::size_t>(65536, note.size() - at);
    if (mysql_stmt_send_long_data(s.get(), 2, note.data() + at, n) != 0) {
      ADD_FAILURE() << "send_long_data: " << mysql_stmt_error(s.get());
      return false;
    }
  }
  if (mysql_stmt_execute(s.get()) != 0) {
    ADD_FAILURE() << "execute: " << mysql_stmt_error(s.get());
    return false;
  }
  EXPECT_EQ(mysql_stmt_affected_rows(s.get()), 1u);
  return true;
}

TEST_F(StmtClient, LongDataGoesToTheShardOfTheKey) {
  std::string note(300000, '\0');
  for (std::size_t i = 0; i < note.size(); ++i) note[i] = static_cast<char>(i * 7 % 256);
  const std::string no = order_no(20261201, 6);  // shard 6 % 4 = 2
  ASSERT_TRUE(insert_order(c_.get(), no, 3, note));
  // The note arrived whole: its length and CRC32 as computed here.
  EXPECT_EQ(scalar(c_.get(), "SELECT LENGTH(note) FROM cc_orders WHERE order_no = '" + no + "'"),
            "300000");
  const auto crc =
      crc32(0L, reinterpret_cast<const Bytef*>(note.data()), static_cast<uInt>(note.size()));
  EXPECT_EQ(scalar(c_.get(), "SELECT CRC32(note) FROM cc_orders WHERE order_no = '" + no + "'"),
            std::to_string(crc));
  const auto ports = shard_ports();
  if (!direct && ports.size() == 4) {
    for (std::size_t k = 0; k < ports.size(); ++k) {
      connection d = connect(ports[k]);
      ASSERT_TRUE(d);
      EXPECT_EQ(scalar(d.get(), "SELECT COUNT(*) FROM cc_orders WHERE order_no = '" + no + "'"),
                k == 2 ? "1" : "0")
          << "shard " << k;
    }
  }
  // Reset drops long data sent but not executed: the next execution uses the bound value.
  statement s = prepare(c_.get(), "SELECT LENGTH(?)");
  ASSERT_TRUE(s);
  MYSQL_BIND b{};
  b.buffer_type = MYSQL_TYPE_BLOB;
  std::string value = "four";
  unsigned long len = value.size();
  b.buffer = value.data();
  b.length = &len;
  ASSERT_EQ(mysql_stmt_bind_param(s.get(), &b), 0);
  ASSERT_EQ(mysql_stmt_send_long_data(s.get(), 0, "0123456789", 10), 0);
  ASSERT_EQ(mysql_stmt_reset(s.get()), 0) << mysql_stmt_error(s.get());
  ASSERT_EQ(mysql_stmt_execute(s.get()), 0) << mysql_stmt_error(s.get());
  long long out = 0;
  MYSQL_BIND r{};
  r.buffer_type = MYSQL_TYPE_LONGLONG;
  r.buffer = &out;
  ASSERT_EQ(mysql_stmt_bind_result(s.get(), &r), 0);
  ASSERT_EQ(mysql_stmt_fetch(s.get()), 0);
  EXPECT_EQ(out, 4);
}

// Executes `sql` (one INT parameter) with a read-only cursor fetching `prefetch` rows at a
// time; returns the first column of every row, or sets `error`.
std::vector<long long> cursor_rows(MYSQL* m, const std::string& sql, int param,
                                   unsigned long prefetch, unsigned& error) {
  std::vector<long long> got;
  statement s = prepare(m, sql);
  error = 0;
  if (!s) return got;
  unsigned long cursor = CURSOR_TYPE_READ_ONLY;
  EXPECT_EQ(mysql_stmt_attr_set(s.get(), STMT_ATTR_CURSOR_TYPE, &cursor), 0);
  EXPECT_EQ(mysql_stmt_attr_set(s.get(), STMT_ATTR_PREFETCH_ROWS, &prefetch), 0);
  MYSQL_BIND p{};
  p.buffer_type = MYSQL_TYPE_LONG;
  p.buffer = &param;
  EXPECT_EQ(mysql_stmt_bind_param(s.get(), &p), 0);
  if (mysql_stmt_execute(s.get()) != 0) {
    error = mysql_stmt_errno(s.get());
    return got;
  }
  long long v = 0;
  MYSQL_BIND r{};
  r.buffer_type = MYSQL_TYPE_LONGLONG;
  r.buffer = &v;
  EXPECT_EQ(mysql_stmt_bind_result(s.get(), &r), 0);
  int rc;
  while ((rc = mysql_stmt_fetch(s.get())) == 0) got.push_back(v);
  EXPECT_EQ(rc, MYSQL_NO_DATA) << mysql_stmt_error(s.get());
  return got;
}

TEST_F(StmtClient, CursorsOnOneShardFetchInBatches) {
  unsigned error = 0;
  // The unsharded SEQUENCE table lives on the default cluster: a real server-side cursor,
  // fetched 7 rows at a time (COM_STMT_FETCH), the session pinned to that connection.
  auto rows = cursor_rows(c_.get(), "SELECT seq FROM seq_1_to_100 WHERE seq > ?", 30, 7, error);
  EXPECT_EQ(error, 0u);
  ASSERT_EQ(rows.size(), 70u);
  EXPECT_EQ(rows.front(), 31);
  EXPECT_EQ(rows.back(), 100);
  // Two cursors of one session at once, interleaved - of two statements with the same
  // text (ShardGate gives each cursor a backend statement of its own).
  statement a = prepare(c_.get(), "SELECT seq FROM seq_1_to_50 WHERE seq > ?");
  statement b = prepare(c_.get(), "SELECT seq FROM seq_1_to_50 WHERE seq > ?");
  ASSERT_TRUE(a && b);
  long long va = 0, vb = 0;
  int pa = 0, pb = 40;
  for (auto [s, p, v] : {std::tuple{a.get(), &pa, &va}, std::tuple{b.get(), &pb, &vb}}) {
    unsigned long cursor = CURSOR_TYPE_READ_ONLY, prefetch = 3;
    mysql_stmt_attr_set(s, STMT_ATTR_CURSOR_TYPE, &cursor);
    mysql_stmt_attr_set(s, STMT_ATTR_PREFETCH_ROWS, &prefetch);
    MYSQL_BIND pb_{};
    pb_.buffer_type = MYSQL_TYPE_LONG;
    pb_.buffer = p;
    ASSERT_EQ(mysql_stmt_bind_param(s, &pb_), 0);
    ASSERT_EQ(mysql_stmt_execute(s), 0) << mysql_stmt_error(s);
    MYSQL_BIND r{};
    r.buffer_type = MYSQL_TYPE_LONGLONG;
    r.buffer = v;
    ASSERT_EQ(mysql_stmt_bind_result(s, &r), 0);
  }
  long long sum_a = 0, sum_b = 0;
  int ra = 0, rb = 0;
  while (ra == 0 || rb == 0) {
    if (ra == 0 && (ra = mysql_stmt_fetch(a.get())) == 0) sum_a += va;
    if (rb == 0 && (rb = mysql_stmt_fetch(b.get())) == 0) sum_b += vb;
  }
  EXPECT_EQ(ra, MYSQL_NO_DATA) << mysql_stmt_error(a.get());
  EXPECT_EQ(rb, MYSQL_NO_DATA) << mysql_stmt_error(b.get());
  EXPECT_EQ(sum_a, 50 * 51 / 2);
  EXPECT_EQ(sum_b, 41 + 42 + 43 + 44 + 45 + 46 + 47 + 48 + 49 + 50);
  // A cursor closed before its end (statement reset), then a plain statement.
  ASSERT_EQ(mysql_stmt_execute(a.get()), 0) << mysql_stmt_error(a.get());
  ASSERT_EQ(mysql_stmt_fetch(a.get()), 0);
  ASSERT_EQ(mysql_stmt_reset(a.get()), 0) << mysql_stmt_error(a.get());
  EXPECT_EQ(scalar(c_.get(), "SELECT 5"), "5");
  // Keyed on a sharded table: the key's shard holds the cursor.
  run(c_.get(),
      "INSERT INTO cc_orders (order_no, qty) VALUES ('" + order_no(20261201, 101) + "', 101)");
  rows = cursor_rows(c_.get(),
                     "SELECT qty FROM cc_orders WHERE order_no = CONCAT('ORD20261201', "
                     "LPAD(?, 8, '0'))",
                     101, 1, error);
  // (the key is an expression here: every shard - refused with a cursor, or read)
  if (!direct) {
    EXPECT_EQ(error, 1235u);
  } else {
    EXPECT_EQ(rows, std::vector<long long>{101});
  }
  statement k = prepare(c_.get(), "SELECT qty FROM cc_orders WHERE order_no = ?");
  ASSERT_TRUE(k);
  unsigned long cursor = CURSOR_TYPE_READ_ONLY;
  mysql_stmt_attr_set(k.get(), STMT_ATTR_CURSOR_TYPE, &cursor);
  std::string key = order_no(20261201, 101);
  unsigned long key_len;
  MYSQL_BIND kp = string_param(key, &key_len);
  ASSERT_EQ(mysql_stmt_bind_param(k.get(), &kp), 0);
  ASSERT_EQ(mysql_stmt_execute(k.get()), 0) << mysql_stmt_error(k.get());
  int qty = 0;
  MYSQL_BIND r{};
  r.buffer_type = MYSQL_TYPE_LONG;
  r.buffer = &qty;
  ASSERT_EQ(mysql_stmt_bind_result(k.get(), &r), 0);
  ASSERT_EQ(mysql_stmt_fetch(k.get()), 0) << mysql_stmt_error(k.get());
  EXPECT_EQ(qty, 101);
  EXPECT_EQ(mysql_stmt_fetch(k.get()), MYSQL_NO_DATA);
}

TEST_F(StmtClient, ExecuteDirectPipelinesPrepareAndExecute) {
  // mariadb_stmt_execute_direct sends COM_STMT_PREPARE and COM_STMT_EXECUTE with
  // statement id -1 back to back, then reads both replies.
  MYSQL_STMT* s = mysql_stmt_init(c_.get());
  int a = 40, b = 2;
  MYSQL_BIND p[2]{};
  p[0].buffer_type = MYSQL_TYPE_LONG;
  p[0].buffer = &a;
  p[1].buffer_type = MYSQL_TYPE_LONG;
  p[1].buffer = &b;
  unsigned int count = 2;
  mysql_stmt_attr_set(s, STMT_ATTR_PREBIND_PARAMS, &count);
  ASSERT_EQ(mysql_stmt_bind_param(s, p), 0);
  const char* sql = "SELECT ? + ?";
  ASSERT_EQ(mariadb_stmt_execute_direct(s, sql, std::strlen(sql)), 0) << mysql_stmt_error(s);
  long long out = 0;
  MYSQL_BIND r{};
  r.buffer_type = MYSQL_TYPE_LONGLONG;
  r.buffer = &out;
  ASSERT_EQ(mysql_stmt_bind_result(s, &r), 0);
  ASSERT_EQ(mysql_stmt_fetch(s), 0) << mysql_stmt_error(s);
  EXPECT_EQ(out, 42);
  mysql_stmt_close(s);
  // A failing prepare makes the pipelined execute fail too, with the prepare's error.
  s = mysql_stmt_init(c_.get());
  const char* bad = "SELECT * FROM no_such_table WHERE x = 1";
  EXPECT_NE(mariadb_stmt_execute_direct(s, bad, std::strlen(bad)), 0);
  EXPECT_EQ(mysql_stmt_errno(s), 1146u) << mysql_stmt_error(s);
  mysql_stmt_close(s);
  EXPECT_EQ(scalar(c_.get(), "SELECT 1"), "1");
}

TEST_F(StmtClient, TemporalTypesAndNullsRoundTrip) {
  const std::string no = order_no(20261201, 7);
  statement ins = prepare(
      c_.get(), "INSERT INTO cc_orders (order_no, qty, at, dur, day) VALUES (?, ?, ?, ?, ?)");
  ASSERT_TRUE(ins);
  unsigned long no_len;
  MYSQL_BIND b[5]{};
  b[0] = string_param(no, &no_len);
  my_bool is_null = 1;
  b[1].buffer_type = MYSQL_TYPE_LONG;
  b[1].is_null = &is_null;
  MYSQL_TIME at{}, dur{}, day{};
  at.year = 2026, at.month = 12, at.day = 1, at.hour = 23, at.minute = 59, at.second = 58,
  at.second_part = 123456, at.time_type = MYSQL_TIMESTAMP_DATETIME;
  dur.neg = 1, dur.day = 34, dur.hour = 22,  // 838 hours
      dur.minute = 59, dur.second = 59, dur.time_type = MYSQL_TIMESTAMP_TIME;
  day.year = 2026, day.month = 2, day.day = 28, day.time_type = MYSQL_TIMESTAMP_DATE;
  b[2].buffer_type = MYSQL_TYPE_DATETIME;
  b[2].buffer = &at;
  b[3].buffer_type = MYSQL_TYPE_TIME;
  b[3].buffer = &dur;
  b[4].buffer_type = MYSQL_TYPE_DATE;
  b[4].buffer = &day;
  ASSERT_EQ(mysql_stmt_bind_param(ins.get(), b), 0);
  ASSERT_EQ(mysql_stmt_execute(ins.get()), 0) << mysql_stmt_error(ins.get());
  EXPECT_EQ(scalar(c_.get(),
                   "SELECT CONCAT_WS('|', IFNULL(qty, 'null'), at, dur, day) FROM "
                   "cc_orders WHERE order_no = '" +
                       no + "'"),
            "null|2026-12-01 23:59:58.123456|-838:59:59.000000|2026-02-28");
  // Read back keyed (native binary rows) and merged (text on the shards, re-encoded).
  for (const char* sql :
       {"SELECT qty, at, dur, day FROM cc_orders WHERE order_no = ?",
        "SELECT qty, at, dur, day FROM cc_orders WHERE order_no LIKE ? AND dur IS NOT NULL"}) {
    statement s = prepare(c_.get(), sql);
    ASSERT_TRUE(s);
    std::string key = std::strstr(sql, "LIKE") ? std::string("ORD%") : no;
    unsigned long key_len;
    MYSQL_BIND p = string_param(key, &key_len);
    ASSERT_EQ(mysql_stmt_bind_param(s.get(), &p), 0);
    ASSERT_EQ(mysql_stmt_execute(s.get()), 0) << mysql_stmt_error(s.get());
    MYSQL_BIND r[4]{};
    int qty = -1;
    my_bool qty_null = 0;
    MYSQL_TIME got_at{}, got_dur{}, got_day{};
    r[0].buffer_type = MYSQL_TYPE_LONG;
    r[0].buffer = &qty;
    r[0].is_null = &qty_null;
    r[1].buffer_type = MYSQL_TYPE_DATETIME;
    r[1].buffer = &got_at;
    r[2].buffer_type = MYSQL_TYPE_TIME;
    r[2].buffer = &got_dur;
    r[3].buffer_type = MYSQL_TYPE_DATE;
    r[3].buffer = &got_day;
    ASSERT_EQ(mysql_stmt_bind_result(s.get(), r), 0);
    ASSERT_EQ(mysql_stmt_fetch(s.get()), 0) << sql << ": " << mysql_stmt_error(s.get());
    EXPECT_TRUE(qty_null) << sql;
    EXPECT_EQ(got_at.second_part, 123456u) << sql;
    EXPECT_EQ(got_at.hour, 23u) << sql;
    EXPECT_EQ(got_dur.neg, 1) << sql;
    EXPECT_EQ(got_dur.day * 24 + got_dur.hour, 838u) << sql;
    EXPECT_EQ(got_day.month, 2u) << sql;
    EXPECT_EQ(got_day.day, 28u) << sql;
    EXPECT_EQ(mysql_stmt_fetch(s.get()), MYSQL_NO_DATA) << sql;
  }
}

TEST_F(StmtClient, ManyStatementsOnFewBackendConnections) {
  // 8 connections x 20 statements each, executed round-robin: ShardGate ids are per
  // session; the backends see each distinct text once per backend connection.
  std::vector<connection> conns;
  std::vector<std::vector<statement>> stmts(8);
  for (int c = 0; c < 8; ++c) {
    conns.push_back(connect());
    ASSERT_TRUE(conns.back());
    for (int k = 0; k < 20; ++k)
      stmts[c].push_back(prepare(
          conns.back().get(), "SELECT ? * " + std::to_string(k + 1) + " + " + std::to_string(c)));
  }
  for (int round = 0; round < 3; ++round) {
    for (int c = 0; c < 8; ++c) {
      for (int k = 0; k < 20; ++k) {
        MYSQL_STMT* s = stmts[c][k].get();
        ASSERT_TRUE(s);
        long long in = round + 1, out = 0;
        MYSQL_BIND p{}, r{};
        p.buffer_type = MYSQL_TYPE_LONGLONG;
        p.buffer = &in;
        r.buffer_type = MYSQL_TYPE_LONGLONG;
        r.buffer = &out;
        ASSERT_EQ(mysql_stmt_bind_param(s, &p), 0);
        ASSERT_EQ(mysql_stmt_execute(s), 0) << mysql_stmt_error(s);
        ASSERT_EQ(mysql_stmt_bind_result(s, &r), 0);
        ASSERT_EQ(mysql_stmt_fetch(s), 0);
        EXPECT_EQ(out, (round + 1) * (k + 1) + c);
        mysql_stmt_free_result(s);
      }
    }
  }
  // A closed statement is gone; its id is unknown.
  MYSQL_STMT* s = stmts[0][0].release();
  mysql_stmt_close(s);
  EXPECT_EQ(scalar(conns[0].get(), "SELECT 2"), "2");
}

TEST_F(StmtClient, ErrorsKeepTheConnectionUsable) {
  MYSQL_STMT* s = mysql_stmt_init(c_.get());
  const char* bad = "SELEC 1";
  EXPECT_NE(mysql_stmt_prepare(s, bad, std::strlen(bad)), 0);
  EXPECT_EQ(mysql_stmt_errno(s), 1064u);
  mysql_stmt_close(s);
  if (!direct) {
    // A keyless UPDATE of a sharded table is refused at execution, with the reason.
    statement u = prepare(c_.get(), "UPDATE cc_orders SET qty = ? WHERE qty = 1");
    ASSERT_TRUE(u);
    int qty = 5;
    MYSQL_BIND p{};
    p.buffer_type = MYSQL_TYPE_LONG;
    p.buffer = &qty;
    ASSERT_EQ(mysql_stmt_bind_param(u.get(), &p), 0);
    EXPECT_NE(mysql_stmt_execute(u.get()), 0);
    EXPECT_EQ(mysql_stmt_errno(u.get()), 1235u);
    EXPECT_NE(std::string(mysql_stmt_error(u.get())).find("shard key"), std::string::npos)
        << mysql_stmt_error(u.get());
  }
  EXPECT_EQ(scalar(c_.get(), "SELECT 3"), "3");
}

}  // namespace
