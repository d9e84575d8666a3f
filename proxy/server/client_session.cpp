#include "server/client_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>

#include "backend/state_sync.hpp"
#include "execution/fan_out.hpp"
#include "execution/forward_response.hpp"
#include "execution/scatter_merge.hpp"
#include "net/packet_io.hpp"
#include "protocol/constants.hpp"
#include "protocol/framing.hpp"
#include "protocol/generic_response.hpp"
#include "protocol/handshake.hpp"
#include "protocol/native_password.hpp"
#include "protocol/prepared_statement.hpp"
#include "routing/read_split.hpp"
#include "server/worker.hpp"
#include "session/pinning.hpp"
#include "sql/fingerprint.hpp"
#include "transactions/cross_shard_rules.hpp"

namespace shardgate::server {

using namespace protocol;

namespace {

// After a reply: go on if it could be sent, close otherwise.
client_session::next proceed(bool sent) {
  return sent ? client_session::next::keep_going : client_session::next::close;
}

}  // namespace

client_session::client_session(worker& owner, tcp::socket socket, std::uint32_t connection_id)
    : worker_(owner),
      stream_(std::move(socket)),
      id_(connection_id),
      token_(owner.next_session_token()),
      gen_(owner.current()),
      config_(gen_->config()) {
  error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  peer_ = ec ? "unknown" : ep.address().to_string();
  if (!ec) peer_port_ = ep.port();
}

void client_session::request_close() {
  close_requested_ = true;
  if (idle_) stream_.cancel();
}

awaitable<void> client_session::run() {
  // (Also the non-blocking mode the command loop's first read relies on, see below.)
  net::tune_socket(stream_.socket());
  spdlog::debug("client {} connected from {}:{}", id_, peer_, peer_port_);
  bool logged_in = false;
  {
    // A client that does not finish logging in within connect_timeout_s is dropped, as
    // MySQL does, so half-open connections cannot pile up. (A throttled login's delay,
    // listen.failed_logins.max_delay_ms, comes on top.)
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer deadline(stream_.get_executor());
    deadline.expires_after(std::chrono::seconds(config_->listen.connect_timeout_s) +
                           std::chrono::milliseconds(config_->listen.failed_logins.max_delay_ms));
    auto outcome = co_await (handshake() || deadline.async_wait(asio::use_awaitable));
    logged_in = outcome.index() == 0 && std::get<0>(outcome);
    if (outcome.index() == 1) {
      spdlog::info("client {} from {}: login timed out", id_, peer_);
      if (worker_.shared().limits->connect_error(peer_))
        spdlog::warn(
            "client address {} is blocked for {} s after {} connection errors "
            "(listen.connect_errors)",
            peer_, config_->listen.connect_errors.block_s,
            config_->listen.connect_errors.max_errors);
    }
  }
  if (logged_in) {
    const std::size_t max_packet = config_->listen.max_packet_bytes;
    while (!close_requested_) {
      idle_ = true;
      error_code ec;
      if (in_.empty()) {
        // The next command may be there already (one recv, as asio's speculative read);
        // if not, wait for it without a buffer: an idle session holds little more than
        // this object (RSS per idle connection) and takes a recycled buffer when it wakes.
        // (Over TLS the read goes through OpenSSL: read_packet waits for it.)
        in_.reserve_free(net::read_buffer::recycled_size);
        const std::size_t n =
            stream_.try_read_some(asio::buffer(in_.write_ptr(), in_.free_space()), ec);
        if (!ec) {
          in_.commit(n);
        } else if ((ec == asio::error::would_block || ec == asio::error::try_again) &&
                   !stream_.secure()) {
          ec = {};
          in_.release_if_empty();
          if (payload_.capacity() > 1024) payload_ = bytes();
          co_await stream_.socket().async_wait(tcp::socket::wait_read,
                                               asio::redirect_error(asio::use_awaitable, ec));
        } else if (stream_.secure()) {
          ec = {};
        }
      }
      if (!ec) ec = co_await net::read_packet(stream_, in_, payload_, seq_, max_packet);
      idle_ = false;
      if (ec) {
        if (ec == net::make_error(net::io_errc::packet_too_large)) {
          seq_ = 0;
          const mysql_error err{er::net_packet_too_large, "08S01",
                                "Got a packet bigger than 'max_allowed_packet' bytes (ShardGate "
                                "listen.max_packet_bytes=" +
                                    std::to_string(max_packet) + ")"};
          co_await send_error(err);
        }
        break;
      }
      net::traffic.in += payload_.size() + 4;
      if (payload_.empty()) {
        const mysql_error err{er::unknown_com, "08S01", "Malformed packet: empty command"};
        const bool sent = co_await send_error(err);
        if (!sent) break;
        continue;
      }
      if (gen_ != worker_.current()) adopt_current_generation();
      const next n = co_await dispatch(payload_[0]);
      if (n == next::close || state_lost_) break;
      // Give memory back after a large statement.
      if (in_.capacity() > (1u << 20)) in_.shrink(4096);
      if (payload_.capacity() > (1u << 20)) payload_ = bytes();
    }
  }
  co_await finish();
  spdlog::debug("client {} ({}@{}) disconnected", id_, user_, peer_);
}

void client_session::adopt_current_generation() {
  if (explicit_txn_ || xa_txn_ || !xa_gtrid_.empty() || slots_.any_held()) return;
  gen_ = worker_.current();
  config_ = gen_->config();
  slots_.reset(config_->clusters.size());
}

awaitable<bool> client_session::handshake() {
  if (!worker_.admit_client()) {
    seq_ = 0xff;
    const mysql_error err{er::con_count, "08004",
                          "Too many connections (ShardGate listen.max_client_connections)"};
    co_await send_error(err);
    co_return false;
  }
  admitted_ = true;
  if (worker_.shared().metrics_on.load(std::memory_order_relaxed)) ++worker_.metrics().connections;
  slots_.reset(config_->clusters.size());
  login lg(worker_, *gen_, {stream_, in_, payload_, seq_}, id_, peer_);
  auto who = co_await lg.run();
  if (!who) co_return false;
  scramble_ = lg.scramble();
  client_caps_ = who->client_caps;
  handshake_collation_ = who->collation;
  co_return co_await begin_as(*who);
}

awaitable<bool> client_session::begin_as(const login_identity& who) {
  user_ = who.name;
  const config::user_config* user = who.user;
  limits::registry& limits = *worker_.shared().limits;
  user_limits_ = limits.user(user_);
  if (user_limits_) {
    const limits::admission a = limits::registry::admit_connection(*user_limits_);
    if (a.what == limits::admission::verdict::refuse) {
      const std::string value =
          a.limit == limits::limit_kind::connections
              ? std::to_string(user->max_connections) + " connections"
              : std::to_string(user->connection_rate_limit.per_second) + " logins/s";
      spdlog::info("client {}: login of '{}' from {} refused: users[].{} ({})", id_, user_, peer_,
                   limits::limit_kind_name(a.limit), value);
      const mysql_error err{
          er::user_limit_reached, "42000",
          "User '" + user_ + "' has exceeded the '" +
              (a.limit == limits::limit_kind::connections ? std::string("max_user_connections")
                                                          : std::string("connection_rate_limit")) +
              "' resource (current value: " + value + "); ShardGate users[]." +
              limits::limit_kind_name(a.limit)};
      co_await send_error(err);
      co_return false;
    }
    connection_counted_ = true;
    ip_limits_ = limits.client_ip(*user_limits_, peer_);
  }

  session::apply_handshake_collation(state_, handshake_collation_);
  state_.multi_statements = (client_caps_ & cap::multi_statements) != 0;
  std::string schema = who.database;
  if (schema.empty()) schema = user->default_schema;
  if (!schema.empty()) {
    state_.set_schema(schema);
    // Check the schema now, as a server would: an unknown one fails the login.
    const int cluster = home_cluster();
    auto err = co_await borrow_backend(cluster);
    if (err) {
      if (err->code != er::conn_host_error && err->code != er::con_count &&
          err->code != er::server_lost) {
        co_await send_error(*err);
        co_return false;
      }
      // The backend is unreachable: accept the login; statements will report it.
    } else {
      give_back_backend(cluster, true);
    }
  }
  co_return co_await send_ok();
}

awaitable<client_session::next> client_session::change_user() {
  login lg(worker_, *gen_, {stream_, in_, payload_, seq_}, id_, peer_);
  lg.set_scramble(scramble_);
  auto who = co_await lg.change_user(client_caps_);
  // A refused change closes the connection, as MySQL does (the error has been sent).
  if (!who) co_return next::close;
  // Everything of the previous user goes, as with COM_RESET_CONNECTION (begin_as applies
  // the collation and the new user's schema).
  std::string no_schema;  // (named: no temporaries inside co_await, see login::refuse)
  co_await reset_session(std::move(no_schema));
  if (connection_counted_) limits::registry::release_connection(*user_limits_);
  connection_counted_ = false;
  user_limits_ = nullptr;
  ip_limits_.reset();
  if (who->collation) handshake_collation_ = who->collation;
  const bool ok = co_await begin_as(*who);
  co_return ok ? next::keep_going : next::close;
}

awaitable<client_session::next> client_session::dispatch(std::uint8_t cmd) {
  switch (static_cast<command>(cmd)) {
    case command::quit:
      co_return next::close;
    case command::ping: {
      const bool sent = co_await send_ok();
      co_return proceed(sent);
    }
    case command::query:
    case command::stmt_execute:
      co_return co_await statement_command(cmd);
    case command::init_db:
      co_return co_await init_db();
    case command::field_list: {
      // The table's first shard knows its columns.
      int cluster = home_cluster();
      byte_span rest = byte_span(payload_).subspan(1);
      std::string_view table = as_string_view(rest);
      table = table.substr(0, table.find('\0'));
      std::string lower(table);
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (const auto* sc = config_->find_schema_ci(state_.schema))
        if (const auto* t = sc->find_table(lower)) {
          const auto& p = gen_->router().topo().placement(*t);
          // A broadcast table: the home cluster's copy if it has one.
          if (!p.broadcast())
            cluster = p.clusters().front();
          else if (std::find(p.clusters().begin(), p.clusters().end(), cluster) ==
                   p.clusters().end())
            cluster = p.first_copy();
        }
      co_return co_await run_on_backend(response_kind::field_list, cluster);
    }
    case command::statistics:
      co_return co_await run_on_backend(response_kind::raw_single, home_cluster());
    case command::set_option:
      co_return co_await set_option();
    case command::reset_connection:
      co_return co_await reset_connection();
    case command::change_user:
      co_return co_await change_user();
    case command::stmt_prepare:
      co_return co_await stmt_prepare();
    case command::stmt_send_long_data:
      co_return co_await stmt_send_long_data();
    case command::stmt_close: {  // no reply
      const std::uint32_t id = command_statement_id(payload_);
      if (auto* st = statements_.find(id); st && id != last_prepared_statement) {
        bool kept = true;
        if (st->cursor_cluster >= 0) kept = co_await close_cursor(*st);
        statements_.remove(id);
        if (!kept) co_return next::close;
      }
      co_return next::keep_going;
    }
    case command::stmt_reset:
      co_return co_await stmt_reset();
    case command::stmt_fetch:
      co_return co_await stmt_fetch();
    default: {
      const mysql_error err{er::unknown_com, "08S01",
                            std::string("ShardGate does not support ") + command_name(cmd) +
                                " (command byte " + std::to_string(cmd) + ")"};
      const bool sent = co_await send_error(err);
      co_return proceed(sent);
    }
  }
}

bool client_session::must_keep_backend(int cluster) const {
  return slots_.must_keep(cluster, pinned_by_statement_);
}

bool client_session::in_transaction() const {
  return explicit_txn_ || slots_.any_transaction();
}

int client_session::home_cluster() const {
  const int home = slots_.transaction_home();
  if (home >= 0) return home;
  return gen_->router().topo().default_cluster(config_->find_schema_ci(state_.schema));
}

routing::session_view client_session::route_view() {
  modes_.refresh(state_);
  return routing::session_view{state_.schema, modes_.ansi_quotes,
                               modes_.effective_no_backslash_escapes()};
}

awaitable<std::optional<mysql_error>> client_session::borrow_backend(
    int cluster, backend::connection_pool* reader) {
  session::cluster_slot& slot = slots_[cluster];
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (!slot.conn) {
      backend::connection_pool* pool = reader ? reader : &gen_->pool(cluster);
      const backend::connection_requirements req{client_caps_ & backend::login_fixed_caps,
                                                 state_.schema.empty(), slot.last};
      auto got = co_await pool->acquire(req);
      if (got.error && reader) {
        // Nothing ran yet: the read goes to the writer instead of failing.
        spdlog::debug("client {}: reader {} unavailable ({}); reading from the writer", id_,
                      reader->target().endpoint.to_string(), got.error->message);
        reader = nullptr;
        pool = &gen_->pool(cluster);
        got = co_await pool->acquire(req);
      }
      if (got.error) co_return got.error;
      slot.conn = std::move(got.conn);
      slot.pool = pool;
      slot.reader = reader != nullptr;
      if (reader) ++gen_->cluster_metrics(cluster).reads_on_readers;
    }
    if (!modes_.sets_sql_mode)
      modes_.server_default_nbe = (slot.conn->status & status::no_backslash_escapes) != 0;
    if (backend::in_sync(*slot.conn, state_, token_)) co_return std::nullopt;
    auto err = co_await backend::sync_state(*slot.conn, state_, token_);
    if (!err) co_return std::nullopt;
    if (!slot.conn->broken()) {
      give_back_backend(cluster, true);
      co_return err;
    }
    // The connection died before the client's statement was sent: nothing ran, so a
    // fresh connection may serve it - unless the session's pinned state died with it.
    const bool had_state = must_keep_backend(cluster);
    slot.xa = false;  // (an open branch died with the connection)
    slot.reader = false;
    slot.pool->release(std::move(slot.conn));
    if (slot.cursors) {  // the cursors died with the connection
      slot.cursors = 0;
      statements_.for_each([&](session::client_statement& st) {
        if (st.cursor_cluster == cluster) st.cursor_cluster = -1;
      });
    }
    if (had_state) {
      // A transaction or pinned state died with it: the client connection ends after this
      // error, as a direct connection would have ended (a later COMMIT must not commit the
      // other shards alone).
      state_lost_ = true;
      co_return err;
    }
  }
  co_return mysql_error{er::server_lost, "08S01", "Lost connection to the backend repeatedly"};
}

void client_session::give_back_backend(int cluster, bool reusable) {
  session::cluster_slot& slot = slots_[cluster];
  if (!slot.conn) return;
  if (!reusable) slot.conn->mark_broken();
  if (reusable && !slot.conn->broken() && must_keep_backend(cluster)) {
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

awaitable<std::optional<mysql_error>> client_session::join_transaction(int cluster) {
  if (!explicit_txn_) co_return std::nullopt;
  session::cluster_slot& slot = slots_[cluster];
  if (slot.in_transaction()) co_return std::nullopt;
  if (xa_txn_) {  // transactions.cross_shard: xa - the shard's branch of the XA transaction
    if (xa_gtrid_.empty()) xa_gtrid_ = worker_.shared().xa->begin();
    auto err = co_await run_xa(cluster, static_cast<int>(transactions::xa_verb::start));
    if (!err) {
      slot.xa = true;
    } else if (!xa_open()) {  // no branch started: the id is not used
      worker_.shared().xa->abandoned(xa_gtrid_);
      xa_gtrid_.clear();
    }
    co_return err;
  }
  auto err = co_await slot.conn->run_internal(command::query, begin_text_);
  co_return err;
}

awaitable<client_session::next> client_session::statement_command(std::uint8_t cmd) {
  if (user_limits_) {
    const limits::admission a = limits::registry::admit_statement(*user_limits_, ip_limits_.get());
    if (a.what == limits::admission::verdict::refuse) {
      const bool ip = a.limit == limits::limit_kind::client_ip_rate;
      const config::user_config* u = config_->find_user(user_);
      const config::rate_limit_config* rule =
          u ? (ip ? &u->client_ip_rate_limit : &u->rate_limit) : nullptr;
      char rate[64] = "?";
      if (rule) std::snprintf(rate, sizeof rate, "%g/s, burst %u", rule->per_second, rule->burst);
      const mysql_error err{
          er::user_limit_reached, "42000",
          "User '" + user_ + "' has exceeded the '" + limits::limit_kind_name(a.limit) +
              "' resource (current value: " + rate + (ip ? " from " + peer_ : std::string()) +
              "); ShardGate users[]." + limits::limit_kind_name(a.limit)};
      if (worker_.shared().metrics_on.load(std::memory_order_relaxed))
        ++worker_.metrics().statements[static_cast<std::size_t>(sql::statement_kind::other)]
                                      [static_cast<std::size_t>(metrics::route_kind::local)];
      const bool sent = co_await send_error(err);
      co_return proceed(sent);
    }
    if (a.what == limits::admission::verdict::wait) {
      asio::steady_timer pause(stream_.get_executor(), a.wait);
      co_await pause.async_wait(nothrow_awaitable);
    }
  }
  const bool metrics_on = worker_.shared().metrics_on.load(std::memory_order_relaxed);
  const std::uint32_t slow_ms = worker_.shared().slow_query_ms.load(std::memory_order_relaxed);
  if (!metrics_on && slow_ms == 0 && !worker_.query_stats()) {
    // (No co_await inside ?: - GCC 12 evaluates both.)
    if (cmd == static_cast<std::uint8_t>(command::query)) co_return co_await query();
    co_return co_await stmt_execute();
  }
  const std::uint32_t statement_id =
      cmd == static_cast<std::uint8_t>(command::query) ? 0 : command_statement_id(payload_);
  routed_ = false;
  reply_error_ = 0;
  const std::uint64_t deadline_before = deadline_.arm_id();
  const auto started = std::chrono::steady_clock::now();
  next n;
  if (cmd == static_cast<std::uint8_t>(command::query))
    n = co_await query();
  else
    n = co_await stmt_execute();
  const auto micros =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - started)
                                     .count());
  // (The statistics are looked up again: a reload may have replaced them meanwhile.)
  account_statement(cmd, statement_id, micros, metrics_on, slow_ms, worker_.query_stats(),
                    deadline_.arm_id() != deadline_before && deadline_.killed());
  co_return n;
}

metrics::route_kind client_session::route_kind_of_plan() const {
  if (!routed_ || plan_.action == routing::route_action::refuse || plan_.clusters.empty())
    return metrics::route_kind::local;
  if (plan_.action == routing::route_action::single) return metrics::route_kind::single;
  if (plan_.combine == routing::route_combine::broadcast) return metrics::route_kind::broadcast;
  if (plan_.table &&
      plan_.clusters.size() < gen_->topology()->placement(*plan_.table).clusters().size())
    return metrics::route_kind::multi;
  return metrics::route_kind::scatter;
}

const std::string& client_session::route_text(metrics::route_kind route) {
  route_text_ = metrics::route_kind_name(route);
  if (route == metrics::route_kind::local) return route_text_;
  for (std::size_t k = 0; k < plan_.clusters.size(); ++k) {
    if (k == 8) {
      route_text_ += ",... (" + std::to_string(plan_.clusters.size()) + ")";
      break;
    }
    route_text_ += k ? ',' : ' ';
    route_text_ += config_->clusters[static_cast<std::size_t>(plan_.clusters[k])].name;
  }
  return route_text_;
}

void client_session::account_statement(std::uint8_t cmd, std::uint32_t statement_id,
                                       std::uint64_t micros, bool metrics_on, std::uint32_t slow_ms,
                                       metrics::query_stats* stats, bool killed) {
  const metrics::route_kind route = route_kind_of_plan();
  if (metrics_on) {
    metrics::worker_metrics& m = worker_.metrics();
    const auto r = static_cast<std::size_t>(route);
    const auto kind = routed_ ? plan_.kind : sql::statement_kind::other;
    ++m.statements[static_cast<std::size_t>(kind)][r];
    if (route == metrics::route_kind::single) {
      gen_->cluster_metrics(plan_.clusters[0]).latency[r].observe(micros);
    } else {
      m.fan_out_latency[r].observe(micros);
      if (route != metrics::route_kind::local) {
        m.fan_out(plan_.clusters.size());
        for (int c : plan_.clusters) ++gen_->cluster_metrics(c).fan_out_legs;
      }
    }
    if (killed) ++m.statements_killed;
  }
  const bool slow = slow_ms != 0 && micros >= std::uint64_t{slow_ms} * 1000;
  if (!stats && !slow) return;
  std::string_view text;
  std::string_view fp;
  std::uint64_t hash = 0;
  session::client_statement* st = nullptr;
  if (cmd == static_cast<std::uint8_t>(command::stmt_execute)) st = statements_.find(statement_id);
  if (st) {
    // A prepared statement's fingerprint is computed once.
    text = st->sql;
    if (st->fingerprint.empty())
      st->fingerprint_hash = sql::fingerprint(text, st->fingerprint, modes_.no_backslash_escapes);
    fp = st->fingerprint;
    hash = st->fingerprint_hash;
  } else {
    if (!payload_.empty() && payload_[0] == static_cast<std::uint8_t>(command::query))
      text = as_string_view(byte_span(payload_).subspan(1));
    std::string& scratch = worker_.fingerprint_scratch();
    hash = sql::fingerprint(text, scratch, modes_.no_backslash_escapes);
    fp = scratch;
  }
  const std::string& route_shards = route_text(route);
  if (stats) stats->record(hash, fp, route_shards, micros, reply_error_ != 0);
  if (!slow) return;
  if (metrics_on) ++worker_.metrics().slow_statements;
  constexpr std::size_t max_text = 4096;
  const std::string_view shown = text.substr(0, max_text);
  const char* more = text.size() > max_text ? "..." : "";
  const std::string error = reply_error_ ? ", error " + std::to_string(reply_error_) : "";
  if (auto log = worker_.shared().slow_log())
    log->info("{:.3f} ms user {}@{} schema '{}' route {}{} fingerprint {:016x} | {} | {}{}",
              micros / 1000.0, user_, peer_, state_.schema, route_shards, error, hash, fp, shown,
              more);
  else
    spdlog::warn(
        "slow statement: {:.3f} ms, client {} {}@{}, schema '{}', route {}{}; fingerprint "
        "{:016x}: {}; statement: {}{}",
        micros / 1000.0, id_, user_, peer_, state_.schema, route_shards, error, hash, fp, shown,
        more);
}

awaitable<client_session::next> client_session::query() {
  const std::string_view sql = as_string_view(byte_span(payload_).subspan(1));
  // (With sharding configured, SQL-level PREPARE / EXECUTE run in ShardGate: no pin.)
  if (!pinned_by_statement_ && session::statement_pins_session(sql) &&
      (config_->schemas.empty() || !session::starts_sql_prepared_command(sql)))
    pinned_by_statement_ = true;
  co_return co_await run_statement(sql, nullptr);
}

awaitable<client_session::next> client_session::run_statement(std::string_view sql,
                                                              prepared_run* exec) {
  retried_on_new_writer_ = false;
  if (exec && exec->fixed) {
    // A prepared statement whose route does not depend on its values (see stmt_prepare).
    const session::client_statement& st = *exec->statement;
    route_view();
    plan_.action = routing::route_action::single;
    plan_.combine = routing::route_combine::none;
    plan_.kind = static_cast<sql::statement_kind>(st.fixed_kind);
    plan_.write = st.fixed_write;
    plan_.tableless = st.fixed_tableless;
    plan_.broadcast_read = st.fixed_broadcast_read;
    plan_.rewritten = false;
    plan_.clusters.assign(1, st.fixed_cluster);
  } else if (exec) {
    // Tables of a prepared statement resolve in the database current when it was prepared.
    routing::session_view view = route_view();
    view.schema = exec->statement->schema;
    gen_->router().route(sql, view, plan_);
  } else {
    gen_->router().route(sql, route_view(), plan_);
    if (!config_->schemas.empty() && is_sql_prepared_command(gen_->router().parsed()))
      co_return co_await sql_prepared_command();
  }
  routed_ = true;
  if (!exec && plan_.kind == sql::statement_kind::set && !plan_.multi_statement) {
    if (shardgate_setting()) {
      bool sent;
      if (pending_setting_error_) {
        const mysql_error err = *pending_setting_error_;
        sent = co_await send_error(err);
      } else {
        sent = co_await send_ok();
      }
      co_return proceed(sent);
    }
  }
  if (plan_.action == routing::route_action::refuse) {
    spdlog::debug("client {}: refused: {}", id_, plan_.error.message);
    const bool sent = co_await send_error(plan_.error);
    co_return proceed(sent);
  }
  if (plan_.kind == sql::statement_kind::ddl && xa_txn_) {
    if (xa_open()) {
      // DDL commits implicitly, which an XA branch cannot do.
      const mysql_error err{er::not_supported_yet, "42000",
                            "ShardGate: DDL would commit the open transaction implicitly, which "
                            "its XA transactions (transactions.cross_shard: xa) cannot do; "
                            "COMMIT or ROLLBACK first"};
      const bool sent = co_await send_error(err);
      co_return proceed(sent);
    }
    end_explicit_transaction();  // (nothing ran in it yet: it ends, as DDL ends it)
  }
  if (plan_.ends_transaction) {
    // A multi-statement text would end (or begin) the transaction on one shard only.
    if (slots_.open_transactions() > 1 || xa_open()) {
      const mysql_error err{er::not_supported_yet, "42000",
                            "ShardGate: the transaction is open on several shards (or as XA "
                            "transactions); a multi-statement text cannot end it - send "
                            "COMMIT, ROLLBACK, BEGIN or DDL as a statement of its own"};
      const bool sent = co_await send_error(err);
      co_return proceed(sent);
    }
  }
  if (plan_.kind == sql::statement_kind::transaction) {
    if (exec) {  // BEGIN / COMMIT / SAVEPOINT ... prepared: run as the text it is (OK / ERR)
      payload_.assign(1, static_cast<std::uint8_t>(command::query));
      payload_.insert(payload_.end(), sql.begin(), sql.end());
      sql = as_string_view(byte_span(payload_).subspan(1));
    }
    co_return co_await transaction_statement(sql);
  }

  // Statements without a table follow the open transaction (SELECT 1, SET, ...).
  if (plan_.tableless) plan_.clusters[0] = home_cluster();
  // A read of broadcast tables stays in the open transaction when its shard has copies.
  if (plan_.broadcast_read) {
    const int home = home_cluster();
    const auto& slot = slots_[home];
    if (slot.in_transaction() && gen_->router().has_broadcast_copies(home))
      plan_.clusters[0] = home;
  }

  // transactions.cross_shard: may this write run where the transaction is? (Reads never
  // ask: the view's in_transaction() walks the slots.)
  if (plan_.write) {
    if (auto refusal = transactions::check_write(transaction_view(), slots_, plan_, *config_)) {
      const mysql_error err = std::move(*refusal);
      const bool sent = co_await send_error(err);
      co_return proceed(sent);
    }
  }
  if (plan_.action == routing::route_action::fan_out) {
    if (exec && exec->statement->schema != state_.schema) {
      const mysql_error err{er::not_supported_yet, "42000",
                            "ShardGate: this prepared statement runs on several shards as text, "
                            "in the current database '" +
                                state_.schema + "', but it was prepared in '" +
                                exec->statement->schema +
                                "'; USE that database again or prepare it here"};
      const bool sent = co_await send_error(err);
      co_return proceed(sent);
    }
    if (exec && (exec->request.flags & cursor_flags) &&
        (plan_.combine == routing::route_combine::rows ||
         plan_.combine == routing::route_combine::merge)) {
      const mysql_error err{er::not_supported_yet, "42000",
                            "ShardGate: this prepared statement reads several shards, and a "
                            "cursor over several shards is not supported; execute it without "
                            "a cursor (e.g. useCursorFetch=false, no STMT_ATTR_CURSOR_TYPE)"};
      const bool sent = co_await send_error(err);
      co_return proceed(sent);
    }
    if (exec && !exec->bound) {
      const mysql_error err{er::not_supported_yet, "42000",
                            "ShardGate: this prepared statement runs on several shards, and its "
                            "parameter values cannot be written into its text (use the text "
                            "protocol for it)"};
      const bool sent = co_await send_error(err);
      co_return proceed(sent);
    }
    fan_out_text_ = sql;
    binary_rows_ = exec != nullptr;
    const next n = co_await run_fan_out();
    binary_rows_ = false;
    co_return n;
  }
  const int cluster = plan_.clusters[0];
  if (plan_.write) slots_[cluster].wrote = true;
  backend::connection_pool* reader = read_pool(cluster, exec);
  if (exec) co_return co_await run_prepared(cluster, *exec, reader);
  co_return co_await run_on_backend(response_kind::query, cluster, reader);
}

// SET [SESSION] shardgate_max_execution_ms = N | DEFAULT (also as @@[session.]...): a
// ShardGate setting, answered here (the servers do not know it).
bool client_session::shardgate_setting() {
  const routing::parsed_statement& p = gen_->router().parsed();
  const auto text = [&](std::size_t k) { return p.token_text(static_cast<std::uint32_t>(k)); };
  const auto is = [&](std::size_t k, sql::token_kind kind) {
    return k < p.tokens.size() && p.tokens[k].kind == kind;
  };
  std::size_t i = 1;
  if (routing::word_is(p, i, "SESSION") || routing::word_is(p, i, "LOCAL")) ++i;
  std::string_view name;
  if (is(i, sql::token_kind::system_variable)) {
    name = text(i).substr(2);
    for (std::string_view scope : {"SESSION.", "LOCAL."})
      if (name.size() > scope.size() && sql::is_keyword(name.substr(0, scope.size()), scope))
        name.remove_prefix(scope.size());
  } else if (is(i, sql::token_kind::identifier)) {
    name = text(i);
  }
  if (!sql::is_keyword(name, "SHARDGATE_MAX_EXECUTION_MS")) return false;
  ++i;
  if (is(i, sql::token_kind::op) && (text(i) == "=" || text(i) == ":=")) ++i;
  std::int64_t value = -2;  // (not valid)
  if (routing::word_is(p, i, "DEFAULT")) {
    value = -1;
  } else if (is(i, sql::token_kind::number)) {
    const std::string_view v = text(i);
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec == std::errc() && end == v.data() + v.size() && n >= 0 && n <= 86'400'000) value = n;
  }
  ++i;
  while (is(i, sql::token_kind::semicolon)) ++i;  // (a trailing ';' is fine)
  if (value == -2 || !is(i, sql::token_kind::end)) {
    pending_setting_error_ = mysql_error{
        er::wrong_value, "HY000",
        "ShardGate: SET shardgate_max_execution_ms takes a number of milliseconds from 0 (no "
        "deadline) to 86400000, or DEFAULT (routing.max_execution_ms), and nothing else"};
  } else {
    session_max_execution_ms_ = value;
    pending_setting_error_.reset();
  }
  return true;
}

backend::connection_pool* client_session::read_pool(int cluster, const prepared_run* exec) {
  if (!gen_->has_readers(cluster) || !config_->routing.reads_to_readers) return nullptr;
  if (plan_.write || plan_.kind != sql::statement_kind::select || plan_.multi_statement)
    return nullptr;
  // A cursor keeps its connection after the statement: it stays on the writer.
  if (exec && (exec->request.flags & cursor_flags)) return nullptr;
  // Transactions (and autocommit off, which opens one with the read), pinned state and
  // a connection the session holds stay where they are: on the writer.
  if (explicit_txn_ || modes_.autocommit_off || pinned_by_statement_ || slots_[cluster].conn ||
      in_transaction())
    return nullptr;
  if (config_->routing.read_your_writes_ms &&
      std::chrono::steady_clock::now() - last_write_ <
          std::chrono::milliseconds(config_->routing.read_your_writes_ms))
    return nullptr;
  const bool safe = exec && exec->fixed ? exec->statement->fixed_replica_ok
                                        : routing::replica_may_answer(gen_->router().parsed());
  if (!safe) return nullptr;
  return gen_->reader_pool(cluster);
}

// BEGIN / START TRANSACTION open the transaction lazily: on the shard its first statement
// needs. COMMIT / ROLLBACK end it on every shard where it is open.
awaitable<client_session::next> client_session::transaction_statement(std::string_view sql) {
  const transactions::transaction_statement st =
      transactions::classify_transaction_statement(gen_->router().parsed());
  const bool begin = st.begin;
  const bool end = st.end;
  const bool multiple = st.multiple;
  std::vector<int> open;
  for (std::size_t c = 0; c < slots_.size(); ++c)
    if (slots_[c].in_transaction()) open.push_back(static_cast<int>(c));

  const bool xa_mode = config_->transactions.cross_shard == config::cross_shard_mode::xa;
  if (xa_mode || xa_open()) {
    const char* refusal = transactions::xa_refusal(st, xa_txn_ || xa_open());
    if (refusal) {
      const mysql_error err{er::not_supported_yet, "42000", refusal};
      const bool sent = co_await send_error(err);
      co_return proceed(sent);
    }
    if (end && !multiple && xa_open()) co_return co_await end_xa_transaction(st.commit);
    if (begin && !multiple) {
      // A transaction autocommit=0 opened (not XA) ends here, as BEGIN would end it.
      for (int c : open) {
        auto err = co_await slots_[c].conn->run_internal(command::query, "COMMIT");
        slots_[c].wrote = false;
        give_back_backend(c, !slots_[c].conn->broken());
        if (err) {
          end_explicit_transaction();
          const bool sent = co_await send_error(*err);
          co_return proceed(sent);
        }
      }
      open.clear();
      begin_text_.assign(sql);
      explicit_txn_ = true;
      // A read-only transaction never needs two-phase commit: it stays a plain one.
      xa_txn_ = !st.read_only;
      const bool sent = co_await send_ok(status::in_trans);
      co_return proceed(sent);
    }
  }

  if (begin && !multiple && open.empty()) {
    begin_text_.assign(sql);
    explicit_txn_ = true;
    const bool sent = co_await send_ok(status::in_trans);
    co_return proceed(sent);
  }
  if (end && !multiple && open.size() != 1) {
    // Nothing opened on any shard (answer locally), or several shards: end each in turn
    // (transactions.cross_shard: best_effort; a read-only transaction on several shards
    // under reject too). A COMMIT that fails on the first shard rolls the others back; one
    // that fails after a shard committed goes on with the rest and reports exactly which
    // shards committed and which did not.
    const bool commit = st.commit;
    // Shards that wrote commit first: a failure there can still undo the rest.
    std::stable_partition(open.begin(), open.end(), [&](int c) { return slots_[c].wrote; });
    std::string committed, not_committed;
    std::optional<mysql_error> first_failure;
    bool rolling_back = !commit;
    bool wrote_committed = false;
    bool unknown = false;
    for (int c : open) {
      auto& conn = slots_[c].conn;
      const std::string& name = config_->clusters[static_cast<std::size_t>(c)].name;
      const bool wrote = slots_[c].wrote;
      std::optional<mysql_error> err;
      if (rolling_back) {
        err = co_await conn->run_internal(command::query, "ROLLBACK");
        if (commit && wrote)
          not_committed += (not_committed.empty() ? "" : ", ") + name + " (rolled back)";
      } else {
        err = co_await conn->run_internal(command::query, sql);
        if (!err) {
          if (wrote) {
            committed += (committed.empty() ? "" : ", ") + name;
            wrote_committed = true;
          }
        } else if (conn->broken()) {
          // The connection died during COMMIT: the shard may or may not have committed.
          not_committed += (not_committed.empty() ? "" : ", ") + name +
                           " (OUTCOME UNKNOWN: the connection was lost during COMMIT)";
          unknown = true;
          if (!wrote_committed) rolling_back = true;
        } else {
          not_committed += (not_committed.empty() ? "" : ", ") + name + " (" +
                           std::to_string(err->code) + ": " + err->message + ")";
          co_await conn->run_internal(command::query, "ROLLBACK");
          if (!wrote_committed) rolling_back = true;  // nothing committed yet: undo all
        }
      }
      if (err && !first_failure) first_failure = *err;
      slots_[c].wrote = false;
      give_back_backend(c, !conn->broken());
    }
    end_explicit_transaction();
    server_status_ = static_cast<std::uint16_t>(server_status_ & ~status::in_trans);
    if (first_failure) {
      mysql_error e = *first_failure;
      if (commit && open.size() > 1) {
        if (wrote_committed)
          e.message = "ShardGate: COMMIT was NOT atomic across shards: committed on " + committed +
                      "; failed on " + not_committed;
        else if (unknown)
          e.message =
              "ShardGate: COMMIT failed; its outcome is unknown on some shards, the "
              "others were rolled back (" +
              not_committed + ")";
        else
          e.message = "ShardGate: COMMIT failed; nothing was committed (" + not_committed + ")";
        if (wrote_committed || unknown) {
          worker_.shared().cross_shard_commit_failures.fetch_add(1, std::memory_order_relaxed);
          spdlog::error("client {}: {}", id_, e.message);
        }
      }
      const bool sent = co_await send_error(e);
      co_return proceed(sent);
    }
    const bool sent = co_await send_ok();
    co_return proceed(sent);
  }
  // Several shards open: SAVEPOINT & co. act where the writes are, if that is one shard;
  // a BEGIN inside the transaction (an implicit COMMIT) or a multi-statement COMMIT would
  // end it on one shard only.
  int writer = -1;
  if (open.size() > 1) {
    int writers = 0;
    for (int c : open)
      if (slots_[c].wrote) writer = c, ++writers;
    if (begin || end || writers > 1) {
      const mysql_error err{er::not_supported_yet, "42000",
                            "ShardGate: the transaction is open on several shards; end it with "
                            "a COMMIT or ROLLBACK of its own before this statement"};
      const bool sent = co_await send_error(err);
      co_return proceed(sent);
    }
  }
  // One shard (or SAVEPOINT / XA / a BEGIN inside a transaction): where the transaction is.
  if (end || begin) end_explicit_transaction();
  const int cluster = writer >= 0 ? writer : open.empty() ? home_cluster() : open.front();
  if (!begin && !end && explicit_txn_ && open.empty()) {
    // SAVEPOINT before the first statement: open the transaction on the home cluster now.
    auto err = co_await borrow_backend(cluster);
    if (!err) err = co_await join_transaction(cluster);
    if (err) {
      const bool sent = co_await send_error(*err);
      co_return proceed(sent);
    }
  }
  const next n = co_await run_on_backend(response_kind::query, cluster);
  if (end) slots_[cluster].wrote = false;
  co_return n;
}

awaitable<client_session::next> client_session::run_fan_out() {
  const auto combine = plan_.combine;
  std::vector<execution::fan_leg> legs;
  std::vector<std::string> names;
  const std::string_view original = fan_out_text_;
  const bool read =
      combine == routing::route_combine::rows || combine == routing::route_combine::merge;
  for (std::size_t k = 0; k < plan_.clusters.size(); ++k) {
    const int c = plan_.clusters[k];
    backend::connection_pool* reader = read ? read_pool(c, nullptr) : nullptr;
    auto err = co_await borrow_backend(c, reader);
    // Reads see the transaction's writes; writes join it (cross_shard: best_effort). DDL
    // commits implicitly: it never runs inside one.
    if (!err && combine != routing::route_combine::ddl) err = co_await join_transaction(c);
    if (!err && !read && combine != routing::route_combine::ddl &&
        (in_transaction() || modes_.autocommit_off))
      slots_[c].wrote = true;
    if (err) {
      for (int done : plan_.clusters) give_back_backend(done, true);
      mysql_error e = *err;
      e.message = "shard " + config_->clusters[c].name + ": " + e.message;
      const bool sent = co_await send_error(e);
      co_return proceed(sent);
    }
    execution::fan_leg leg;
    leg.conn = slots_[c].conn.get();
    leg.sql = plan_.rewritten ? std::string_view(plan_.texts[k]) : original;
    legs.push_back(leg);
    names.push_back(config_->clusters[c].name);
  }
  co_await execution::send_to_all(legs);

  // A leg whose connection died inside a transaction (or with pinned state) took that
  // shard's part of it along: the client connection ends after the reply (state_lost_), as
  // it would have with a direct connection - a later COMMIT must not commit the rest alone.
  auto finish_legs = [&] {
    for (std::size_t k = 0; k < legs.size(); ++k) {
      const int c = plan_.clusters[k];
      auto& conn = slots_[c].conn;
      if (legs[k].lost && (in_transaction() || must_keep_backend(c))) state_lost_ = true;
      if (conn && !legs[k].lost) {
        conn->synced_owner = token_;
        conn->synced_generation = state_.generation;
      }
      give_back_backend(c, !legs[k].lost);
    }
  };

  if (combine == routing::route_combine::rows || combine == routing::route_combine::merge) {
    // A plain scatter is a merge that concatenates (no hidden columns).
    static const routing::merge_spec concatenate;
    const routing::merge_spec& spec =
        combine == routing::route_combine::merge ? plan_.merge : concatenate;
    std::uint8_t client_seq = static_cast<std::uint8_t>(seq_ + 1);
    execution::merge_settings settings;
    settings.write_timeout = std::chrono::seconds(config_->listen.write_timeout_s);
    settings.deadline = std::chrono::milliseconds(config_->routing.scatter_timeout_ms);
    settings.max_rows = config_->routing.merge_max_rows;
    settings.binary_rows = binary_rows_;
    const auto result = co_await execution::merge_rows(legs, names, spec, stream_, client_seq,
                                                       client_caps_, status_flags(), settings);
    seq_ = static_cast<std::uint8_t>(client_seq - 1);
    finish_legs();
    co_return result == execution::gather_status::complete ? next::keep_going : next::close;
  }

  std::vector<execution::leg_reply> replies;
  co_await execution::collect_replies(legs, replies);
  finish_legs();
  if (config_->routing.read_your_writes_ms) last_write_ = std::chrono::steady_clock::now();
  std::string applied, failed;
  const mysql_error* first_error = nullptr;
  std::uint64_t affected = 0, last_id = 0;
  std::uint32_t warnings = 0;
  const bool copies = combine == routing::route_combine::broadcast;
  for (std::size_t k = 0; k < replies.size(); ++k) {
    const auto& r = replies[k];
    if (copies && r.ok) {
      // Every copy ran the same write: the client sees the first copy's OK.
      if (applied.empty()) {
        affected = r.affected_rows;
        warnings = r.warnings;
        last_id = r.last_insert_id;
      }
      applied += (applied.empty() ? "" : ", ") + names[k];
    } else if (r.ok) {
      affected += r.affected_rows;
      warnings += r.warnings;
      if (plan_.clusters[k] == plan_.first_row_cluster || (!last_id && plan_.first_row_cluster < 0))
        last_id = r.last_insert_id ? r.last_insert_id : last_id;
      applied += (applied.empty() ? "" : ", ") + names[k];
    } else {
      if (!first_error) first_error = &r.error;
      failed += (failed.empty() ? "" : ", ") + names[k] + " (" + std::to_string(r.error.code) +
                ": " + r.error.message + ")";
    }
  }
  if (first_error) {
    const std::string what = combine == routing::route_combine::ddl ? std::string("DDL")
                             : copies && plan_.table
                                 ? "write to broadcast table " + plan_.table->name
                                 : std::string("statement");
    mysql_error e{first_error->code, first_error->sql_state,
                  std::string("ShardGate: the ") + what + " failed on shard(s) " + failed +
                      (applied.empty() ? std::string("; it was applied nowhere")
                                       : "; it WAS applied on shard(s) " + applied +
                                             (copies ? " (not atomic across shards: the copies "
                                                       "now differ; repair them)"
                                                     : " (not atomic across shards)"))};
    spdlog::warn("client {}: {}", id_, e.message);
    const bool sent = co_await send_error(e);
    co_return proceed(sent);
  }
  if (last_id) state_.set_last_insert_id(last_id);
  const std::string info = copies ? replies[0].info : execution::combine_info(replies);
  out_.clear();
  ok_packet ok;
  ok.affected_rows = affected;
  ok.last_insert_id = last_id;
  ok.status = status_flags();
  ok.warnings = static_cast<std::uint16_t>(std::min<std::uint32_t>(warnings, 0xffff));
  ok.info = info;
  encode_ok(out_, ok, client_caps_);
  const bool sent = co_await send_packet(out_);
  co_return proceed(sent);
}

awaitable<client_session::next> client_session::run_on_backend(response_kind kind, int cluster,
                                                               backend::connection_pool* reader) {
  auto err = co_await borrow_backend(cluster, reader);
  if (!err && kind == response_kind::query) err = co_await join_transaction(cluster);
  if (err) {
    const bool sent = co_await send_error(*err);
    co_return proceed(sent);
  }
  co_return co_await exchange(kind, cluster, must_keep_backend(cluster), nullptr);
}

awaitable<client_session::next> client_session::exchange(response_kind kind, int cluster,
                                                         bool had_state, const bytes* request) {
  session::cluster_slot& slot = slots_[cluster];
  backend::backend_connection& be = *slot.conn;
  error_code ec;
  if (request) {
    ec = co_await net::write_all(be.stream(), byte_span(*request));
  } else {
    std::uint8_t backend_seq = 0;
    ec = co_await net::write_packet(be.stream(), be.scratch(), payload_, backend_seq);
  }
  if (ec) {
    be.mark_failed();
    mysql_error lost{er::server_lost, "08S01",
                     "Lost connection to MySQL server at '" + be.target().endpoint.to_string() +
                         "' (cluster " + be.target().cluster + ") while sending the statement"};
    give_back_backend(cluster, false);
    const bool ok = co_await send_error(lost);
    co_return ok && !had_state ? next::keep_going : next::close;
  }

  // max_execution_ms (the session's, else routing's) and the cluster's read_timeout_ms.
  const auto& cluster_cfg = config_->clusters[static_cast<std::size_t>(cluster)];
  const std::uint32_t max_execution_ms = session_max_execution_ms_ >= 0
                                             ? static_cast<std::uint32_t>(session_max_execution_ms_)
                                             : config_->routing.max_execution_ms;
  const bool watched = max_execution_ms != 0 || cluster_cfg.read_timeout_ms != 0;
  if (watched)
    deadline_.arm(be, std::chrono::milliseconds(max_execution_ms),
                  std::chrono::milliseconds(cluster_cfg.read_timeout_ms));

  // (Only writes to clusters with readers can meet a demoted writer.)
  refusal refused = refusal::none;
  if (plan_.write && kind == response_kind::query && !slot.reader && gen_->has_readers(cluster))
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

  session::state_tracker tracker(&state_, &be.state);
  response_translator& tr = be.translator();
  tr.start(kind, be.capabilities(), client_caps_, be.status, &tracker);
  std::uint8_t client_seq = static_cast<std::uint8_t>(seq_ + 1);
  const auto result = co_await execution::forward_response(
      be, stream_, client_seq, std::chrono::seconds(config_->listen.write_timeout_s));
  seq_ = static_cast<std::uint8_t>(client_seq - 1);
  last_error_code_ = tr.error_code();
  if (last_error_code_) {
    reply_error_ = last_error_code_;
    if (worker_.shared().metrics_on.load(std::memory_order_relaxed))
      worker_.metrics().error(last_error_code_);
  }
  if (watched) {
    co_await deadline_.disarm();
    if (deadline_.timed_out()) {
      spdlog::warn("client {}: backend {} ({}) sent no reply within read_timeout_ms={}", id_,
                   be.target().endpoint.to_string(), be.target().cluster,
                   cluster_cfg.read_timeout_ms);
    } else if (deadline_.killed()) {
      // KILL QUERY was sent: the connection is not reused (a late kill must not reach
      // another statement).
      spdlog::warn("client {}: statement over max_execution_ms={} on {} ({}): killed", id_,
                   max_execution_ms, be.target().endpoint.to_string(), be.target().cluster);
      be.mark_broken();
    }
    // A transaction or pinned state on the given-up connection is lost with it.
    if ((deadline_.timed_out() || deadline_.killed()) &&
        (had_state || (be.status & status::in_trans) || must_keep_backend(cluster)))
      state_lost_ = true;
  }

  switch (result.status) {
    case execution::forward_status::complete: {
      be.status = tr.status();
      server_status_ = tr.status();
      if (tr.last_insert_id()) {
        state_.set_last_insert_id(tr.last_insert_id());
        be.state.last_insert_id = tr.last_insert_id();
      }
      be.synced_owner = token_;
      be.synced_generation = state_.generation;
      // (A write, or a COMMIT, just finished: read_your_writes_ms counts from here.)
      if (config_->routing.read_your_writes_ms &&
          (plan_.write || plan_.kind == sql::statement_kind::transaction))
        last_write_ = std::chrono::steady_clock::now();
      if (kind == response_kind::execute && running_ && running_->private_statement) {
        if (be.status & status::cursor_exists) {
          // The execution opened a cursor: the connection stays with the session until the
          // cursor is read to its end, reset, closed or executed again.
          running_->statement->cursor_cluster = cluster;
          running_->statement->cursor_backend_id = running_->backend_id;
          ++slot.cursors;
        } else {
          co_await be.close_statement(running_->backend_id);  // no cursor after all
        }
      }
      if (explicit_txn_ && !xa_txn_ && !(be.status & status::in_trans) &&
          (kind == response_kind::query || kind == response_kind::execute) &&
          plan_.kind != sql::statement_kind::transaction) {
        // The statement ended the transaction implicitly (DDL, LOCK TABLES, ...).
        end_explicit_transaction();
      }
      give_back_backend(cluster, true);
      co_return next::keep_going;
    }
    case execution::forward_status::client_lost:
      give_back_backend(cluster, false);
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

awaitable<client_session::next> client_session::backend_lost(int cluster, bool had_state,
                                                             const std::string& why,
                                                             bool can_report) {
  const backend::backend_connection& be = *slots_[cluster].conn;
  spdlog::warn("client {}: backend {} ({}) failed {}", id_, be.target().endpoint.to_string(),
               be.target().cluster, why);
  const mysql_error lost{er::server_lost, "08S01",
                         "Lost connection to MySQL server at '" + be.target().endpoint.to_string() +
                             "' (cluster " + be.target().cluster + ") " + why};
  give_back_backend(cluster, false);
  server_status_ = status::autocommit;
  if (!can_report) co_return next::close;
  const bool ok = co_await send_error(lost);
  // A transaction or pinned session state died with the backend connection: end the
  // client connection too, exactly as a direct connection would have ended.
  co_return ok && !had_state ? next::keep_going : next::close;
}

// A write sent to the writer came back refused as read-only (1290 / 1836): the endpoint
// is no longer the writer (failover, switchover). The health checker is told and checks
// the cluster now; a statement known not to have run - one autocommit statement, no
// transaction or pinned state - waits (up to two health intervals) for the new writer and
// reports retry: run it again. Anything else gets the server's error.
awaitable<client_session::refusal> client_session::writer_refused_retry(response_kind kind,
                                                                        int cluster, bool had_state,
                                                                        const bytes* request) {
  session::cluster_slot& slot = slots_[cluster];
  backend::backend_connection& be = *slot.conn;
  int endpoint = 0;  // of the pool the connection came from, in this generation
  const auto& endpoints = gen_->pools()[static_cast<std::size_t>(cluster)];
  for (std::size_t e = 0; e < endpoints.size(); ++e)
    if (endpoints[e].get() == slot.pool) endpoint = static_cast<int>(e);
  const auto ec = co_await net::buffer_first_frame(be.stream(), be.buffer());
  if (ec) co_return refusal::lost;  // (forward_response reports the lost connection)
  const byte_span frame = be.buffer().readable();
  const std::uint32_t length = protocol::decode_frame_header(frame.data()).length;
  if (length < 3 || frame[4] != err_header) co_return refusal::none;
  const std::uint16_t code = static_cast<std::uint16_t>(frame[5] | (frame[6] << 8));
  if (code != er::option_prevents_statement && code != er::read_only_mode) co_return refusal::none;
  if (gen_->checker()) gen_->checker()->report_read_only(cluster, endpoint);
  const bool may_retry = kind == response_kind::query && !request && !had_state &&
                         !plan_.multi_statement && !explicit_txn_ && !modes_.autocommit_off &&
                         !in_transaction() && !retried_on_new_writer_;
  if (!may_retry) co_return refusal::none;
  const auto& health = config_->clusters[static_cast<std::size_t>(cluster)].health;
  if (health.writer_check == config::writer_check_kind::none) co_return refusal::none;
  const auto deadline = std::chrono::steady_clock::now() +
                        2 * std::chrono::milliseconds(health.interval_ms + health.timeout_ms);
  asio::steady_timer pause(co_await asio::this_coro::executor);
  while (gen_->health(cluster).writer() == endpoint &&
         std::chrono::steady_clock::now() < deadline) {
    pause.expires_after(std::chrono::milliseconds(20));
    co_await pause.async_wait(nothrow_awaitable);
  }
  if (gen_->health(cluster).writer() == endpoint) co_return refusal::none;
  spdlog::info("client {}: cluster {}: a write refused by the old writer {} runs on the new one",
               id_, be.target().cluster, be.target().endpoint.to_string());
  be.buffer().consume(protocol::frame_header_size + length);  // the error is the whole reply
  co_await deadline_.disarm();  // (a KILL sent meanwhile must not reach the next borrower)
  give_back_backend(cluster, !deadline_.killed());
  retried_on_new_writer_ = true;
  ++gen_->cluster_metrics(cluster).writer_retries;
  co_return refusal::retry;
}

awaitable<client_session::next> client_session::init_db() {
  const std::string schema(as_string_view(byte_span(payload_).subspan(1)));
  if (schema.empty()) {
    const mysql_error err{er::no_db, "3D000", "No database selected"};
    const bool sent = co_await send_error(err);
    co_return proceed(sent);
  }
  const next n = co_await run_on_backend(response_kind::single_ok, home_cluster());
  if (last_error_code_ == 0) state_.set_schema(schema);
  co_return n;
}

awaitable<client_session::next> client_session::set_option() {
  byte_reader r(byte_span(payload_).subspan(1));
  const std::uint16_t option = r.u16();
  if (!r.ok() || option > option_multi_statements_off) {
    const mysql_error err{er::unknown_com, "08S01", "Unknown COM_SET_OPTION value"};
    const bool sent = co_await send_error(err);
    co_return proceed(sent);
  }
  state_.set_multi_statements(option == option_multi_statements_on);
  out_.clear();
  if (client_caps_ & cap::deprecate_eof)
    encode_ok(out_, ok_packet{0, 0, status_flags(), 0, {}, {}}, client_caps_, eof_header);
  else
    encode_eof(out_, {0, status_flags()});
  {
    const bool sent = co_await send_packet(out_);
    co_return proceed(sent);
  }
}

awaitable<void> client_session::reset_session(std::string schema) {
  co_await release_all(true);
  pinned_by_statement_ = false;
  session_max_execution_ms_ = -1;
  end_explicit_transaction();
  server_status_ = status::autocommit;
  const std::uint64_t generation = state_.generation;
  state_ = {};
  state_.generation = generation + 1;
  state_.schema = std::move(schema);
  session::apply_handshake_collation(state_, handshake_collation_);
  state_.multi_statements = (client_caps_ & cap::multi_statements) != 0;
  statements_.clear();
  sql_statements_.clear();
}

awaitable<client_session::next> client_session::reset_connection() {
  co_await reset_session(state_.schema);
  {
    const bool sent = co_await send_ok();
    co_return proceed(sent);
  }
}

// Gives back every held connection; `clean`: reset them first (they may hold a
// transaction, locks or variables of this client).
awaitable<void> client_session::release_all(bool clean) {
  if (!xa_gtrid_.empty()) {
    // Branches still open are ACTIVE (never prepared outside end_xa_transaction): the
    // reset or the closed connection rolls them back.
    worker_.shared().xa->abandoned(xa_gtrid_);
    xa_gtrid_.clear();
  }
  for (std::size_t c = 0; c < slots_.size(); ++c) {
    auto& conn = slots_[c].conn;
    if (!conn) {
      slots_[c].xa = false;
      continue;
    }
    if (clean && !conn->broken()) {
      const bool ok = co_await conn->reset();
      if (!ok) conn->mark_broken();
    }
    slots_[c].wrote = false;
    slots_[c].xa = false;   // (the reset rolled an open branch back)
    slots_[c].cursors = 0;  // (the reset closed them)
    const bool pinned = pinned_by_statement_;
    pinned_by_statement_ = false;
    give_back_backend(static_cast<int>(c), true);
    pinned_by_statement_ = pinned;
  }
}

awaitable<void> client_session::finish() {
  co_await release_all(true);
  pinned_by_statement_ = false;
  server_status_ = status::autocommit;
  if (admitted_) worker_.release_client();
  if (connection_counted_) limits::registry::release_connection(*user_limits_);
  stream_.close();
}

std::uint16_t client_session::status_flags() const {
  // Cursor flags describe one execution's result, never the session.
  std::uint16_t st =
      static_cast<std::uint16_t>(server_status_ & ~(status::session_state_changed |
                                                    status::cursor_exists | status::last_row_sent));
  if (in_transaction()) st |= status::in_trans;
  return st;
}

awaitable<bool> client_session::send_packet(byte_span payload) {
  std::uint8_t seq = static_cast<std::uint8_t>(seq_ + 1);
  net::traffic.out += payload.size() + 4;
  error_code ec = co_await net::write_packet(stream_, out_scratch_, payload, seq);
  seq_ = static_cast<std::uint8_t>(seq - 1);
  co_return !ec;
}

awaitable<bool> client_session::send_ok(std::uint16_t extra_status) {
  out_.clear();
  ok_packet ok;
  ok.status = static_cast<std::uint16_t>(status_flags() | extra_status);
  encode_ok(out_, ok, client_caps_);
  co_return co_await send_packet(out_);
}

// The one place where errors found by ShardGate become client ERR packets.
awaitable<bool> client_session::send_error(const mysql_error& err) {
  reply_error_ = err.code;
  if (worker_.shared().metrics_on.load(std::memory_order_relaxed))
    worker_.metrics().error(err.code);
  out_.clear();
  encode_error(out_, err, client_caps_ ? client_caps_ : cap::protocol_41);
  co_return co_await send_packet(out_);
}

}  // namespace shardgate::server
