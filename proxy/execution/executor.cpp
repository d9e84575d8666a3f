#include "execution/executor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "backend/state_sync.hpp"
#include "execution/broadcast_write.hpp"
#include "execution/fan_out.hpp"
#include "execution/forward_response.hpp"
#include "execution/scatter_merge.hpp"
#include "execution/split_write.hpp"
#include "net/packet_io.hpp"
#include "protocol/constants.hpp"
#include "protocol/framing.hpp"
#include "protocol/generic_response.hpp"
#include "protocol/prepared_statement.hpp"
#include "routing/read_split.hpp"
#include "server/generation.hpp"
#include "transactions/coordinator.hpp"

namespace shardgate::execution {

using namespace protocol;
using session::proceed;

int executor::home_cluster() const {
  const int home = s_.slots.transaction_home();
  if (home >= 0) return home;
  return s_.gen->router().topo().default_cluster(s_.config->find_schema_ci(s_.state.schema));
}

awaitable<std::optional<mysql_error>> executor::borrow(int cluster,
                                                       backend::connection_pool* reader) {
  session::cluster_slot& slot = s_.slots[cluster];
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (!slot.conn) {
      backend::connection_pool* pool = reader ? reader : &s_.gen->pool(cluster);
      const backend::connection_requirements req{client_.caps & backend::login_fixed_caps,
                                                 s_.state.schema.empty(), slot.last};
      auto got = co_await pool->acquire(req);
      if (got.error && reader) {
        // Nothing ran yet: the read goes to the writer instead of failing.
        spdlog::debug("client {}: reader {} unavailable ({}); reading from the writer", s_.id,
                      reader->target().endpoint.to_string(), got.error->message);
        reader = nullptr;
        pool = &s_.gen->pool(cluster);
        got = co_await pool->acquire(req);
      }
      if (got.error) co_return got.error;
      slot.conn = std::move(got.conn);
      slot.pool = pool;
      slot.reader = reader != nullptr;
      if (reader) ++s_.gen->cluster_metrics(cluster).reads_on_readers;
    }
    if (!s_.modes.sets_sql_mode)
      s_.modes.server_default_nbe = (slot.conn->status & status::no_backslash_escapes) != 0;
    if (backend::in_sync(*slot.conn, s_.state, s_.token)) co_return std::nullopt;
    auto err = co_await backend::sync_state(*slot.conn, s_.state, s_.token);
    if (!err) co_return std::nullopt;
    if (!slot.conn->broken()) {
      give_back(cluster, true);
      co_return err;
    }
    // The connection died before the client's statement was sent: nothing ran, so a
    // fresh connection may serve it - unless the session's pinned state died with it.
    const bool had_state = s_.must_keep(cluster);
    slot.xa = false;  // (an open branch died with the connection)
    slot.reader = false;
    slot.pool->release(std::move(slot.conn));
    if (slot.cursors) {  // the cursors died with the connection
      slot.cursors = 0;
      s_.statements.for_each([&](session::client_statement& st) {
        if (st.cursor_cluster == cluster) st.cursor_cluster = -1;
      });
    }
    if (had_state) {
      // A transaction or pinned state died with it: the client connection ends after this
      // error, as a direct connection would have ended (a later COMMIT must not commit the
      // other shards alone).
      s_.state_lost = true;
      co_return err;
    }
  }
  co_return mysql_error{er::server_lost, "08S01", "Lost connection to the backend repeatedly"};
}

void executor::give_back(int cluster, bool reusable) {
  session::cluster_slot& slot = s_.slots[cluster];
  if (!slot.conn) return;
  if (!reusable) slot.conn->mark_broken();
  if (reusable && !slot.conn->broken() && s_.must_keep(cluster)) {
    // A reader's connection never stays with the session (its next statement may write):
    // state that would pin it (none a replica-safe read leaves) is given up.
    if (!slot.reader) return;
    slot.conn->mark_broken();
  }
  if (slot.xa) {
    // (Only a failure path gets here with the branch open: closing the connection rolls it
    // back, or detaches a prepared one for recovery.)
    slot.conn->mark_broken();
    slot.xa = false;
  }
  slot.cursors = 0;  // (a broken connection's cursors are gone with it)
  if (!(slot.conn->status & status::in_trans)) slot.wrote = false;
  slot.last = slot.conn.get();
  slot.reader = false;
  slot.pool->release(std::move(slot.conn));
}

void executor::place_on_transaction(routing::route_plan& plan) const {
  if (plan.tableless) plan.clusters[0] = home_cluster();
  if (plan.broadcast_read) {
    const int home = home_cluster();
    if (s_.slots[home].in_transaction() && s_.gen->router().has_broadcast_copies(home))
      plan.clusters[0] = home;
  }
}

backend::connection_pool* executor::read_pool(int cluster, bool cursor,
                                              const bool* fixed_replica_ok) {
  if (!s_.gen->has_readers(cluster) || !s_.config->routing.reads_to_readers) return nullptr;
  if (s_.plan.write || s_.plan.kind != sql::statement_kind::select || s_.plan.multi_statement)
    return nullptr;
  // A cursor keeps its connection after the statement: it stays on the writer.
  if (cursor) return nullptr;
  // Transactions (and autocommit off, which opens one with the read), pinned state and
  // a connection the session holds stay where they are: on the writer.
  if (s_.txn.open || s_.modes.autocommit_off || s_.pinned_by_statement || s_.slots[cluster].conn ||
      s_.in_transaction())
    return nullptr;
  if (s_.config->routing.read_your_writes_ms &&
      std::chrono::steady_clock::now() - s_.last_write <
          std::chrono::milliseconds(s_.config->routing.read_your_writes_ms))
    return nullptr;
  const bool safe =
      fixed_replica_ok ? *fixed_replica_ok : routing::replica_may_answer(s_.gen->router().parsed());
  if (!safe) return nullptr;
  return s_.gen->reader_pool(cluster);
}

awaitable<next> executor::run_on_backend(response_kind kind, int cluster,
                                         backend::connection_pool* reader) {
  auto err = co_await borrow(cluster, reader);
  if (!err && kind == response_kind::query) err = co_await tx_->join(cluster);
  if (err) {
    const bool sent = co_await client_.send_error(*err);
    co_return proceed(sent);
  }
  co_return co_await exchange(kind, cluster, s_.must_keep(cluster), nullptr);
}

awaitable<next> executor::exchange(response_kind kind, int cluster, bool had_state,
                                   const bytes* request, cursor_execution* cursor) {
  session::cluster_slot& slot = s_.slots[cluster];
  backend::backend_connection& be = *slot.conn;
  error_code ec;
  if (request) {
    ec = co_await net::write_all(be.stream(), byte_span(*request));
  } else {
    std::uint8_t backend_seq = 0;
    ec = co_await net::write_packet(be.stream(), be.scratch(), client_.payload, backend_seq);
  }
  if (ec) {
    be.mark_failed();
    mysql_error lost{er::server_lost, "08S01",
                     "Lost connection to MySQL server at '" + be.target().endpoint.to_string() +
                         "' (cluster " + be.target().cluster + ") while sending the statement"};
    give_back(cluster, false);
    const bool ok = co_await client_.send_error(lost);
    co_return ok && !had_state ? next::keep_going : next::close;
  }

  // max_execution_ms (the session's, else routing's) and the cluster's read_timeout_ms.
  const auto& cluster_cfg = s_.config->clusters[static_cast<std::size_t>(cluster)];
  const std::uint32_t max_execution_ms = s_.max_execution_ms >= 0
                                             ? static_cast<std::uint32_t>(s_.max_execution_ms)
                                             : s_.config->routing.max_execution_ms;
  const bool watched = max_execution_ms != 0 || cluster_cfg.read_timeout_ms != 0;
  if (watched)
    deadline_.arm(be, std::chrono::milliseconds(max_execution_ms),
                  std::chrono::milliseconds(cluster_cfg.read_timeout_ms));

  // (Only writes to clusters with readers can meet a demoted writer.)
  refusal refused = refusal::none;
  if (s_.plan.write && kind == response_kind::query && !slot.reader && s_.gen->has_readers(cluster))
    refused = co_await writer_refused_retry(kind, cluster, had_state, request);
  if (watched && refused != refusal::none) co_await deadline_.disarm();
  if (refused == refusal::retry) {
    // A new writer took over: the statement (which never ran) runs there.
    co_return co_await run_on_backend(kind, cluster);
  }
  if (refused == refusal::lost) {
    // (Reported here: a socket read again after a reset may never complete.)
    be.mark_failed();
    const std::string why =
        deadline_.timed_out() ? "during query (no reply within read_timeout_ms)" : "during query";
    co_return co_await backend_lost(cluster, had_state, why, true);
  }

  session::state_tracker tracker(&s_.state, &be.state);
  response_translator& tr = be.translator();
  tr.start(kind, be.capabilities(), client_.caps, be.status, &tracker);
  std::uint8_t client_seq = static_cast<std::uint8_t>(client_.seq + 1);
  const auto result = co_await execution::forward_response(
      be, client_.stream, client_seq, std::chrono::seconds(s_.config->listen.write_timeout_s));
  client_.seq = static_cast<std::uint8_t>(client_seq - 1);
  s_.last_error_code = tr.error_code();
  if (s_.last_error_code) {
    client_.reply_error = s_.last_error_code;
    count_error(s_.last_error_code);
  }
  if (watched) {
    co_await deadline_.disarm();
    if (deadline_.timed_out()) {
      spdlog::warn("client {}: backend {} ({}) sent no reply within read_timeout_ms={}", s_.id,
                   be.target().endpoint.to_string(), be.target().cluster,
                   cluster_cfg.read_timeout_ms);
    } else if (deadline_.killed()) {
      // KILL QUERY was sent: the connection is not reused (a late kill must not reach
      // another statement).
      spdlog::warn("client {}: statement over max_execution_ms={} on {} ({}): killed", s_.id,
                   max_execution_ms, be.target().endpoint.to_string(), be.target().cluster);
      be.mark_broken();
    }
    // A transaction or pinned state on the given-up connection is lost with it.
    if ((deadline_.timed_out() || deadline_.killed()) &&
        (had_state || (be.status & status::in_trans) || s_.must_keep(cluster)))
      s_.state_lost = true;
  }

  switch (result.status) {
    case execution::forward_status::complete: {
      be.status = tr.status();
      s_.server_status = tr.status();
      if (tr.last_insert_id()) {
        s_.state.set_last_insert_id(tr.last_insert_id());
        be.state.last_insert_id = tr.last_insert_id();
      }
      be.synced_owner = s_.token;
      be.synced_generation = s_.state.generation;
      // (A write, or a COMMIT, just finished: read_your_writes_ms counts from here.)
      if (s_.config->routing.read_your_writes_ms &&
          (s_.plan.write || s_.plan.kind == sql::statement_kind::transaction))
        s_.last_write = std::chrono::steady_clock::now();
      if (kind == response_kind::execute && cursor) {
        if (be.status & status::cursor_exists) {
          // The execution opened a cursor: the connection stays with the session until the
          // cursor is read to its end, reset, closed or executed again.
          cursor->statement->cursor_cluster = cluster;
          cursor->statement->cursor_backend_id = cursor->backend_id;
          ++slot.cursors;
        } else {
          co_await be.close_statement(cursor->backend_id);  // no cursor after all
        }
      }
      if (s_.txn.open && !s_.txn.xa && !(be.status & status::in_trans) &&
          (kind == response_kind::query || kind == response_kind::execute) &&
          s_.plan.kind != sql::statement_kind::transaction) {
        // The statement ended the transaction implicitly (DDL, LOCK TABLES, ...).
        tx_->ended();
      }
      give_back(cluster, true);
      co_return next::keep_going;
    }
    case execution::forward_status::client_lost:
      give_back(cluster, false);
      co_return next::close;
    case execution::forward_status::backend_lost:
    case execution::forward_status::protocol_error: {
      const bool can_report = tr.at_result_boundary() || tr.in_rows();
      const std::string why = result.status == execution::forward_status::protocol_error
                                  ? std::string("(malformed reply)")
                                  : "during query (" + result.ec.message() + ")";
      co_return co_await backend_lost(cluster, had_state, why, can_report);
    }
  }
  co_return next::close;
}

awaitable<next> executor::backend_lost(int cluster, bool had_state, const std::string& why,
                                       bool can_report) {
  const backend::backend_connection& be = *s_.slots[cluster].conn;
  spdlog::warn("client {}: backend {} ({}) failed {}", s_.id, be.target().endpoint.to_string(),
               be.target().cluster, why);
  const mysql_error lost{er::server_lost, "08S01",
                         "Lost connection to MySQL server at '" + be.target().endpoint.to_string() +
                             "' (cluster " + be.target().cluster + ") " + why};
  give_back(cluster, false);
  s_.server_status = status::autocommit;
  if (!can_report) co_return next::close;
  const bool ok = co_await client_.send_error(lost);
  // A transaction or pinned session state died with the backend connection: end the
  // client connection too, exactly as a direct connection would have ended.
  co_return ok && !had_state ? next::keep_going : next::close;
}

// A write sent to the writer came back refused as read-only (1290 / 1836): the endpoint
// is no longer the writer (failover, switchover). The health checker is told and checks
// the cluster now; a statement known not to have run - one autocommit statement, no
// transaction or pinned state - waits (up to two health intervals) for the new writer and
// reports retry: run it again. Anything else gets the server's error.
awaitable<executor::refusal> executor::writer_refused_retry(response_kind kind, int cluster,
                                                            bool had_state, const bytes* request) {
  session::cluster_slot& slot = s_.slots[cluster];
  backend::backend_connection& be = *slot.conn;
  int endpoint = 0;  // of the pool the connection came from, in this generation
  const auto& endpoints = s_.gen->pools()[static_cast<std::size_t>(cluster)];
  for (std::size_t e = 0; e < endpoints.size(); ++e)
    if (endpoints[e].get() == slot.pool) endpoint = static_cast<int>(e);
  const auto ec = co_await net::buffer_first_frame(be.stream(), be.buffer());
  if (ec) co_return refusal::lost;  // (forward_response reports the lost connection)
  const byte_span frame = be.buffer().readable();
  const std::uint32_t length = protocol::decode_frame_header(frame.data()).length;
  if (length < 3 || frame[4] != err_header) co_return refusal::none;
  const std::uint16_t code = static_cast<std::uint16_t>(frame[5] | (frame[6] << 8));
  if (code != er::option_prevents_statement && code != er::read_only_mode) co_return refusal::none;
  if (s_.gen->checker()) s_.gen->checker()->report_read_only(cluster, endpoint);
  const bool may_retry = kind == response_kind::query && !request && !had_state &&
                         !s_.plan.multi_statement && !s_.txn.open && !s_.modes.autocommit_off &&
                         !s_.in_transaction() && !retried_on_new_writer_;
  if (!may_retry) co_return refusal::none;
  const auto& health = s_.config->clusters[static_cast<std::size_t>(cluster)].health;
  if (health.writer_check == config::writer_check_kind::none) co_return refusal::none;
  const auto deadline = std::chrono::steady_clock::now() +
                        2 * std::chrono::milliseconds(health.interval_ms + health.timeout_ms);
  asio::steady_timer pause(co_await asio::this_coro::executor);
  while (s_.gen->health(cluster).writer() == endpoint &&
         std::chrono::steady_clock::now() < deadline) {
    pause.expires_after(std::chrono::milliseconds(20));
    co_await pause.async_wait(nothrow_awaitable);
  }
  if (s_.gen->health(cluster).writer() == endpoint) co_return refusal::none;
  spdlog::info("client {}: cluster {}: a write refused by the old writer {} runs on the new one",
               s_.id, be.target().cluster, be.target().endpoint.to_string());
  be.buffer().consume(protocol::frame_header_size + length);  // the error is the whole reply
  co_await deadline_.disarm();  // (a KILL sent meanwhile must not reach the next borrower)
  give_back(cluster, !deadline_.killed());
  retried_on_new_writer_ = true;
  ++s_.gen->cluster_metrics(cluster).writer_retries;
  co_return refusal::retry;
}

awaitable<next> executor::fan_out(std::string_view sql, bool binary_rows) {
  const auto combine = s_.plan.combine;
  std::vector<execution::fan_leg> legs;
  std::vector<std::string> names;
  const std::string_view original = sql;
  const bool read =
      combine == routing::route_combine::rows || combine == routing::route_combine::merge;
  for (std::size_t k = 0; k < s_.plan.clusters.size(); ++k) {
    const int c = s_.plan.clusters[k];
    backend::connection_pool* reader = read ? read_pool(c, false, nullptr) : nullptr;
    auto err = co_await borrow(c, reader);
    // Reads see the transaction's writes; writes join it (cross_shard: best_effort). DDL
    // commits implicitly: it never runs inside one.
    if (!err && combine != routing::route_combine::ddl) err = co_await tx_->join(c);
    if (!err && !read && combine != routing::route_combine::ddl &&
        (s_.in_transaction() || s_.modes.autocommit_off))
      s_.slots[c].wrote = true;
    if (err) {
      for (int done : s_.plan.clusters) give_back(done, true);
      mysql_error e = *err;
      e.message = "shard " + s_.config->clusters[c].name + ": " + e.message;
      const bool sent = co_await client_.send_error(e);
      co_return proceed(sent);
    }
    execution::fan_leg leg;
    leg.conn = s_.slots[c].conn.get();
    leg.sql = s_.plan.rewritten ? std::string_view(s_.plan.texts[k]) : original;
    legs.push_back(leg);
    names.push_back(s_.config->clusters[c].name);
  }
  co_await execution::send_to_all(legs);

  // A leg whose connection died inside a transaction (or with pinned state) took that
  // shard's part of it along: the client connection ends after the reply (s_.state_lost), as
  // it would have with a direct connection - a later COMMIT must not commit the rest alone.
  auto finish_legs = [&] {
    for (std::size_t k = 0; k < legs.size(); ++k) {
      const int c = s_.plan.clusters[k];
      auto& conn = s_.slots[c].conn;
      if (legs[k].lost && (s_.in_transaction() || s_.must_keep(c))) s_.state_lost = true;
      if (conn && !legs[k].lost) {
        conn->synced_owner = s_.token;
        conn->synced_generation = s_.state.generation;
      }
      give_back(c, !legs[k].lost);
    }
  };

  if (combine == routing::route_combine::rows || combine == routing::route_combine::merge) {
    // A plain scatter is a merge that concatenates (no hidden columns).
    static const routing::merge_spec concatenate;
    const routing::merge_spec& spec =
        combine == routing::route_combine::merge ? s_.plan.merge : concatenate;
    std::uint8_t client_seq = static_cast<std::uint8_t>(client_.seq + 1);
    execution::merge_settings settings;
    settings.write_timeout = std::chrono::seconds(s_.config->listen.write_timeout_s);
    settings.deadline = std::chrono::milliseconds(s_.config->routing.scatter_timeout_ms);
    settings.max_rows = s_.config->routing.merge_max_rows;
    settings.binary_rows = binary_rows;
    const auto result = co_await execution::merge_rows(
        legs, names, spec, client_.stream, client_seq, client_.caps, s_.status_flags(), settings);
    client_.seq = static_cast<std::uint8_t>(client_seq - 1);
    finish_legs();
    co_return result == execution::gather_status::complete ? next::keep_going : next::close;
  }

  std::vector<execution::leg_reply> replies;
  co_await execution::collect_replies(legs, replies);
  finish_legs();
  if (s_.config->routing.read_your_writes_ms) s_.last_write = std::chrono::steady_clock::now();
  const bool copies = combine == routing::route_combine::broadcast;
  const std::string what = combine == routing::route_combine::ddl ? std::string("DDL")
                           : copies && s_.plan.table
                               ? "write to broadcast table " + s_.plan.table->name
                               : std::string("statement");
  const write_outcome outcome =
      copies ? broadcast_write(replies, names, what)
             : split_write(replies, names, s_.plan.clusters, s_.plan.first_row_cluster, what);
  if (outcome.error) {
    spdlog::warn("client {}: {}", s_.id, outcome.error->message);
    const bool sent = co_await client_.send_error(*outcome.error);
    co_return proceed(sent);
  }
  if (outcome.last_insert_id) s_.state.set_last_insert_id(outcome.last_insert_id);
  client_.out.clear();
  ok_packet ok;
  ok.affected_rows = outcome.affected_rows;
  ok.last_insert_id = outcome.last_insert_id;
  ok.status = s_.status_flags();
  ok.warnings = static_cast<std::uint16_t>(std::min<std::uint32_t>(outcome.warnings, 0xffff));
  ok.info = outcome.info;
  encode_ok(client_.out, ok, client_.caps);
  const bool sent = co_await client_.send_packet(client_.out);
  co_return proceed(sent);
}
}  // namespace shardgate::execution
