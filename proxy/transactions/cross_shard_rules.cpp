#include "transactions/cross_shard_rules.hpp"

#include <algorithm>
#include <string>
#include <string_view>

namespace shardgate::transactions {

namespace er = protocol::er;

const char* cross_shard_hint(const transaction_view& t) noexcept {
  switch (t.mode) {
    case config::cross_shard_mode::reject:
      return "(transactions.cross_shard: reject)";
    case config::cross_shard_mode::best_effort:
      return "(transactions.cross_shard: best_effort)";
    case config::cross_shard_mode::xa:
      break;
  }
  return t.xa_transaction
             ? "(transactions.cross_shard: xa)"
             : "(transactions.cross_shard: xa spans shards only in a transaction opened "
               "with BEGIN or START TRANSACTION, not READ ONLY)";
}

std::optional<protocol::mysql_error> check_write(const transaction_view& t,
                                                 const session::backend_slots& slots,
                                                 const routing::route_plan& plan,
                                                 const config::config& cfg) {
  if (!plan.write || may_span_shards(t)) return std::nullopt;
  if (t.autocommit_off && plan.action == routing::route_action::fan_out &&
      plan.combine == routing::route_combine::ok) {
    // With autocommit off every shard would open its own transaction.
    return protocol::mysql_error{er::not_supported_yet, "42000",
                                 std::string("ShardGate: with autocommit=0 this write would open "
                                             "transactions on several shards, and cross-shard "
                                             "transactions are not supported ") +
                                     cross_shard_hint(t) +
                                     "; write one shard at a time or enable autocommit"};
  }
  // DDL commits implicitly on each shard: no transaction rules apply to it.
  if (!(t.in_transaction || t.autocommit_off) || plan.combine == routing::route_combine::ddl)
    return std::nullopt;
  // A transaction writes on one shard only.
  for (std::size_t c = 0; c < slots.size(); ++c) {
    const session::cluster_slot& slot = slots[static_cast<int>(c)];
    if (!slot.wrote || !slot.in_transaction()) continue;
    for (int target : plan.clusters) {
      if (target == static_cast<int>(c)) continue;
      return protocol::mysql_error{
          er::not_supported_yet, "42000",
          "ShardGate: this transaction writes on shard " + cfg.clusters[c].name +
              "; this statement would write on shard " +
              cfg.clusters[static_cast<std::size_t>(target)].name +
              " and cross-shard transactions are not supported " + cross_shard_hint(t) +
              ". COMMIT or ROLLBACK first; the transaction is still open"};
    }
  }
  if (plan.action == routing::route_action::fan_out) {
    const bool copies = plan.combine == routing::route_combine::broadcast;
    return protocol::mysql_error{
        er::not_supported_yet, "42000",
        copies ? std::string("ShardGate: this write to a broadcast table runs on every copy "
                             "(several shards) and cross-shard transactions are not "
                             "supported ") +
                     cross_shard_hint(t) + "; write it outside the transaction"
               : std::string("ShardGate: this write spans several shards, which this "
                             "transaction cannot do ") +
                     cross_shard_hint(t)};
  }
  return std::nullopt;
}

transaction_statement classify_transaction_statement(const routing::parsed_statement& parsed) {
  using sql::keyword_id;
  transaction_statement st;
  st.begin = parsed.is_keyword(0, keyword_id("BEGIN")) ||
             (parsed.is_keyword(0, keyword_id("START")) &&
              parsed.is_keyword(1, keyword_id("TRANSACTION")));
  bool to_savepoint = false;
  for (std::size_t i = 1; i < parsed.tokens.size(); ++i)
    if (parsed.is_keyword(i, keyword_id("TO"))) to_savepoint = true;
  st.commit = parsed.is_keyword(0, keyword_id("COMMIT"));
  st.end = (st.commit || parsed.is_keyword(0, keyword_id("ROLLBACK"))) && !to_savepoint;
  st.app_xa = parsed.is_keyword(0, keyword_id("XA"));
  st.multiple = parsed.multiple;
  // (Words that need not be keywords of the lexer's table: compared as text.)
  auto word = [&](std::size_t i, std::string_view w) {
    if (i >= parsed.tokens.size()) return false;
    const std::string_view t = parsed.token_text(static_cast<std::uint32_t>(i));
    return t.size() == w.size() && std::equal(t.begin(), t.end(), w.begin(), [](char a, char b) {
             return (a >= 'a' && a <= 'z' ? a - 32 : a) == b;
           });
  };
  for (std::size_t i = 1; i < parsed.tokens.size(); ++i) {
    if ((word(i, "CHAIN") || word(i, "RELEASE")) && !word(i - 1, "NO")) st.chain_or_release = true;
    if (word(i, "READ") && word(i + 1, "ONLY")) st.read_only = true;
    if (word(i, "CONSISTENT") && word(i + 1, "SNAPSHOT")) st.snapshot = true;
  }
  return st;
}

const char* xa_refusal(const transaction_statement& st, bool xa_active) noexcept {
  if (xa_active && st.app_xa)
    return "ShardGate: this transaction runs as XA transactions on its shards "
           "(transactions.cross_shard: xa); the application's own XA statements cannot be "
           "mixed into it";
  if (xa_active && (st.begin || st.end) && st.multiple)
    return "ShardGate: end this transaction (XA transactions on its shards, "
           "transactions.cross_shard: xa) with a COMMIT or ROLLBACK statement of its own";
  if (xa_active && st.begin)
    return "ShardGate: a transaction is open (as XA transactions on its shards, "
           "transactions.cross_shard: xa) and a BEGIN cannot commit it implicitly; COMMIT or "
           "ROLLBACK first";
  if (xa_active && st.end && st.chain_or_release)
    return "ShardGate: COMMIT/ROLLBACK with AND CHAIN or RELEASE is not supported for XA "
           "transactions (transactions.cross_shard: xa); the transaction is still open";
  if (st.begin && st.snapshot && !st.read_only)
    return "ShardGate: START TRANSACTION WITH CONSISTENT SNAPSHOT cannot open XA transactions "
           "(transactions.cross_shard: xa); use START TRANSACTION, or add READ ONLY";
  return nullptr;
}

}  // namespace shardgate::transactions
