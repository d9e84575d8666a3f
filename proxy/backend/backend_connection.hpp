// ShardGate's own MySQL client connection to one backend endpoint: connect, handshake,
// TLS (clusters.NAME.tls), login (mysql_native_password or caching_sha2_password, as the
// server asks) and capability negotiation, then commands. Owned by a
// connection_pool while idle and by one client session while in use.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.hpp"
#include "net/asio.hpp"
#include "net/read_buffer.hpp"
#include "net/stream.hpp"
#include "net/tls_context.hpp"
#include "protocol/bytes.hpp"
#include "protocol/constants.hpp"
#include "protocol/errors.hpp"
#include "protocol/response_translator.hpp"
#include "protocol/resultset.hpp"
#include "session/replayable_state.hpp"

namespace shardgate::backend {

// Where and how to log in.
struct backend_target {
  std::string cluster;
  config::endpoint endpoint;
  std::string user;
  std::string password;
  std::uint32_t connect_timeout_ms = 2000;
  int cluster_index = 0;             // in config::clusters
  int endpoint_index = 0;            // in cluster_config::endpoints() (0: the configured writer)
  config::backend_tls_config tls;    // clusters.NAME.tls (what pools compare)
  net::tls_context_ptr tls_context;  // built from `tls` at start / reload (null: disabled)
};

// Capabilities that are fixed at login and change what the server sends, so a client gets
// a backend connection that logged in with the same ones: CLIENT_FOUND_ROWS (affected-rows
// semantics) and CLIENT_DEPRECATE_EOF (exact EOF packets, status flags included, pass
// through untouched instead of being synthesized).
inline constexpr std::uint32_t login_fixed_caps =
    protocol::cap::found_rows | protocol::cap::deprecate_eof;

// Capabilities ShardGate asks every backend for (intersected with what it offers), plus
// the client's login_fixed_caps per connection.
inline constexpr std::uint32_t backend_wanted_caps =
    protocol::cap::long_password | protocol::cap::long_flag | protocol::cap::protocol_41 |
    protocol::cap::transactions | protocol::cap::secure_connection |
    protocol::cap::multi_statements | protocol::cap::multi_results |
    protocol::cap::ps_multi_results | protocol::cap::plugin_auth |
    protocol::cap::plugin_auth_lenenc_client_data | protocol::cap::session_track;

// A piece of output for the client: bytes of the read buffer or of `rewrite`.
struct output_segment {
  bool rewritten;
  std::size_t offset;
  std::size_t length;
};

// Reusable buffers for streaming a response to a client (no per-query allocations).
struct forward_buffers {
  protocol::bytes rewrite;      // re-encoded packets, framed
  protocol::bytes replacement;  // the translator's output for one packet
  protocol::bytes pending_eof;  // an EOF to send after a streamed packet
  std::vector<output_segment> segments;
  std::vector<asio::const_buffer> gather;
};

class backend_connection {
 public:
  explicit backend_connection(asio::any_io_executor ex) : stream_(std::move(ex)) {}
  backend_connection(const backend_connection&) = delete;
  backend_connection& operator=(const backend_connection&) = delete;

  // Connects and logs in asking for `flavour` (a subset of login_fixed_caps) on top of
  // backend_wanted_caps; on failure returns the error a client should see (2003).
  awaitable<std::optional<protocol::mysql_error>> connect(const backend_target& target,
                                                          std::uint32_t flavour);

  // Runs a command whose response ShardGate consumes itself (state replay, resets).
  // Returns the server's error, or a 2013 error if the connection broke (then broken()).
  awaitable<std::optional<protocol::mysql_error>> run_internal(protocol::command cmd,
                                                               std::string_view argument);

  // The same in two halves, for pipelining: send several commands, then read their replies
  // in the same order (each reply is read whole).
  awaitable<std::optional<protocol::mysql_error>> send_internal(protocol::command cmd,
                                                                std::string_view argument);
  awaitable<std::optional<protocol::mysql_error>> read_internal_reply(protocol::command cmd);
  // COM_QUERY `first` and (if not empty) `second` in one write; read both replies with
  // read_internal_reply.
  awaitable<std::optional<protocol::mysql_error>> send_queries(std::string_view first,
                                                               std::string_view second);

  // COM_RESET_CONNECTION followed by the session setup: back to a pristine state.
  awaitable<bool> reset();

  // Runs a query ShardGate reads itself and returns its first row's values and column
  // types (e.g. SELECT @a, @b for SQL-level EXECUTE ... USING).
  struct value_column {
    protocol::column_type type = protocol::column_type::var_string;
    std::uint16_t collation = 0;
    std::string name;
  };
  awaitable<std::optional<protocol::mysql_error>> query_row(
      std::string_view sql, std::vector<std::optional<std::string>>& values,
      std::vector<value_column>& columns);
  // The same for every row (up to `max_rows`; the rest are read and dropped).
  awaitable<std::optional<protocol::mysql_error>> query_rows(
      std::string_view sql, std::vector<std::vector<std::optional<std::string>>>& rows,
      std::vector<value_column>& columns, std::size_t max_rows);

  // A statement prepared on this connection (server-side), shared by every client session
  // that prepares the same text in the same schema.
  struct prepared_statement {
    std::uint32_t id = 0;  // the server's statement id
    std::uint16_t params = 0;
    std::uint64_t last_use = 0;
    // The server's reply packets (PREPARE_OK, parameter and column definitions, EOFs),
    // for client sessions that prepare the same statement.
    std::vector<protocol::bytes> reply;
  };
  struct prepare_result {
    // The cached entry (null: see error, or a private statement). Valid only while this
    // connection is held; copy what is needed before giving it back.
    const prepared_statement* statement = nullptr;
    std::uint32_t id = 0;  // the server's statement id (cached or private)
    std::uint16_t params = 0;
    std::optional<protocol::mysql_error> error;
    bool server_error = false;  // the server refused the statement (the connection is fine)
  };
  // The server statement for `sql` prepared in `schema` (the client's current database when
  // it prepared it): from the cache, or prepared now (switching the current database for
  // the prepare when it differs). At most max_prepared_per_connection stay prepared; the
  // least recently used is closed first.
  // `shared` false: a private statement, not cached and never reused or evicted (a cursor
  // runs on it; the caller closes it with COM_STMT_CLOSE). The cache key includes the
  // connection's sql_mode and character-set settings (they change how a text parses).
  awaitable<prepare_result> prepare(std::string_view schema, std::string_view sql,
                                    bool shared = true);
  // COM_STMT_CLOSE of a private statement (no reply). False: the connection broke.
  awaitable<bool> close_statement(std::uint32_t id);
  // Changes whenever a statement id cached outside may have become invalid (a statement
  // was closed, or the connection reset): sessions cache (prepared_epoch, id) pairs.
  std::uint64_t prepared_epoch() const noexcept { return prepared_epoch_; }
  static constexpr std::size_t max_prepared_per_connection = 256;

  net::stream& stream() noexcept { return stream_; }
  net::read_buffer& buffer() noexcept { return buffer_; }
  protocol::bytes& scratch() noexcept { return scratch_; }
  backend::forward_buffers& io_buffers() noexcept { return forward_buffers_; }
  protocol::response_translator& translator() noexcept { return translator_; }

  std::uint32_t capabilities() const noexcept { return capabilities_; }
  // (Set by the login from what both sides offered; unit tests set it directly.)
  void set_capabilities(std::uint32_t caps) noexcept { capabilities_ = caps; }
  // The login_fixed_caps this connection asked for (what pools match clients on).
  std::uint32_t flavour() const noexcept { return flavour_; }
  const std::string& server_version() const noexcept { return server_version_; }
  std::uint32_t server_thread_id() const noexcept { return server_thread_id_; }
  const backend_target& target() const noexcept { return *target_; }
  // (Set by connect; unit tests of what reads a connection set it directly.)
  void set_target(const backend_target& t) noexcept { target_ = &t; }

  // Last server status seen (OK/EOF), for in-transaction checks and synthesized EOFs.
  std::uint16_t status = protocol::status::autocommit;
  session::replayable_state state;
  // Which session state this connection was last brought in line with: the session's
  // token (never reused, unlike addresses) and the state's generation.
  std::uint64_t synced_owner = 0;
  std::uint64_t synced_generation = 0;
  std::chrono::steady_clock::time_point idle_since{};

  bool broken() const noexcept { return broken_; }
  // Not to be reused (ShardGate's decision, e.g. an abandoned reply).
  void mark_broken() noexcept { broken_ = true; }
  // Failed on the backend's side (I/O error, malformed reply): not reused, and a failed
  // call for the endpoint's circuit breaker.
  void mark_failed() noexcept { broken_ = failed_ = true; }
  bool failed() const noexcept { return failed_; }
  void close() noexcept;
  // Ends the session politely (COM_QUIT, unless broken) and closes.
  void quit() noexcept;

 private:
  awaitable<std::optional<protocol::mysql_error>> open_and_login(const backend_target& target,
                                                                 std::uint32_t flavour);
  awaitable<std::optional<protocol::mysql_error>> login(const backend_target& target,
                                                        std::uint32_t flavour);
  // The SSLRequest and TLS handshake when the cluster's tls.mode asks for it.
  awaitable<std::optional<protocol::mysql_error>> start_tls(const backend_target& target,
                                                            std::uint32_t offered,
                                                            std::uint8_t& seq);
  awaitable<bool> setup_session();
  protocol::mysql_error lost(std::string_view what) const;

  net::stream stream_;
  net::read_buffer buffer_{16 * 1024};
  protocol::bytes scratch_;
  protocol::bytes payload_;
  protocol::bytes request_;  // framed commands sent in one write (send_queries)
  backend::forward_buffers forward_buffers_;
  protocol::response_translator translator_;
  const backend_target* target_ = nullptr;
  std::uint32_t capabilities_ = 0;
  std::uint32_t flavour_ = 0;
  std::string server_version_;
  std::uint32_t server_thread_id_ = 0;
  bool broken_ = false;
  bool failed_ = false;
  std::unordered_map<std::string, prepared_statement> prepared_;  // key: schema NUL sql
  std::uint64_t prepared_epoch_ = 0;
  std::uint64_t prepared_clock_ = 0;
  std::string prepared_key_;
  void forget_prepared();
  awaitable<bool> evict_least_recent();
  bool retrying_ = false;
};

}  // namespace shardgate::backend
