#include "backend/backend_connection.hpp"

#include <atomic>

#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "backend/auth_exchange.hpp"
#include "net/packet_io.hpp"
#include "protocol/framing.hpp"
#include "protocol/generic_response.hpp"
#include "protocol/handshake.hpp"
#include "protocol/native_password.hpp"
#include "protocol/prepared_statement.hpp"

namespace shardgate::backend {

using namespace protocol;

namespace {
// Every backend connection reports changes of any session variable and of the schema,
// which is how ShardGate learns what a client's statements did to its session.
constexpr std::string_view session_setup_sql =
    "SET NAMES utf8mb4 COLLATE utf8mb4_general_ci, "
    "SESSION session_track_system_variables='*', SESSION session_track_schema=ON";

mysql_error cannot_connect(const backend_target& t, std::string_view why) {
  return {er::conn_host_error, "HY000",
          "Can't connect to MySQL server on '" + t.endpoint.to_string() + "' (cluster " +
              t.cluster + "): " + std::string(why)};
}
}  // namespace

void backend_connection::quit() noexcept {
  if (!broken_ && stream_.is_open()) {
    // COM_QUIT, best effort (the socket is non-blocking): the server ends the session
    // quietly instead of logging an aborted connection. (Plain TCP only: over TLS the
    // connection just closes.)
    static constexpr std::uint8_t com_quit[] = {1, 0, 0, 0, 1};
    stream_.send_now(byte_span(com_quit, sizeof com_quit));
  }
  close();
}

void backend_connection::close() noexcept {
  stream_.close();
  mark_failed();
}

mysql_error backend_connection::lost(std::string_view what) const {
  return {er::server_lost, "08S01",
          "Lost connection to MySQL server at '" + target_->endpoint.to_string() + "' (cluster " +
              target_->cluster + ") " + std::string(what)};
}

awaitable<std::optional<mysql_error>> backend_connection::connect(const backend_target& target,
                                                                  std::uint32_t flavour) {
  using namespace asio::experimental::awaitable_operators;
  target_ = &target;
  asio::steady_timer deadline(co_await asio::this_coro::executor);
  deadline.expires_after(std::chrono::milliseconds(target.connect_timeout_ms));
  auto outcome =
      co_await (open_and_login(target, flavour) || deadline.async_wait(asio::use_awaitable));
  std::optional<mysql_error> result;
  if (outcome.index() == 1) {
    result = cannot_connect(
        target, "no answer within connect_timeout_ms=" + std::to_string(target.connect_timeout_ms));
  } else {
    result = std::get<0>(std::move(outcome));
  }
  if (result) close();
  co_return result;
}

awaitable<std::optional<mysql_error>> backend_connection::open_and_login(
    const backend_target& target, std::uint32_t flavour) {
  tcp::resolver resolver(co_await asio::this_coro::executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(
      target.endpoint.host, std::to_string(target.endpoint.port), nothrow_awaitable);
  if (rec) co_return cannot_connect(target, "cannot resolve host: " + rec.message());
  tcp::socket& socket = stream_.socket();
  auto [cec, ep] = co_await asio::async_connect(socket, endpoints, nothrow_awaitable);
  (void)ep;
  if (cec) co_return cannot_connect(target, cec.message());
  // asio keeps a socket registered for EPOLLOUT (edge-triggered) once it has waited for
  // writability, as async_connect does; then every ACK that frees send space wakes the
  // worker. Registering the descriptor again leaves only the read interest.
  error_code reg_ec;
  const auto protocol = socket.local_endpoint(reg_ec).protocol();
  if (!reg_ec) {
    const auto fd = socket.release(reg_ec);
    if (!reg_ec) socket.assign(protocol, fd, reg_ec);
  }
  if (reg_ec) co_return cannot_connect(target, "socket setup failed: " + reg_ec.message());
  net::tune_socket(socket);
  auto err = co_await login(target, flavour);
  if (err) co_return err;
  const bool ready = co_await setup_session();
  if (!ready) co_return cannot_connect(target, "session setup failed");
  co_return std::nullopt;
}

awaitable<std::optional<mysql_error>> backend_connection::login(const backend_target& target,
                                                                std::uint32_t flavour) {
  std::uint8_t seq = 0;
  auto ec = co_await net::read_packet(stream_, buffer_, payload_, seq, 1 << 16);
  if (ec) co_return cannot_connect(target, "no greeting: " + ec.message());
  if (!payload_.empty() && payload_[0] == err_header) {
    err_packet err;
    if (decode_err(payload_, cap::protocol_41, err))
      co_return cannot_connect(target, "server refused: " + std::string(err.message));
  }
  handshake_v10 hs;
  if (!decode_handshake_v10(payload_, hs)) co_return cannot_connect(target, "malformed greeting");
  if (!(hs.capabilities & cap::protocol_41))
    co_return cannot_connect(target, "server does not speak protocol 4.1");
  server_version_ = hs.server_version;
  server_thread_id_ = hs.connection_id;

  flavour_ = flavour & login_fixed_caps;
  std::uint32_t wanted = backend_wanted_caps | flavour_;
  capabilities_ = wanted & hs.capabilities;
  if (auto err = co_await start_tls(target, hs.capabilities, seq)) co_return err;

  handshake_response resp;
  resp.capabilities = capabilities_;
  resp.max_packet_size = 1u << 30;
  resp.collation = default_collation_id;
  resp.username = target.user;
  auth_exchange auth(target.password, hs.auth_plugin_data.substr(0, scramble_size),
                     hs.auth_plugin_name);
  resp.auth_plugin_name = auth.plugin();
  resp.auth_response = auth.first_response();
  payload_.clear();
  encode_handshake_response(payload_, resp);
  ++seq;
  ec = co_await net::write_packet(stream_, scratch_, payload_, seq);
  if (ec) co_return cannot_connect(target, ec.message());

  for (int round = 0; round < 5; ++round) {
    auto ec = co_await net::read_packet(stream_, buffer_, payload_, seq, 1 << 16);
    if (ec) co_return cannot_connect(target, "login interrupted: " + ec.message());
    if (payload_.empty()) co_return cannot_connect(target, "empty login reply");
    if (payload_[0] == ok_header) co_return std::nullopt;
    if (payload_[0] == err_header) {
      err_packet err;
      (void)decode_err(payload_, capabilities_, err);
      co_return cannot_connect(target, "login as '" + target.user +
                                           "' failed: " + std::to_string(err.code) + " " +
                                           std::string(err.message));
    }
    std::string answer;
    const auto step = auth.next(payload_, stream_.secure(), answer);
    if (step == auth_exchange::outcome::failed) co_return cannot_connect(target, auth.problem());
    if (step == auth_exchange::outcome::wait) continue;
    ++seq;
    auto wec = co_await net::write_packet(stream_, scratch_, as_bytes(answer), seq);
    if (wec) co_return cannot_connect(target, wec.message());
  }
  co_return cannot_connect(target, "too many authentication rounds");
}

awaitable<std::optional<mysql_error>> backend_connection::start_tls(const backend_target& target,
                                                                    std::uint32_t offered,
                                                                    std::uint8_t& seq) {
  using config::backend_tls_mode;
  const backend_tls_mode mode = target.tls.mode;
  if (mode == backend_tls_mode::disabled || !target.tls_context) co_return std::nullopt;
  if (!(offered & cap::ssl)) {
    if (mode == backend_tls_mode::preferred) co_return std::nullopt;
    co_return cannot_connect(target, std::string("the server does not offer TLS (clusters.") +
                                         target.cluster + ".tls.mode is " +
                                         config::backend_tls_mode_name(mode) + ")");
  }
  capabilities_ |= cap::ssl;
  payload_.clear();
  encode_ssl_request(payload_, capabilities_, 1u << 30, default_collation_id);
  const std::uint8_t sent = ++seq;
  auto ec = co_await net::write_packet(stream_, scratch_, payload_, seq);
  if (ec) co_return cannot_connect(target, ec.message());
  seq = sent;  // (the handshake response follows it)
  ec = co_await stream_.connect_tls(*target.tls_context, target.endpoint.host,
                                    mode == backend_tls_mode::verify_identity);
  if (ec) co_return cannot_connect(target, "TLS handshake failed: " + ec.message());
  co_return std::nullopt;
}

awaitable<bool> backend_connection::setup_session() {
  auto err = co_await run_internal(command::query, session_setup_sql);
  if (err) co_return false;
  state = {};
  session::apply_handshake_collation(state, default_collation_id);
  state.multi_statements = (capabilities_ & cap::multi_statements) != 0;
  synced_owner = 0;
  co_return true;
}

awaitable<std::optional<mysql_error>> backend_connection::run_internal(command cmd,
                                                                       std::string_view argument) {
  auto err = co_await send_internal(cmd, argument);
  if (err) co_return err;
  err = co_await read_internal_reply(cmd);
  co_return err;
}

awaitable<std::optional<mysql_error>> backend_connection::send_internal(command cmd,
                                                                        std::string_view argument) {
  if (broken_) co_return lost("(the connection failed earlier)");
  payload_.clear();
  payload_.push_back(static_cast<std::uint8_t>(cmd));
  payload_.insert(payload_.end(), argument.begin(), argument.end());
  std::uint8_t seq = 0;
  auto ec = co_await net::write_packet(stream_, scratch_, payload_, seq);
  if (ec) {
    mark_failed();
    co_return lost("while sending a command: " + ec.message());
  }
  co_return std::nullopt;
}

awaitable<std::optional<mysql_error>> backend_connection::send_queries(std::string_view first,
                                                                       std::string_view second) {
  if (broken_) co_return lost("(the connection failed earlier)");
  request_.clear();
  for (std::string_view sql : {first, second}) {
    if (sql.empty()) continue;
    payload_.clear();
    payload_.push_back(static_cast<std::uint8_t>(command::query));
    payload_.insert(payload_.end(), sql.begin(), sql.end());
    std::uint8_t seq = 0;
    append_packet(request_, payload_, seq);
  }
  auto ec = co_await net::write_all(stream_, byte_span(request_));
  if (ec) {
    mark_failed();
    co_return lost("while sending a command: " + ec.message());
  }
  co_return std::nullopt;
}

awaitable<std::optional<mysql_error>> backend_connection::read_internal_reply(command cmd) {
  if (broken_) co_return lost("(the connection failed earlier)");
  std::uint8_t seq = 1;  // (the reply to a one-packet command)
  const auto kind = cmd == command::query ? response_kind::query : response_kind::single_ok;
  session::state_tracker tracker(&state, nullptr);
  translator_.start(kind, capabilities_, capabilities_, status, &tracker);
  std::optional<mysql_error> result;
  while (!translator_.done()) {
    auto ec = co_await net::read_packet(stream_, buffer_, payload_, seq, 1u << 30);
    if (ec) {
      mark_failed();
      co_return lost("while reading a reply: " + ec.message());
    }
    const std::uint8_t first = payload_.empty() ? 0 : payload_[0];
    if (first == err_header) {
      err_packet err;
      if (decode_err(payload_, capabilities_, err))
        result = mysql_error{err.code, std::string(err.sql_state), std::string(err.message)};
    }
    auto v = translator_.on_packet(first, payload_.size(), payload_, scratch_);
    if (v.protocol_error) {
      mark_failed();
      co_return lost("(protocol error in reply)");
    }
  }
  status = translator_.status();
  if (translator_.last_insert_id()) state.last_insert_id = translator_.last_insert_id();
  co_return result;
}

awaitable<bool> backend_connection::reset() {
  if (broken_) co_return false;
  forget_prepared();  // COM_RESET_CONNECTION closes the server's prepared statements
  auto err = co_await run_internal(command::reset_connection, {});
  if (err) co_return false;
  status = status::autocommit;
  const bool ready = co_await setup_session();
  co_return ready;
}

namespace {
// Connection-independent epochs: a session's cached (epoch, id) never matches another
// connection, nor this one after a reset or an eviction.
std::atomic<std::uint64_t> next_prepared_epoch{1};
}  // namespace

awaitable<bool> backend_connection::evict_least_recent() {
  if (prepared_.empty()) co_return true;
  // Close the least recently used (COM_STMT_CLOSE has no reply).
  auto victim = prepared_.begin();
  for (auto it = prepared_.begin(); it != prepared_.end(); ++it)
    if (it->second.last_use < victim->second.last_use) victim = it;
  payload_.clear();
  encode_statement_command(payload_, static_cast<std::uint8_t>(command::stmt_close),
                           victim->second.id);
  prepared_.erase(victim);
  prepared_epoch_ = next_prepared_epoch.fetch_add(1, std::memory_order_relaxed);
  std::uint8_t seq = 0;
  auto ec = co_await net::write_packet(stream_, scratch_, payload_, seq);
  if (ec) mark_failed();
  co_return !ec;
}

void backend_connection::forget_prepared() {
  prepared_.clear();
  prepared_epoch_ = next_prepared_epoch.fetch_add(1, std::memory_order_relaxed);
}

awaitable<backend_connection::prepare_result> backend_connection::prepare(std::string_view schema,
                                                                          std::string_view sql,
                                                                          bool shared) {
  if (prepared_epoch_ == 0)
    prepared_epoch_ = next_prepared_epoch.fetch_add(1, std::memory_order_relaxed);
  prepared_key_.assign(schema);
  prepared_key_ += '\0';
  // What changes how the text parses and what its metadata says.
  for (const char* var : {"sql_mode", "character_set_client", "character_set_connection",
                          "collation_connection", "character_set_results"}) {
    if (const std::string* v = state.find_var(var)) prepared_key_ += *v;
    prepared_key_ += '\0';
  }
  prepared_key_ += sql;
  if (shared) {
    if (auto it = prepared_.find(prepared_key_); it != prepared_.end()) {
      it->second.last_use = ++prepared_clock_;
      co_return prepare_result{&it->second, it->second.id, it->second.params, std::nullopt, false};
    }
  }
  std::uint8_t seq = 0;
  if (shared && prepared_.size() >= max_prepared_per_connection) {
    const bool ok = co_await evict_least_recent();
    if (!ok)
      co_return prepare_result{nullptr, 0, 0, lost("while closing a prepared statement"), false};
  }
  // A statement's tables are resolved in the database current when it is prepared.
  const bool switch_schema = !schema.empty() && schema != state.schema;
  const std::string session_schema = switch_schema ? state.schema : std::string();
  if (switch_schema) {
    auto err = co_await run_internal(command::init_db, schema);
    if (err) co_return prepare_result{nullptr, 0, 0, err, !broken_};
  }
  payload_.clear();
  payload_.push_back(static_cast<std::uint8_t>(command::stmt_prepare));
  payload_.insert(payload_.end(), sql.begin(), sql.end());
  seq = 0;
  auto ec = co_await net::write_packet(stream_, scratch_, payload_, seq);
  if (ec) {
    mark_failed();
    co_return prepare_result{nullptr, 0, 0, lost("while preparing a statement: " + ec.message()),
                             false};
  }
  ec = co_await net::read_packet(stream_, buffer_, payload_, seq, 1u << 24);
  prepare_result result;
  prepare_ok ok;
  bool retry_after_eviction = false;
  if (ec) {
    mark_failed();
    result.error = lost("while reading a prepare reply: " + ec.message());
  } else if (!payload_.empty() && payload_[0] == err_header) {
    err_packet err;
    if (decode_err(payload_, capabilities_, err))
      result.error = mysql_error{err.code, std::string(err.sql_state), std::string(err.message)};
    else
      result.error = mysql_error{er::unknown_error, "HY000", "malformed error reply"};
    result.server_error = true;
    // The server's max_prepared_stmt_count is reached: give back one of ours, retry once
    // (below, after the current database is restored).
    retry_after_eviction = result.error->code == 1461 && !prepared_.empty() && !retrying_;
  } else if (!decode_prepare_ok(payload_, ok)) {
    mark_failed();
    result.error = lost("(malformed prepare reply)");
  } else {
    // Parameter and column definitions, each list ended by an EOF unless DEPRECATE_EOF.
    const bool eofs = !(capabilities_ & cap::deprecate_eof);
    const std::size_t packets =
        ok.params + ok.columns + (eofs && ok.params ? 1 : 0) + (eofs && ok.columns ? 1 : 0);
    std::vector<bytes> reply;
    reply.reserve(packets + 1);
    reply.push_back(payload_);
    for (std::size_t i = 0; i < packets && !ec; ++i) {
      ec = co_await net::read_packet(stream_, buffer_, payload_, seq, 1u << 24);
      reply.push_back(payload_);
    }
    if (ec) {
      mark_failed();
      result.error = lost("while reading a prepare reply: " + ec.message());
    } else {
      result.id = ok.statement_id;
      result.params = ok.params;
      if (shared) {
        auto [it, inserted] = prepared_.try_emplace(prepared_key_);
        it->second =
            prepared_statement{ok.statement_id, ok.params, ++prepared_clock_, std::move(reply)};
        result.statement = &it->second;
      }
    }
  }
  if (switch_schema && !broken_ && !session_schema.empty()) {
    auto err = co_await run_internal(command::init_db, session_schema);
    if (err) {
      mark_failed();  // cannot go back to the session's database: do not reuse
      result.statement = nullptr;
      result.id = 0;
      result.error = err;
      result.server_error = false;
    }
  }
  if (retry_after_eviction && !broken_) {
    retrying_ = true;
    const bool evicted = co_await evict_least_recent();
    if (evicted) result = co_await prepare(schema, sql, shared);
    retrying_ = false;
  }
  co_return result;
}

awaitable<std::optional<mysql_error>> backend_connection::query_row(
    std::string_view sql, std::vector<std::optional<std::string>>& values,
    std::vector<value_column>& columns) {
  values.clear();
  std::vector<std::vector<std::optional<std::string>>> rows;
  auto err = co_await query_rows(sql, rows, columns, 1);
  if (!err && !rows.empty()) values = std::move(rows.front());
  co_return err;
}

awaitable<std::optional<mysql_error>> backend_connection::query_rows(
    std::string_view sql, std::vector<std::vector<std::optional<std::string>>>& rows,
    std::vector<value_column>& columns, std::size_t max_rows) {
  rows.clear();
  columns.clear();
  auto sent = co_await send_internal(command::query, sql);
  if (sent) co_return sent;
  std::uint8_t seq = 0;
  auto ec = co_await net::read_packet(stream_, buffer_, payload_, seq, 1u << 26);
  if (ec) {
    mark_failed();
    co_return lost("while reading a reply");
  }
  if (!payload_.empty() && payload_[0] == err_header) {
    err_packet err;
    if (decode_err(payload_, capabilities_, err))
      co_return mysql_error{err.code, std::string(err.sql_state), std::string(err.message)};
    co_return mysql_error{er::unknown_error, "HY000", "malformed error reply"};
  }
  std::uint64_t n = 0;
  if (!decode_column_count(payload_, n) || n == 0 || n > 4096) {
    mark_failed();  // an OK or garbage where a resultset was expected: do not reuse
    co_return lost("(unexpected reply to an internal query)");
  }
  for (std::uint64_t i = 0; i < n; ++i) {
    ec = co_await net::read_packet(stream_, buffer_, payload_, seq, 1u << 26);
    if (ec) {
      mark_failed();
      co_return lost("while reading a reply");
    }
    column_definition col;
    if (!decode_column_definition(payload_, col)) {
      mark_failed();
      co_return lost("(malformed column definition)");
    }
    columns.push_back({col.type, col.collation, std::string(col.name)});
  }
  if (!(capabilities_ & cap::deprecate_eof)) {
    ec = co_await net::read_packet(stream_, buffer_, payload_, seq, 1u << 26);
    if (ec) {
      mark_failed();
      co_return lost("while reading a reply");
    }
  }
  for (;;) {
    ec = co_await net::read_packet(stream_, buffer_, payload_, seq, 1u << 26);
    if (ec) {
      mark_failed();
      co_return lost("while reading a reply");
    }
    const std::uint8_t head = payload_.empty() ? 0 : payload_[0];
    if (head == err_header) {
      err_packet err;
      (void)decode_err(payload_, capabilities_, err);
      co_return mysql_error{err.code, std::string(err.sql_state), std::string(err.message)};
    }
    if (is_terminator(head, payload_.size())) {
      if (capabilities_ & cap::deprecate_eof) {
        ok_packet ok;
        if (decode_ok(payload_, capabilities_, ok)) status = ok.status;
      } else {
        eof_packet eof;
        if (decode_eof(payload_, eof)) status = eof.status;
      }
      break;
    }
    if (rows.size() < max_rows) {  // (later rows are read and dropped)
      text_row row;
      if (!decode_text_row(payload_, columns.size(), row)) {
        mark_failed();
        co_return lost("(malformed row)");
      }
      auto& values = rows.emplace_back();
      for (const auto& v : row) {
        if (v) {
          values.emplace_back(std::string(*v));
        } else {
          values.emplace_back(std::nullopt);
        }
      }
    }
  }
  co_return std::nullopt;
}

awaitable<bool> backend_connection::close_statement(std::uint32_t id) {
  if (broken_) co_return false;
  payload_.clear();
  encode_statement_command(payload_, static_cast<std::uint8_t>(command::stmt_close), id);
  std::uint8_t seq = 0;
  auto ec = co_await net::write_packet(stream_, scratch_, payload_, seq);
  if (ec) mark_failed();
  co_return !ec;
}

}  // namespace shardgate::backend
