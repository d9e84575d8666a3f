// One client connection: the handshake and mysql_native_password login, then the
// command loop. Statements borrow a backend connection from the worker's pool for their
// duration; a session keeps ("pins") its connection only while it must - an open
// transaction, autocommit off, or state that cannot be replayed (session/pinning.hpp).
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "backend/backend_connection.hpp"
#include "backend/connection_pool.hpp"
#include "config/config.hpp"
#include "net/asio.hpp"
#include "net/read_buffer.hpp"
#include "protocol/bytes.hpp"
#include "protocol/errors.hpp"
#include "protocol/response_translator.hpp"
#include "session/replayable_state.hpp"

namespace shardgate::server {

class worker;

class client_session {
 public:
  client_session(worker& owner, tcp::socket socket, std::uint32_t connection_id);
  client_session(const client_session&) = delete;
  client_session& operator=(const client_session&) = delete;

  awaitable<void> run();

  // Graceful shutdown: an idle session closes now, a busy one after its statement.
  void request_close();

  std::uint32_t id() const noexcept { return id_; }

 public:
  // What the command loop does after a command.
  enum class next : std::uint8_t { keep_going, close };

 private:
  awaitable<bool> handshake();
  awaitable<next> dispatch(std::uint8_t cmd);
  awaitable<next> run_on_backend(protocol::response_kind kind);
  awaitable<next> init_db();
  awaitable<next> set_option();
  awaitable<next> reset_connection();
  awaitable<std::optional<protocol::mysql_error>> borrow_backend();
  void give_back_backend(bool reusable);
  awaitable<void> finish();

  awaitable<bool> send_packet(protocol::byte_span payload);
  awaitable<bool> send_ok(std::uint16_t extra_status = 0);
  awaitable<bool> send_error(const protocol::mysql_error& err);
  std::uint16_t status_flags() const;
  bool must_keep_backend() const;

  worker& worker_;
  tcp::socket socket_;
  std::uint32_t id_;
  std::uint64_t token_;  // unique for the process lifetime; identifies this session's state
  std::string peer_;
  std::uint16_t peer_port_ = 0;
  std::string user_;
  std::shared_ptr<const config::config> config_;
  backend::connection_pool* pool_ = nullptr;

  net::read_buffer in_;
  protocol::bytes payload_;
  protocol::bytes out_;
  protocol::bytes out_scratch_;
  std::uint8_t seq_ = 0;  // sequence id of the last packet received or sent
  std::uint32_t client_caps_ = 0;
  std::uint8_t handshake_collation_ = 0;
  std::string scramble_;

  session::replayable_state state_;
  std::unique_ptr<backend::backend_connection> backend_;  // held during a statement / while pinned
  const backend::backend_connection* last_backend_ = nullptr;  // preferred next time
  std::uint16_t server_status_ = protocol::status::autocommit;
  bool pinned_by_statement_ = false;
  bool idle_ = false;
  bool close_requested_ = false;
  bool admitted_ = false;
  std::uint16_t last_error_code_ = 0;  // of the last statement's reply (0 = none)

 public:
  std::list<client_session*>::iterator registry_position;
};

}  // namespace shardgate::server
