// transactions/cross_shard_rules: which writes a transaction may run, per
// transactions.cross_shard mode, and how transaction statements are read.
#include "transactions/cross_shard_rules.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace shardgate::transactions {
namespace {

using config::cross_shard_mode;

class CrossShardRules : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"s0", "s1", "s2"}) {
      cfg_.clusters.emplace_back();
      cfg_.clusters.back().name = name;
    }
    slots_.reset(3);
  }
  // The session holds a connection of `cluster` with a transaction open on it.
  void open_on(int cluster, bool wrote) {
    auto conn = std::make_unique<backend::backend_connection>(io_.get_executor());
    conn->status |= protocol::status::in_trans;
    slots_[cluster].conn = std::move(conn);
    slots_[cluster].wrote = wrote;
  }
  static routing::route_plan write_on(std::initializer_list<int> clusters,
                                      routing::route_combine combine = routing::route_combine::ok) {
    routing::route_plan plan;
    plan.write = true;
    plan.clusters.assign(clusters);
    plan.action =
        plan.clusters.size() > 1 ? routing::route_action::fan_out : routing::route_action::single;
    plan.combine = plan.clusters.size() > 1 ? combine : routing::route_combine::none;
    return plan;
  }
  std::string refusal(const transaction_view& t, const routing::route_plan& plan) {
    auto err = check_write(t, slots_, plan, cfg_);
    if (!err) return "";
    EXPECT_EQ(err->code, protocol::er::not_supported_yet);
    EXPECT_EQ(err->sql_state, std::string("42000"));
    return err->message;
  }

  asio::io_context io_;
  config::config cfg_;
  session::backend_slots slots_;
};

TEST_F(CrossShardRules, OutsideTransactionsEveryWriteRuns) {
  const transaction_view t{cross_shard_mode::reject, false, false, false};
  EXPECT_EQ(refusal(t, write_on({0})), "");
  EXPECT_EQ(refusal(t, write_on({0, 1, 2})), "");
  EXPECT_EQ(refusal(t, write_on({0, 1}, routing::route_combine::broadcast)), "");
}

TEST_F(CrossShardRules, RejectKeepsATransactionOnTheShardItWroteOn) {
  open_on(1, true);
  const transaction_view t{cross_shard_mode::reject, false, true, false};
  EXPECT_EQ(refusal(t, write_on({1})), "");
  const std::string why = refusal(t, write_on({2}));
  EXPECT_NE(why.find("writes on shard s1; this statement would write on shard s2"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("(transactions.cross_shard: reject)"), std::string::npos) << why;
  EXPECT_NE(why.find("the transaction is still open"), std::string::npos) << why;
}

TEST_F(CrossShardRules, RejectRefusesAFanOutWriteInsideATransaction) {
  const transaction_view t{cross_shard_mode::reject, false, true, false};
  EXPECT_NE(refusal(t, write_on({0, 1})).find("this write spans several shards"),
            std::string::npos);
  EXPECT_NE(refusal(t, write_on({0, 1}, routing::route_combine::broadcast))
                .find("write to a broadcast table runs on every copy"),
            std::string::npos);
  // DDL commits implicitly: no transaction rule applies.
  EXPECT_EQ(refusal(t, write_on({0, 1}, routing::route_combine::ddl)), "");
  // Reads are never refused here.
  routing::route_plan read = write_on({0, 1}, routing::route_combine::rows);
  read.write = false;
  EXPECT_EQ(refusal(t, read), "");
}

TEST_F(CrossShardRules, AutocommitOffRefusesAWriteThatWouldOpenSeveralTransactions) {
  const transaction_view t{cross_shard_mode::reject, false, false, true};
  const std::string why = refusal(t, write_on({0, 2}));
  EXPECT_NE(why.find("with autocommit=0"), std::string::npos) << why;
  EXPECT_EQ(refusal(t, write_on({2})), "");
}

TEST_F(CrossShardRules, BestEffortAndXaTransactionsMaySpanShards) {
  open_on(0, true);
  const transaction_view best{cross_shard_mode::best_effort, false, true, true};
  EXPECT_TRUE(may_span_shards(best));
  EXPECT_EQ(refusal(best, write_on({1})), "");
  EXPECT_EQ(refusal(best, write_on({1, 2})), "");
  const transaction_view xa{cross_shard_mode::xa, true, true, false};
  EXPECT_TRUE(may_span_shards(xa));
  EXPECT_EQ(refusal(xa, write_on({1, 2})), "");
  // Under xa, a transaction that is not XA branches (autocommit=0, READ ONLY) is as reject.
  const transaction_view plain{cross_shard_mode::xa, false, true, false};
  EXPECT_FALSE(may_span_shards(plain));
  const std::string why = refusal(plain, write_on({1}));
  EXPECT_NE(why.find("xa spans shards only in a transaction opened with BEGIN"), std::string::npos)
      << why;
}

TEST_F(CrossShardRules, HintNamesTheSetting) {
  EXPECT_STREQ(cross_shard_hint({cross_shard_mode::reject, false, false, false}),
               "(transactions.cross_shard: reject)");
  EXPECT_STREQ(cross_shard_hint({cross_shard_mode::best_effort, false, false, false}),
               "(transactions.cross_shard: best_effort)");
  EXPECT_STREQ(cross_shard_hint({cross_shard_mode::xa, true, false, false}),
               "(transactions.cross_shard: xa)");
}

class TransactionStatements : public ::testing::Test {
 protected:
  transaction_statement read(const std::string& sql) {
    text_ = sql;
    routing::parse_options options;
    routing::parse_statement(text_, cfg_, options, parsed_);
    return classify_transaction_statement(parsed_);
  }
  config::config cfg_;
  std::string text_;
  routing::parsed_statement parsed_;
};

TEST_F(TransactionStatements, ReadsBeginEndAndTheirOptions) {
  auto st = read("BEGIN");
  EXPECT_TRUE(st.begin);
  EXPECT_FALSE(st.end);
  st = read("start transaction read only");
  EXPECT_TRUE(st.begin);
  EXPECT_TRUE(st.read_only);
  st = read("START TRANSACTION WITH CONSISTENT SNAPSHOT");
  EXPECT_TRUE(st.snapshot);
  EXPECT_FALSE(st.read_only);
  st = read("COMMIT");
  EXPECT_TRUE(st.end);
  EXPECT_TRUE(st.commit);
  st = read("rollback");
  EXPECT_TRUE(st.end);
  EXPECT_FALSE(st.commit);
  st = read("ROLLBACK TO SAVEPOINT a");
  EXPECT_FALSE(st.end) << "a rollback to a savepoint does not end the transaction";
  st = read("COMMIT AND CHAIN");
  EXPECT_TRUE(st.chain_or_release);
  st = read("COMMIT AND NO CHAIN");
  EXPECT_FALSE(st.chain_or_release);
  st = read("ROLLBACK RELEASE");
  EXPECT_TRUE(st.chain_or_release);
  st = read("XA START 'x'");
  EXPECT_TRUE(st.app_xa);
}

TEST_F(TransactionStatements, XaRefusals) {
  EXPECT_EQ(xa_refusal(read("BEGIN"), false), nullptr);
  EXPECT_NE(xa_refusal(read("BEGIN"), true), nullptr) << "a BEGIN inside an XA transaction";
  EXPECT_EQ(xa_refusal(read("COMMIT"), true), nullptr);
  EXPECT_NE(xa_refusal(read("COMMIT AND CHAIN"), true), nullptr);
  EXPECT_NE(xa_refusal(read("XA END 'x'"), true), nullptr);
  EXPECT_EQ(xa_refusal(read("XA END 'x'"), false), nullptr);
  EXPECT_NE(xa_refusal(read("START TRANSACTION WITH CONSISTENT SNAPSHOT"), false), nullptr);
  EXPECT_EQ(xa_refusal(read("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"), false),
            nullptr);
}

}  // namespace
}  // namespace shardgate::transactions
