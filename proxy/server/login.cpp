#include "server/login.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/read.hpp>
#include <random>

#include "net/packet_io.hpp"
#include "protocol/caching_sha2.hpp"
#include "protocol/change_user.hpp"
#include "protocol/constants.hpp"
#include "protocol/framing.hpp"
#include "protocol/generic_response.hpp"
#include "protocol/handshake.hpp"
#include "protocol/native_password.hpp"
#include "server/worker.hpp"

namespace shardgate::server {

using namespace protocol;

namespace {

// What ShardGate offers clients (CLIENT_SSL too when listen.tls is set). Not offered:
// compression, LOCAL INFILE.
constexpr std::uint32_t server_capabilities =
    cap::long_password | cap::found_rows | cap::long_flag | cap::connect_with_db |
    cap::protocol_41 | cap::interactive | cap::transactions | cap::secure_connection |
    cap::multi_statements | cap::multi_results | cap::ps_multi_results | cap::plugin_auth |
    cap::connect_attrs | cap::plugin_auth_lenenc_client_data | cap::session_track |
    cap::deprecate_eof;

// Login packets are small (user, scramble, schema, connection attributes).
constexpr std::size_t max_login_packet = 64 * 1024;

std::string make_scramble() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string s(scramble_size, '\0');
  // Printable, no NUL and no '$' (as MySQL's own salts).
  for (auto& c : s) {
    do {
      c = static_cast<char>(0x21 + rng() % 0x5e);
    } while (c == '$');
  }
  return s;
}

mysql_error access_denied(const std::string& user, const std::string& host, bool with_password) {
  return {er::access_denied, "28000",
          "Access denied for user '" + user + "'@'" + host +
              "' (using password: " + (with_password ? "YES" : "NO") + ")"};
}

// What the cache entry of a user is valid for: the stored secret.
std::string secret_id(const config::user_config& u) {
  if (u.password_stage2) return format_native_password_hash(*u.password_stage2);
  return u.password_sha256;
}

bool has_password(const config::user_config& u) {
  return u.password_stage2.has_value() || !u.password_sha256.empty();
}

}  // namespace

login::login(worker& owner, const generation& gen, login_channel channel,
             std::uint32_t connection_id, const std::string& peer)
    : worker_(owner),
      gen_(gen),
      config_(*gen.config()),
      io_(channel),
      id_(connection_id),
      peer_(peer) {}

awaitable<bool> login::send(byte_span payload) {
  std::uint8_t seq = static_cast<std::uint8_t>(io_.seq + 1);
  net::traffic.out += payload.size() + 4;
  const error_code ec = co_await net::write_packet(io_.stream, scratch_, payload, seq);
  io_.seq = static_cast<std::uint8_t>(seq - 1);
  co_return !ec;
}

// Callers pass a named error, never a temporary: GCC 12 destroys temporaries inside
// co_await expressions twice.
awaitable<bool> login::refuse(const mysql_error& err) {
  if (worker_.shared().metrics_on.load(std::memory_order_relaxed))
    worker_.metrics().error(err.code);
  out_.clear();
  encode_error(out_, err, client_caps_ ? client_caps_ : cap::protocol_41);
  (void)co_await send(out_);
  co_return false;
}

awaitable<error_code> login::receive_exact(std::size_t max) {
  std::uint8_t header[4];
  tcp::socket& socket = io_.stream.socket();
  auto [ec, n] = co_await asio::async_read(socket, asio::buffer(header), nothrow_awaitable);
  if (ec) co_return ec;
  const std::size_t length = header[0] | (header[1] << 8) | (header[2] << 16);
  // (A login packet is one frame: 16 MiB frames are far beyond max.)
  if (length > max) co_return net::make_error(net::io_errc::packet_too_large);
  io_.payload.resize(length);
  if (length) {
    auto [pec, pn] =
        co_await asio::async_read(socket, asio::buffer(io_.payload), nothrow_awaitable);
    (void)pn;
    if (pec) co_return pec;
  }
  (void)n;
  io_.seq = header[3];
  net::traffic.in += length + 4;
  co_return error_code{};
}

awaitable<error_code> login::receive(std::size_t max) {
  error_code ec = co_await net::read_packet(io_.stream, io_.in, io_.payload, io_.seq, max);
  if (!ec) net::traffic.in += io_.payload.size() + 4;
  co_return ec;
}

void login::connect_error(const char* what) {
  spdlog::info("client {} from {}: {}", id_, peer_, what);
  if (worker_.shared().limits->connect_error(peer_))
    spdlog::warn(
        "client address {} is blocked for {} s after {} connection errors (listen.connect_errors)",
        peer_, config_.listen.connect_errors.block_s, config_.listen.connect_errors.max_errors);
}

awaitable<bool> login::upgrade_to_tls() {
  if (!io_.in.empty()) {
    // Bytes after the SSLRequest, before the TLS handshake: not a client speaking MySQL.
    connect_error("sent data after its SSLRequest");
    co_return false;
  }
  const error_code ec = co_await io_.stream.accept_tls(*gen_.listener_tls());
  if (ec) {
    spdlog::info("client {} from {}: TLS handshake failed: {}", id_, peer_, ec.message());
    connect_error("failed its TLS handshake");
    co_return false;
  }
  co_return true;
}

awaitable<std::optional<login_identity>> login::run() {
  limits::registry& limits = *worker_.shared().limits;
  if (const auto blocked = limits.blocked_for(peer_); blocked.count() > 0) {
    io_.seq = 0xff;
    const mysql_error err{
        er::host_is_blocked, "HY000",
        "Host '" + peer_ + "' is blocked for " + std::to_string(blocked.count()) +
            " s because of many connection errors (ShardGate listen.connect_errors)"};
    co_await refuse(err);
    co_return std::nullopt;
  }
  const bool tls_offered = gen_.listener_tls() != nullptr;
  scramble_ = make_scramble();
  handshake_v10 hs;
  hs.server_version = worker_.server_version();
  hs.connection_id = id_;
  hs.auth_plugin_data = scramble_;
  hs.capabilities = server_capabilities | (tls_offered ? cap::ssl : 0);
  hs.collation = default_collation_id;
  hs.status = status::autocommit;
  hs.auth_plugin_name = std::string(native_password_plugin);
  out_.clear();
  encode_handshake_v10(out_, hs);
  io_.seq = 0xff;
  if (!co_await send(out_)) co_return std::nullopt;

  // Exactly the first packet: after an SSLRequest the client's TLS ClientHello follows
  // at once, and those bytes belong to OpenSSL, not to the read buffer.
  error_code ec = co_await receive_exact(max_login_packet);
  if (ec == net::make_error(net::io_errc::packet_too_large)) {
    connect_error("sent an oversized login packet");
    const mysql_error err{
        er::net_packet_too_large, "08S01",
        "Got a packet bigger than 'max_allowed_packet' bytes (login packet over " +
            std::to_string(max_login_packet) + " bytes)"};
    co_await refuse(err);
    co_return std::nullopt;
  }
  if (ec) {
    connect_error("closed the connection before logging in");
    co_return std::nullopt;
  }
  if (is_ssl_request(io_.payload)) {
    if (!tls_offered) {
      connect_error("asked for TLS, which this listener does not offer");
      const mysql_error err{er::handshake, "08S01",
                            "ShardGate: this listener does not offer TLS (listen.tls is not set); "
                            "connect without SSL"};
      co_await refuse(err);
      co_return std::nullopt;
    }
    if (!co_await upgrade_to_tls()) co_return std::nullopt;
    ec = co_await receive(max_login_packet);
    if (ec) {
      connect_error("closed the connection after its TLS handshake");
      co_return std::nullopt;
    }
  }
  handshake_response resp;
  if (!decode_handshake_response(io_.payload, resp)) {
    connect_error("sent a malformed handshake response");
    const mysql_error err{er::handshake, "08S01", "Bad handshake"};
    co_await refuse(err);
    co_return std::nullopt;
  }
  client_caps_ = resp.capabilities & (server_capabilities | cap::ssl);
  if (config_.listen.require_secure_transport && !io_.stream.secure()) {
    const mysql_error err{er::secure_transport_required, "HY000",
                          "Connections using insecure transport are prohibited while "
                          "--require_secure_transport=ON. (ShardGate "
                          "listen.require_secure_transport)"};
    co_await refuse(err);
    co_return std::nullopt;
  }
  const config::user_config* user = config_.find_user(resp.username);
  std::string plugin = resp.auth_plugin_name;
  if (plugin.empty()) plugin = std::string(native_password_plugin);
  if (!co_await authenticate(user, resp.username, plugin, std::move(resp.auth_response)))
    co_return std::nullopt;
  login_identity who;
  who.user = user;
  who.name = resp.username;
  who.client_caps = client_caps_;
  who.collation = resp.collation;
  if (client_caps_ & cap::connect_with_db) who.database = resp.database;
  co_return who;
}

awaitable<std::optional<login_identity>> login::change_user(std::uint32_t client_caps) {
  client_caps_ = client_caps;
  change_user_request req;
  if (!decode_change_user(io_.payload, client_caps, req)) {
    const mysql_error err{er::handshake, "08S01", "Malformed COM_CHANGE_USER packet"};
    co_await refuse(err);
    co_return std::nullopt;
  }
  const config::user_config* user = config_.find_user(req.username);
  std::string plugin = req.auth_plugin_name;
  if (plugin.empty()) plugin = std::string(native_password_plugin);
  if (!co_await authenticate(user, req.username, plugin, std::move(req.auth_response)))
    co_return std::nullopt;
  login_identity who;
  who.user = user;
  who.name = req.username;
  who.client_caps = client_caps;
  who.collation = static_cast<std::uint8_t>(req.collation);
  who.database = req.database;
  co_return who;
}

awaitable<bool> login::authenticate(const config::user_config* user, const std::string& name,
                                    const std::string& client_plugin, std::string response) {
  // The plugin the user logs in with (an unknown user goes through the client's choice,
  // or mysql_native_password, and fails at the end as a wrong password would).
  const std::string_view wanted =
      user ? std::string_view(config::auth_plugin_name(user->auth))
           : (client_plugin == caching_sha2_plugin ? caching_sha2_plugin : native_password_plugin);
  // The greeting carries mysql_native_password's data. A client that starts with another
  // plugin may not have used it: libmariadb (mariadb --default-auth=caching_sha2_password)
  // answers with an empty response and expects an AuthSwitch to bring its plugin's data.
  const bool needs_data = wanted != native_password_plugin && response.empty() && !switched_;
  if (client_plugin != wanted || needs_data) {
    if (!(client_caps_ & cap::plugin_auth)) {
      const mysql_error err = access_denied(name, peer_, !response.empty());
      co_return co_await refuse(err);
    }
    out_.clear();
    encode_auth_switch_request(out_, {std::string(wanted), scramble_});
    switched_ = true;
    if (!co_await send(out_)) co_return false;
    if (co_await receive(max_login_packet)) {
      connect_error("closed the connection during authentication");
      co_return false;
    }
    response.assign(io_.payload.begin(), io_.payload.end());
  }
  limits::registry& limits = *worker_.shared().limits;
  // connection_control-style throttling: this (user, address) pair failed repeatedly.
  if (const auto delay = limits.login_delay(name, peer_); delay.count() > 0) {
    asio::steady_timer pause(io_.stream.get_executor(), delay);
    co_await pause.async_wait(asio::use_awaitable);
  }
  bool ok = false;
  if (user && wanted == caching_sha2_plugin) {
    ok = co_await caching_sha2(*user, response);
  } else if (user) {
    ok = verify_native_password(response, scramble_, user->password_stage2);
  }
  if (!ok) {
    limits.login_failed(name, peer_);
    spdlog::warn("client {}: login failed for user '{}' from {}", id_, name, peer_);
    const mysql_error err = access_denied(name, peer_, !response.empty());
    co_return co_await refuse(err);
  }
  if (user->require_tls && !io_.stream.secure()) {
    const mysql_error err{er::secure_transport_required, "HY000",
                          "Connections using insecure transport are prohibited for user '" + name +
                              "' (ShardGate users[].require_tls)"};
    co_return co_await refuse(err);
  }
  limits.login_succeeded(name, peer_);
  co_return true;
}

awaitable<bool> login::caching_sha2(const config::user_config& user, const std::string& response) {
  if (response.empty()) co_return !has_password(user);
  // The client's scramble may be followed by a NUL (some send 33 bytes).
  const std::string_view scrambled = std::string_view(response).substr(0, 32);
  const std::string secret = secret_id(user);
  auth_cache& cache = worker_.shared().sha2_cache;
  if (auto stage2 = cache.find(user.name, secret)) {
    bool fast = verify_caching_sha2(scrambled, scramble_, *stage2);
    if (!fast && switched_) {
      // PyMySQL (1.0, Debian 12) hashes all of an AuthSwitch's plugin data, the scramble's
      // NUL terminator included, where MySQL's clients use the 20 bytes before it.
      std::string with_nul = scramble_;
      with_nul.push_back('\0');
      fast = verify_caching_sha2(scrambled, with_nul, *stage2);
    }
    if (fast) {
      const std::uint8_t fast[] = {auth_more_data_header, caching_sha2_fast_auth_success};
      spdlog::debug("client {}: caching_sha2_password fast authentication of '{}'", id_, user.name);
      co_return co_await send(byte_span(fast, sizeof fast));
    }
  }
  auto clear = co_await full_authentication();
  if (!clear) co_return false;
  if (!verify_clear_password(*clear, user.password_stage2, user.password_sha256)) co_return false;
  cache.store(user.name, secret, caching_sha2_stage2(*clear));
  spdlog::debug("client {}: caching_sha2_password full authentication of '{}' ({})", id_, user.name,
                io_.stream.secure() ? "over TLS" : "RSA");
  co_return true;
}

awaitable<std::optional<std::string>> login::full_authentication() {
  const std::uint8_t full[] = {auth_more_data_header, caching_sha2_perform_full_authentication};
  if (!co_await send(byte_span(full, sizeof full))) co_return std::nullopt;
  if (co_await receive(max_login_packet)) co_return std::nullopt;
  auto text = [&] {
    return std::string(reinterpret_cast<const char*>(io_.payload.data()), io_.payload.size());
  };
  if (io_.stream.secure()) {
    // Over TLS: the clear password, NUL-terminated.
    std::string clear = text();
    if (!clear.empty() && clear.back() == '\0') clear.pop_back();
    co_return clear;
  }
  const auto& key = gen_.rsa_key();
  if (io_.payload.size() == 1 && io_.payload[0] == caching_sha2_request_public_key) {
    out_.clear();
    out_.push_back(auth_more_data_header);
    out_.insert(out_.end(), key->public_pem().begin(), key->public_pem().end());
    if (!co_await send(out_)) co_return std::nullopt;
    if (co_await receive(max_login_packet)) co_return std::nullopt;
  }
  // RSA-encrypted (a client that has the public key already sends it at once). A clear
  // password over plain TCP does not decrypt and fails as a wrong one.
  co_return caching_sha2_decrypt_password(text(), scramble_, *key);
}

}  // namespace shardgate::server
