#include "transactions/coordinator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "execution/executor.hpp"
#include "protocol/constants.hpp"
#include "server/generation.hpp"
#include "transactions/xa_ids.hpp"

namespace shardgate::transactions {

using namespace protocol;
using session::proceed;

awaitable<std::optional<mysql_error>> coordinator::join(int cluster) {
  if (!s_.txn.open) co_return std::nullopt;
  session::cluster_slot& slot = s_.slots[cluster];
  if (slot.in_transaction()) co_return std::nullopt;
  if (s_.txn.xa) {  // transactions.cross_shard: xa - the shard's branch of the XA transaction
    if (s_.txn.xa_gtrid.empty()) s_.txn.xa_gtrid = xa_->begin();
    auto err = co_await run_xa(cluster, static_cast<int>(transactions::xa_verb::start));
    if (!err) {
      slot.xa = true;
    } else if (!xa_open()) {  // no branch started: the id is not used
      xa_->abandoned(s_.txn.xa_gtrid);
      s_.txn.xa_gtrid.clear();
    }
    co_return err;
  }
  auto err = co_await slot.conn->run_internal(command::query, s_.txn.begin_text);
  co_return err;
}

// BEGIN / START TRANSACTION open the transaction lazily: on the shard its first statement
// needs. COMMIT / ROLLBACK end it on every shard where it is open.
awaitable<next> coordinator::statement(std::string_view sql) {
  const transactions::transaction_statement st =
      transactions::classify_transaction_statement(s_.gen->router().parsed());
  const bool begin = st.begin;
  const bool end = st.end;
  const bool multiple = st.multiple;
  std::vector<int> open;
  for (std::size_t c = 0; c < s_.slots.size(); ++c)
    if (s_.slots[c].in_transaction()) open.push_back(static_cast<int>(c));

  const bool xa_mode = s_.config->transactions.cross_shard == config::cross_shard_mode::xa;
  if (xa_mode || xa_open()) {
    const char* refusal = transactions::xa_refusal(st, s_.txn.xa || xa_open());
    if (refusal) {
      const mysql_error err{er::not_supported_yet, "42000", refusal};
      const bool sent = co_await client_.send_error(err);
      co_return proceed(sent);
    }
  }
  if (end && !multiple) co_return co_await protocol_for(open).end(*this, open, st.commit, sql);
  if ((xa_mode || xa_open()) && begin && !multiple) {
    // A transaction autocommit=0 opened (not XA) ends here, as BEGIN would end it.
    for (int c : open) {
      auto err = co_await s_.slots[c].conn->run_internal(command::query, "COMMIT");
      s_.slots[c].wrote = false;
      ex_.give_back(c, !s_.slots[c].conn->broken());
      if (err) {
        ended();
        const bool sent = co_await client_.send_error(*err);
        co_return proceed(sent);
      }
    }
    open.clear();
    s_.txn.begin_text.assign(sql);
    s_.txn.open = true;
    // A read-only transaction never needs two-phase commit: it stays a plain one.
    s_.txn.xa = !st.read_only;
    const bool sent =
        co_await client_.send_ok(static_cast<std::uint16_t>(s_.status_flags() | status::in_trans));
    co_return proceed(sent);
  }

  if (begin && !multiple && open.empty()) {
    s_.txn.begin_text.assign(sql);
    s_.txn.open = true;
    const bool sent =
        co_await client_.send_ok(static_cast<std::uint16_t>(s_.status_flags() | status::in_trans));
    co_return proceed(sent);
  }
  // Several shards open: SAVEPOINT & co. act where the writes are, if that is one shard;
  // a BEGIN inside the transaction (an implicit COMMIT) or a multi-statement COMMIT would
  // end it on one shard only.
  int writer = -1;
  if (open.size() > 1) {
    int writers = 0;
    for (int c : open)
      if (s_.slots[c].wrote) writer = c, ++writers;
    if (begin || end || writers > 1) {
      const mysql_error err{er::not_supported_yet, "42000",
                            "ShardGate: the transaction is open on several shards; end it with "
                            "a COMMIT or ROLLBACK of its own before this statement"};
      const bool sent = co_await client_.send_error(err);
      co_return proceed(sent);
    }
  }
  // One shard (or SAVEPOINT / XA / a BEGIN inside a transaction): where the transaction is.
  if (end || begin) ended();
  const int cluster = writer >= 0 ? writer : open.empty() ? ex_.home_cluster() : open.front();
  if (!begin && !end && s_.txn.open && open.empty()) {
    // SAVEPOINT before the first statement: open the transaction on the home cluster now.
    auto err = co_await ex_.borrow(cluster);
    if (!err) err = co_await join(cluster);
    if (err) {
      const bool sent = co_await client_.send_error(*err);
      co_return proceed(sent);
    }
  }
  const next n = co_await ex_.run_on_backend(response_kind::query, cluster);
  if (end) s_.slots[cluster].wrote = false;
  co_return n;
}

awaitable<next> coordinator::end_on_shard(int cluster) {
  ended();
  const next n = co_await ex_.run_on_backend(response_kind::query, cluster);
  s_.slots[cluster].wrote = false;
  co_return n;
}

std::optional<mysql_error> coordinator::admit(const routing::route_plan& plan) {
  if (plan.kind == sql::statement_kind::ddl && s_.txn.xa) {
    if (xa_open())  // DDL commits implicitly, which an XA branch cannot do.
      return mysql_error{er::not_supported_yet, "42000",
                         "ShardGate: DDL would commit the open transaction implicitly, which "
                         "its XA transactions (transactions.cross_shard: xa) cannot do; "
                         "COMMIT or ROLLBACK first"};
    ended();  // (nothing ran in it yet: it ends, as DDL ends it)
  }
  // A multi-statement text would end (or begin) the transaction on one shard only.
  if (plan.ends_transaction && (s_.slots.open_transactions() > 1 || xa_open()))
    return mysql_error{er::not_supported_yet, "42000",
                       "ShardGate: the transaction is open on several shards (or as XA "
                       "transactions); a multi-statement text cannot end it - send "
                       "COMMIT, ROLLBACK, BEGIN or DDL as a statement of its own"};
  return std::nullopt;
}

void coordinator::abandon() {
  if (s_.txn.xa_gtrid.empty()) return;
  xa_->abandoned(s_.txn.xa_gtrid);
  s_.txn.xa_gtrid.clear();
}

}  // namespace shardgate::transactions
