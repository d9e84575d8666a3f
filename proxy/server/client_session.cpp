#include "server/client_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "backend/state_sync.hpp"
#include "execution/fan_out.hpp"
#include "execution/forward_response.hpp"
#include "execution/scatter_merge.hpp"
#include "net/drained.hpp"
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
#include "session/shardgate_settings.hpp"
#include "sql/fingerprint.hpp"
#include "transactions/cross_shard_rules.hpp"

namespace shardgate::server {

using namespace protocol;
using session::next;
using session::proceed;

client_session::client_session(worker& owner, tcp::socket socket, std::uint32_t connection_id)
    : worker_(owner),
      ch_(std::move(socket), owner.metrics(), owner.shared().metrics_on),
      ex_(s_, ch_, owner.metrics(), owner.shared().metrics_on),
      tx_(s_, ch_, ex_, owner.shared().xa, owner.shared().cross_shard_commit_failures),
      prepared_(s_, ch_, ex_, tx_, *this),
      accounting_(owner, s_, ch_) {
  s_.id = connection_id;
  s_.token = owner.next_session_token();
  s_.gen = owner.current();
  s_.config = s_.gen->config();
  ex_.set_coordinator(&tx_);
  error_code ec;
  auto ep = ch_.stream.socket().remote_endpoint(ec);
  s_.peer = ec ? "unknown" : ep.address().to_string();
  if (!ec) peer_port_ = ep.port();
}

void client_session::request_close() {
  close_requested_ = true;
  if (idle_) ch_.stream.cancel();
}

awaitable<void> client_session::run() {
  // (Also the non-blocking mode the command loop's first read relies on, see below.)
  net::tune_socket(ch_.stream.socket());
  spdlog::debug("client {} connected from {}:{}", s_.id, s_.peer, peer_port_);
  bool logged_in = false;
  {
    // A client that does not finish logging in within connect_timeout_s is dropped, as
    // MySQL does, so half-open connections cannot pile up. (A throttled login's delay,
    // listen.failed_logins.max_delay_ms, comes on top.)
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer deadline(ch_.stream.get_executor());
    deadline.expires_after(std::chrono::seconds(s_.config->listen.connect_timeout_s) +
                           std::chrono::milliseconds(s_.config->listen.failed_logins.max_delay_ms));
    auto outcome = co_await (handshake() || deadline.async_wait(asio::use_awaitable));
    logged_in = outcome.index() == 0 && std::get<0>(outcome);
    if (outcome.index() == 1) {
      spdlog::info("client {} from {}: login timed out", s_.id, s_.peer);
      if (worker_.shared().limits->connect_error(s_.peer))
        spdlog::warn(
            "client address {} is blocked for {} s after {} connection errors "
            "(listen.connect_errors)",
            s_.peer, s_.config->listen.connect_errors.block_s,
            s_.config->listen.connect_errors.max_errors);
    }
  }
  if (logged_in) {
    const std::size_t max_packet = s_.config->listen.max_packet_bytes;
    while (!close_requested_) {
      idle_ = true;
      error_code ec;
      if (ch_.in.empty() && !ch_.stream.secure()) {
        // Waits for the next command without a buffer of its own: an idle session holds
        // little more than this object (RSS per idle connection) and its small idle-read
        // area, and takes a recycled buffer when a command arrives. One asynchronous read:
        // the last read drained the socket, so it waits for the kernel's edge without a
        // recv that would fail (net/drained.hpp); a closed-loop client costs one recv per
        // command and no epoll_ctl (an async_wait would re-arm the descriptor with
        // epoll_ctl every time). Over TLS the read goes through OpenSSL: read_packet waits.
        ch_.in.release_if_empty();
        if (ch_.payload.capacity() > 1024) ch_.payload = bytes();
        // (The socket's own read, not stream::read_some: no coroutine frame of its own
        // held by every idle session.)
        auto [rec, n] = co_await ch_.stream.socket().async_read_some(asio::buffer(ch_.idle_read),
                                                                     nothrow_awaitable);
        ec = rec;
        if (!ec && n < ch_.idle_read.size()) net::mark_drained(ch_.stream.socket());
        if (!ec) {
          ch_.in.reserve_free(net::read_buffer::recycled_size);
          std::memcpy(ch_.in.write_ptr(), ch_.idle_read.data(), n);
          ch_.in.commit(n);
        }
      }
      if (!ec) ec = co_await net::read_packet(ch_.stream, ch_.in, ch_.payload, ch_.seq, max_packet);
      idle_ = false;
      if (ec) {
        if (ec == net::make_error(net::io_errc::packet_too_large)) {
          ch_.seq = 0;
          const mysql_error err{er::net_packet_too_large, "08S01",
                                "Got a packet bigger than 'max_allowed_packet' bytes (ShardGate "
                                "listen.max_packet_bytes=" +
                                    std::to_string(max_packet) + ")"};
          co_await ch_.send_error(err);
        }
        break;
      }
      net::traffic.in += ch_.payload.size() + 4;
      if (ch_.payload.empty()) {
        const mysql_error err{er::unknown_com, "08S01", "Malformed packet: empty command"};
        const bool sent = co_await ch_.send_error(err);
        if (!sent) break;
        continue;
      }
      if (s_.gen != worker_.current()) adopt_current_generation();
      const next n = co_await dispatch(ch_.payload[0]);
      if (n == next::close || s_.state_lost) break;
      // Give memory back after a large statement.
      if (ch_.in.capacity() > (1u << 20)) ch_.in.shrink(4096);
      if (ch_.payload.capacity() > (1u << 20)) ch_.payload = bytes();
    }
  }
  co_await finish();
  spdlog::debug("client {} ({}@{}) disconnected", s_.id, s_.user, s_.peer);
}

void client_session::adopt_current_generation() {
  if (s_.txn.open || s_.txn.xa || !s_.txn.xa_gtrid.empty() || s_.slots.any_held()) return;
  s_.gen = worker_.current();
  s_.config = s_.gen->config();
  s_.slots.reset(s_.config->clusters.size());
}

awaitable<bool> client_session::handshake() {
  if (!worker_.admit_client()) {
    ch_.seq = 0xff;
    const mysql_error err{er::con_count, "08004",
                          "Too many connections (ShardGate listen.max_client_connections)"};
    co_await ch_.send_error(err);
    co_return false;
  }
  admitted_ = true;
  if (worker_.shared().metrics_on.load(std::memory_order_relaxed)) ++worker_.metrics().connections;
  s_.slots.reset(s_.config->clusters.size());
  login lg(worker_, *s_.gen, {ch_.stream, ch_.in, ch_.payload, ch_.seq}, s_.id, s_.peer);
  auto who = co_await lg.run();
  if (!who) co_return false;
  scramble_ = lg.scramble();
  ch_.caps = who->client_caps;
  handshake_collation_ = who->collation;
  co_return co_await begin_as(*who);
}

awaitable<bool> client_session::begin_as(const login_identity& who) {
  s_.user = who.name;
  const config::user_config* user = who.user;
  limits::registry& limits = *worker_.shared().limits;
  user_limits_ = limits.user(s_.user);
  if (user_limits_) {
    const limits::admission a = limits::registry::admit_connection(*user_limits_);
    if (a.what == limits::admission::verdict::refuse) {
      const std::string value =
          a.limit == limits::limit_kind::connections
              ? std::to_string(user->max_connections) + " connections"
              : std::to_string(user->connection_rate_limit.per_second) + " logins/s";
      spdlog::info("client {}: login of '{}' from {} refused: users[].{} ({})", s_.id, s_.user,
                   s_.peer, limits::limit_kind_name(a.limit), value);
      const mysql_error err{
          er::user_limit_reached, "42000",
          "User '" + s_.user + "' has exceeded the '" +
              (a.limit == limits::limit_kind::connections ? std::string("max_user_connections")
                                                          : std::string("connection_rate_limit")) +
              "' resource (current value: " + value + "); ShardGate users[]." +
              limits::limit_kind_name(a.limit)};
      co_await ch_.send_error(err);
      co_return false;
    }
    connection_counted_ = true;
    ip_limits_ = limits.client_ip(*user_limits_, s_.peer);
  }

  session::apply_handshake_collation(s_.state, handshake_collation_);
  s_.state.multi_statements = (ch_.caps & cap::multi_statements) != 0;
  std::string schema = who.database;
  if (schema.empty()) schema = user->default_schema;
  if (!schema.empty()) {
    s_.state.set_schema(schema);
    // Check the schema now, as a server would: an unknown one fails the login.
    const int cluster = ex_.home_cluster();
    auto err = co_await ex_.borrow(cluster);
    if (err) {
      if (err->code != er::conn_host_error && err->code != er::con_count &&
          err->code != er::server_lost) {
        co_await ch_.send_error(*err);
        co_return false;
      }
      // The backend is unreachable: accept the login; statements will report it.
    } else {
      ex_.give_back(cluster, true);
    }
  }
  co_return co_await ch_.send_ok(s_.status_flags());
}

awaitable<next> client_session::change_user() {
  login lg(worker_, *s_.gen, {ch_.stream, ch_.in, ch_.payload, ch_.seq}, s_.id, s_.peer);
  lg.set_scramble(scramble_);
  auto who = co_await lg.change_user(ch_.caps);
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

awaitable<next> client_session::dispatch(std::uint8_t cmd) {
  switch (static_cast<command>(cmd)) {
    case command::quit:
      co_return next::close;
    case command::ping: {
      const bool sent = co_await ch_.send_ok(s_.status_flags());
      co_return proceed(sent);
    }
    case command::query:
    case command::stmt_execute:
      co_return co_await statement_command(cmd);
    case command::init_db:
      co_return co_await init_db();
    case command::field_list: {
      // The table's first shard knows its columns.
      int cluster = ex_.home_cluster();
      byte_span rest = byte_span(ch_.payload).subspan(1);
      std::string_view table = as_string_view(rest);
      table = table.substr(0, table.find('\0'));
      std::string lower(table);
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (const auto* sc = s_.config->find_schema_ci(s_.state.schema))
        if (const auto* t = sc->find_table(lower)) {
          const auto& p = s_.gen->router().topo().placement(*t);
          // A broadcast table: the home cluster's copy if it has one.
          if (!p.broadcast())
            cluster = p.clusters().front();
          else if (std::find(p.clusters().begin(), p.clusters().end(), cluster) ==
                   p.clusters().end())
            cluster = p.first_copy();
        }
      co_return co_await ex_.run_on_backend(response_kind::field_list, cluster);
    }
    case command::statistics:
      co_return co_await ex_.run_on_backend(response_kind::raw_single, ex_.home_cluster());
    case command::set_option:
      co_return co_await set_option();
    case command::reset_connection:
      co_return co_await reset_connection();
    case command::change_user:
      co_return co_await change_user();
    case command::stmt_prepare:
      co_return co_await prepared_.prepare();
    case command::stmt_send_long_data:
      co_return co_await prepared_.send_long_data();
    case command::stmt_close:
      co_return co_await prepared_.close();
    case command::stmt_reset:
      co_return co_await prepared_.reset();
    case command::stmt_fetch:
      co_return co_await prepared_.fetch();
    default: {
      const mysql_error err{er::unknown_com, "08S01",
                            std::string("ShardGate does not support ") + command_name(cmd) +
                                " (command byte " + std::to_string(cmd) + ")"};
      const bool sent = co_await ch_.send_error(err);
      co_return proceed(sent);
    }
  }
}

awaitable<next> client_session::statement_command(std::uint8_t cmd) {
  if (user_limits_) {
    const limits::admission a = limits::registry::admit_statement(*user_limits_, ip_limits_.get());
    if (a.what == limits::admission::verdict::refuse) {
      const bool ip = a.limit == limits::limit_kind::client_ip_rate;
      const config::user_config* u = s_.config->find_user(s_.user);
      const config::rate_limit_config* rule =
          u ? (ip ? &u->client_ip_rate_limit : &u->rate_limit) : nullptr;
      char rate[64] = "?";
      if (rule) std::snprintf(rate, sizeof rate, "%g/s, burst %u", rule->per_second, rule->burst);
      const mysql_error err{
          er::user_limit_reached, "42000",
          "User '" + s_.user + "' has exceeded the '" + limits::limit_kind_name(a.limit) +
              "' resource (current value: " + rate + (ip ? " from " + s_.peer : std::string()) +
              "); ShardGate users[]." + limits::limit_kind_name(a.limit)};
      if (worker_.shared().metrics_on.load(std::memory_order_relaxed))
        ++worker_.metrics().statements[static_cast<std::size_t>(sql::statement_kind::other)]
                                      [static_cast<std::size_t>(metrics::route_kind::local)];
      const bool sent = co_await ch_.send_error(err);
      co_return proceed(sent);
    }
    if (a.what == limits::admission::verdict::wait) {
      asio::steady_timer pause(ch_.stream.get_executor(), a.wait);
      co_await pause.async_wait(nothrow_awaitable);
    }
  }
  const bool metrics_on = worker_.shared().metrics_on.load(std::memory_order_relaxed);
  const std::uint32_t slow_ms = worker_.shared().slow_query_ms.load(std::memory_order_relaxed);
  if (!metrics_on && slow_ms == 0 && !worker_.query_stats()) {
    // (No co_await inside ?: - GCC 12 evaluates both.)
    if (cmd == static_cast<std::uint8_t>(command::query)) co_return co_await query();
    co_return co_await prepared_.execute();
  }
  const std::uint32_t statement_id =
      cmd == static_cast<std::uint8_t>(command::query) ? 0 : command_statement_id(ch_.payload);
  s_.routed = false;
  ch_.reply_error = 0;
  const std::uint64_t deadline_before = ex_.deadline().arm_id();
  const auto started = std::chrono::steady_clock::now();
  next n;
  if (cmd == static_cast<std::uint8_t>(command::query))
    n = co_await query();
  else
    n = co_await prepared_.execute();
  const auto micros =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - started)
                                     .count());
  // (The statistics are looked up again: a reload may have replaced them meanwhile.)
  accounting_.account(cmd, statement_id, micros, metrics_on, slow_ms, worker_.query_stats(),
                      ex_.deadline().arm_id() != deadline_before && ex_.deadline().killed());
  co_return n;
}

awaitable<next> client_session::query() {
  const std::string_view sql = as_string_view(byte_span(ch_.payload).subspan(1));
  // (With sharding configured, SQL-level PREPARE / EXECUTE run in ShardGate: no pin.)
  if (!s_.pinned_by_statement && session::statement_pins_session(sql) &&
      (s_.config->schemas.empty() || !session::starts_sql_prepared_command(sql)))
    s_.pinned_by_statement = true;
  co_return co_await run_statement(sql, nullptr);
}

awaitable<next> client_session::run_statement(std::string_view sql, prepared_run* exec) {
  ex_.begin_statement();
  if (exec && exec->fixed) {
    s_.route_view();  // (keeps the SQL modes current)
    prepared_.fixed_plan(*exec, s_.plan);
  } else if (exec) {
    // Tables of a prepared statement resolve in the database current when it was prepared.
    routing::session_view view = s_.route_view();
    view.schema = exec->statement->schema;
    s_.gen->router().route(sql, view, s_.plan);
  } else {
    s_.gen->router().route(sql, s_.route_view(), s_.plan);
    if (!s_.config->schemas.empty() &&
        prepared_handler::is_sql_prepared_command(s_.gen->router().parsed()))
      co_return co_await prepared_.sql_command();
  }
  s_.routed = true;
  if (!exec && s_.plan.kind == sql::statement_kind::set && !s_.plan.multi_statement) {
    if (auto change = session::shardgate_setting(s_.gen->router().parsed())) {
      bool sent;
      if (change->error) {
        const mysql_error err = std::move(*change->error);
        sent = co_await ch_.send_error(err);
      } else {
        s_.max_execution_ms = change->max_execution_ms;
        sent = co_await ch_.send_ok(s_.status_flags());
      }
      co_return proceed(sent);
    }
  }
  if (s_.plan.action == routing::route_action::refuse) {
    spdlog::debug("client {}: refused: {}", s_.id, s_.plan.error.message);
    const bool sent = co_await ch_.send_error(s_.plan.error);
    co_return proceed(sent);
  }
  if (auto refusal = tx_.admit(s_.plan)) {
    const mysql_error err = std::move(*refusal);
    const bool sent = co_await ch_.send_error(err);
    co_return proceed(sent);
  }
  if (s_.plan.kind == sql::statement_kind::transaction) {
    if (exec) {  // BEGIN / COMMIT / SAVEPOINT ... prepared: run as the text it is (OK / ERR)
      ch_.payload.assign(1, static_cast<std::uint8_t>(command::query));
      ch_.payload.insert(ch_.payload.end(), sql.begin(), sql.end());
      sql = as_string_view(byte_span(ch_.payload).subspan(1));
    }
    co_return co_await tx_.statement(sql);
  }
  ex_.place_on_transaction(s_.plan);
  // transactions.cross_shard: may this write run where the transaction is?
  if (s_.plan.write) {
    if (auto refusal = tx_.admit_write(s_.plan)) {
      const mysql_error err = std::move(*refusal);
      const bool sent = co_await ch_.send_error(err);
      co_return proceed(sent);
    }
  }
  if (s_.plan.action == routing::route_action::fan_out) {
    if (exec) {
      if (auto refusal = prepared_.fan_out_refusal(*exec)) {
        const mysql_error err = std::move(*refusal);
        const bool sent = co_await ch_.send_error(err);
        co_return proceed(sent);
      }
    }
    co_return co_await ex_.fan_out(sql, exec != nullptr);
  }
  const int cluster = s_.plan.clusters[0];
  if (s_.plan.write) s_.slots[cluster].wrote = true;
  backend::connection_pool* reader =
      ex_.read_pool(cluster, exec && exec->wants_cursor(),
                    exec && exec->fixed ? &exec->statement->fixed_replica_ok : nullptr);
  if (exec) co_return co_await prepared_.run_on(cluster, *exec, reader);
  co_return co_await ex_.run_on_backend(response_kind::query, cluster, reader);
}

awaitable<next> client_session::init_db() {
  const std::string schema(as_string_view(byte_span(ch_.payload).subspan(1)));
  if (schema.empty()) {
    const mysql_error err{er::no_db, "3D000", "No database selected"};
    const bool sent = co_await ch_.send_error(err);
    co_return proceed(sent);
  }
  const next n = co_await ex_.run_on_backend(response_kind::single_ok, ex_.home_cluster());
  if (s_.last_error_code == 0) s_.state.set_schema(schema);
  co_return n;
}

awaitable<next> client_session::set_option() {
  byte_reader r(byte_span(ch_.payload).subspan(1));
  const std::uint16_t option = r.u16();
  if (!r.ok() || option > option_multi_statements_off) {
    const mysql_error err{er::unknown_com, "08S01", "Unknown COM_SET_OPTION value"};
    const bool sent = co_await ch_.send_error(err);
    co_return proceed(sent);
  }
  s_.state.set_multi_statements(option == option_multi_statements_on);
  ch_.out.clear();
  if (ch_.caps & cap::deprecate_eof)
    encode_ok(ch_.out, ok_packet{0, 0, s_.status_flags(), 0, {}, {}}, ch_.caps, eof_header);
  else
    encode_eof(ch_.out, {0, s_.status_flags()});
  {
    const bool sent = co_await ch_.send_packet(ch_.out);
    co_return proceed(sent);
  }
}

awaitable<void> client_session::reset_session(std::string schema) {
  co_await release_all(true);
  s_.pinned_by_statement = false;
  s_.max_execution_ms = -1;
  tx_.ended();
  s_.server_status = status::autocommit;
  const std::uint64_t generation = s_.state.generation;
  s_.state = {};
  s_.state.generation = generation + 1;
  s_.state.schema = std::move(schema);
  session::apply_handshake_collation(s_.state, handshake_collation_);
  s_.state.multi_statements = (ch_.caps & cap::multi_statements) != 0;
  prepared_.clear();
}

awaitable<next> client_session::reset_connection() {
  co_await reset_session(s_.state.schema);
  {
    const bool sent = co_await ch_.send_ok(s_.status_flags());
    co_return proceed(sent);
  }
}

// Gives back every held connection; `clean`: reset them first (they may hold a
// transaction, locks or variables of this client).
awaitable<void> client_session::release_all(bool clean) {
  // (Branches still open are ACTIVE: the reset or the closed connection rolls them back.)
  tx_.abandon();
  for (std::size_t c = 0; c < s_.slots.size(); ++c) {
    auto& conn = s_.slots[c].conn;
    if (!conn) {
      s_.slots[c].xa = false;
      continue;
    }
    if (clean && !conn->broken()) {
      const bool ok = co_await conn->reset();
      if (!ok) conn->mark_broken();
    }
    s_.slots[c].wrote = false;
    s_.slots[c].xa = false;   // (the reset rolled an open branch back)
    s_.slots[c].cursors = 0;  // (the reset closed them)
    const bool pinned = s_.pinned_by_statement;
    s_.pinned_by_statement = false;
    ex_.give_back(static_cast<int>(c), true);
    s_.pinned_by_statement = pinned;
  }
}

awaitable<void> client_session::finish() {
  co_await release_all(true);
  s_.pinned_by_statement = false;
  s_.server_status = status::autocommit;
  if (admitted_) worker_.release_client();
  if (connection_counted_) limits::registry::release_connection(*user_limits_);
  ch_.stream.close();
}

}  // namespace shardgate::server
