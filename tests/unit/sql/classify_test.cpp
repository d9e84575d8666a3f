#include "sql/classify.hpp"

#include <gtest/gtest.h>

namespace shardgate::sql {
namespace {

struct classify_case {
  const char* sql;
  statement_kind kind;
  bool multiple = false;
  bool readable = true;
};

TEST(classify, statements) {
  const classify_case cases[] = {
      {"", statement_kind::empty},
      {"  -- nothing\n /* at all */ ", statement_kind::empty},
      {"SELECT 1", statement_kind::select},
      {"select * from orders where order_no = 'x'", statement_kind::select},
      {"(SELECT 1) UNION (SELECT 2)", statement_kind::select},
      {"WITH t AS (SELECT 1) SELECT * FROM t", statement_kind::select},
      {"/* shardgate: shard=shard1 */ SELECT 1", statement_kind::select},
      {"/*!40101 SELECT 1 */", statement_kind::select},
      {"INSERT INTO t VALUES (1)", statement_kind::insert},
      {"insert ignore into t values (1)", statement_kind::insert},
      {"REPLACE INTO t VALUES (1)", statement_kind::replace},
      {"UPDATE t SET a = 1 WHERE id = 2", statement_kind::update},
      {"DELETE FROM t WHERE id = 2", statement_kind::delete_},
      {"BEGIN", statement_kind::transaction},
      {"START TRANSACTION READ ONLY", statement_kind::transaction},
      {"COMMIT", statement_kind::transaction},
      {"rollback to savepoint a", statement_kind::transaction},
      {"SAVEPOINT a", statement_kind::transaction},
      {"RELEASE SAVEPOINT a", statement_kind::transaction},
      {"XA START 'x'", statement_kind::transaction},
      {"SET NAMES utf8mb4", statement_kind::set},
      {"SET autocommit = 0", statement_kind::set},
      {"USE shop", statement_kind::use},
      {"SHOW TABLES", statement_kind::show},
      {"DESCRIBE orders", statement_kind::show},
      {"desc orders", statement_kind::show},
      {"EXPLAIN SELECT 1", statement_kind::show},
      {"CREATE TABLE t (id INT)", statement_kind::ddl},
      {"ALTER TABLE t ADD c INT", statement_kind::ddl},
      {"DROP TABLE t", statement_kind::ddl},
      {"TRUNCATE t", statement_kind::ddl},
      {"RENAME TABLE a TO b", statement_kind::ddl},
      {"CALL p(1)", statement_kind::call},
      {"DO SLEEP(1)", statement_kind::other},
      {"LOCK TABLES t WRITE", statement_kind::other},
      {"GRANT SELECT ON *.* TO x", statement_kind::other},
      {"SELECT 1;", statement_kind::select},
      {"SELECT 1; ", statement_kind::select},
      {"SELECT 1; -- trailing comment", statement_kind::select},
      {"SELECT 1; SELECT 2", statement_kind::select, true},
      {"INSERT INTO t VALUES (';'); DELETE FROM t", statement_kind::insert, true},
      {"SELECT ';' -- ; DROP TABLE t", statement_kind::select},
      {"SELECT 'a;b'", statement_kind::select},
      {"SELECT `a;b` FROM t", statement_kind::select},
      {"SELECT 'unterminated", statement_kind::select, false, false},
      {"'oops", statement_kind::other, false, false},
      {"; SELECT 1", statement_kind::select},
      {"42", statement_kind::other},
  };
  for (const auto& c : cases) {
    const classification got = classify(c.sql);
    EXPECT_EQ(got.kind, c.kind) << c.sql << " -> " << statement_kind_name(got.kind);
    EXPECT_EQ(got.multiple_statements, c.multiple) << c.sql;
    EXPECT_EQ(got.readable, c.readable) << c.sql;
  }
}

}  // namespace
}  // namespace shardgate::sql
