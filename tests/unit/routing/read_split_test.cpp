// Which SELECTs a replica may answer (routing/read_split): reads without locks, writes,
// per-connection functions or a writer hint.
#include "routing/read_split.hpp"

#include <gtest/gtest.h>

namespace shardgate::routing {
namespace {

bool replica_ok(std::string_view sql) {
  static const config::config cfg;
  parsed_statement p;
  parse_statement(sql, cfg, parse_options{}, p);
  return replica_may_answer(p);
}

TEST(read_split, plain_reads_go_to_replicas) {
  for (const char* sql : {"SELECT 1", "SELECT * FROM orders WHERE id = 5",
                          "select count(*), max(total) from orders group by day",
                          "SELECT a FROM t WHERE b IN (SELECT c FROM u) ORDER BY a LIMIT 5",
                          "SELECT @@version, NOW(), CONCAT('FOR UPDATE', 'x')",
                          "SELECT `for`, `into` FROM t", "SELECT next FROM t",
                          "/* shardgate: shard=s0 */ SELECT 1", "SELECT 'LAST_INSERT_ID()' AS x"}) {
    SCOPED_TRACE(sql);
    EXPECT_TRUE(replica_ok(sql));
  }
}

TEST(read_split, reads_that_need_the_writer) {
  for (const char* sql : {"SELECT * FROM t WHERE id = 1 FOR UPDATE",
                          "SELECT * FROM t FOR UPDATE NOWAIT",
                          "SELECT * FROM t WHERE id = 1 FOR SHARE",
                          "SELECT * FROM t LOCK IN SHARE MODE",
                          "SELECT * FROM t WHERE id IN (SELECT id FROM u FOR UPDATE)",
                          "SELECT a INTO @x FROM t LIMIT 1",
                          "SELECT * FROM t INTO OUTFILE '/tmp/x'",
                          "SELECT LAST_INSERT_ID()",
                          "select last_insert_id()",
                          "SELECT FOUND_ROWS()",
                          "SELECT ROW_COUNT()",
                          "SELECT NEXTVAL(s)",
                          "SELECT NEXT VALUE FOR s",
                          "SELECT PREVIOUS VALUE FOR s",
                          "SELECT SETVAL(s, 10)",
                          "SELECT GET_LOCK('a', 1)",
                          "SELECT RELEASE_LOCK('a')",
                          "SELECT IS_USED_LOCK('a')",
                          "SELECT @a := 1",
                          "SELECT MASTER_GTID_WAIT('0-1-5', 1)",
                          "/* shardgate: writer */ SELECT 1",
                          "/*shardgate:writer*/ SELECT * FROM t",
                          "SELECT 1; SELECT 2"}) {
    SCOPED_TRACE(sql);
    EXPECT_FALSE(replica_ok(sql));
  }
}

TEST(read_split, writer_hint_is_a_word) {
  EXPECT_TRUE(replica_ok("/* shardgate: shard=writers */ SELECT 1"));
  EXPECT_FALSE(replica_ok("/* shardgate: shard=s1 writer */ SELECT 1"));
}

}  // namespace
}  // namespace shardgate::routing
