// Running one statement on several shards at once: the text goes to every shard before
// any reply is read (the shards work in parallel), then the replies are read shard by
// shard. Resultsets are combined by execution/scatter_merge (merge_rows: concatenated or
// merged, streamed); collect_replies reads the OK/ERR of writes and DDL for the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/backend_connection.hpp"
#include "net/asio.hpp"
#include "protocol/bytes.hpp"
#include "protocol/errors.hpp"

namespace shardgate::execution {

struct fan_leg {
  backend::backend_connection* conn = nullptr;
  std::string_view sql;
  bool sent = false;
  bool lost = false;  // the connection failed; it is marked broken
};

// The largest reply packet read from a shard.
constexpr std::size_t max_reply_packet = 1u << 30;

// "Lost connection to MySQL server at ... (cluster c) <what>".
protocol::mysql_error lost_error(const backend::backend_connection& be, std::string_view what);
// A shard's ERR packet as the client's error, naming the shard.
protocol::mysql_error shard_error(const backend::backend_connection& be, const std::string& shard,
                                  protocol::byte_span payload);
// The status flags and warnings of a resultset's last packet: an EOF, or - when the
// backend connection has CLIENT_DEPRECATE_EOF - an OK with the EOF header. Also sets
// be.status (which decides whether the connection holds a transaction). False if the
// packet is malformed.
bool read_terminator(backend::backend_connection& be, protocol::byte_span payload,
                     std::uint16_t& warnings);

// Reads the rest of a resultset (after the column count) and drops it; false if the
// connection failed.
awaitable<bool> drain_resultset(backend::backend_connection& be, protocol::bytes& payload);

// Sends COM_QUERY `leg.sql` on every leg. Legs whose send fails are marked lost.
awaitable<void> send_to_all(std::vector<fan_leg>& legs);

struct leg_reply {
  bool ok = false;
  std::uint64_t affected_rows = 0;
  std::uint64_t last_insert_id = 0;
  std::uint16_t warnings = 0;
  std::uint16_t status = 0;
  std::string info;
  protocol::mysql_error error;  // when !ok
};

// What a fan-out write or DDL answers (broadcast_write.hpp, split_write.hpp): the values of
// the client's OK, or the error naming the shards where it failed and where it applied.
struct write_outcome {
  std::optional<protocol::mysql_error> error;
  std::uint64_t affected_rows = 0;
  std::uint64_t last_insert_id = 0;
  std::uint32_t warnings = 0;
  std::string info;
};
// "ShardGate: the <what> failed on shard(s) <failed>; it was applied nowhere" or "...; it
// WAS applied on shard(s) <applied> (not atomic across shards[: the copies now differ;
// repair them])", with the first failure's code and SQLSTATE.
protocol::mysql_error partial_write_error(const protocol::mysql_error& first, std::string_view what,
                                          const std::string& failed, const std::string& applied,
                                          bool copies);

// Reads each sent leg's reply to a statement that returns OK or ERR. A resultset (or a
// multi-result) is drained and reported as an error.
awaitable<void> collect_replies(std::vector<fan_leg>& legs, std::vector<leg_reply>& replies);

enum class gather_status : std::uint8_t {
  complete,     // the whole resultset (or an ERR naming the shard) reached the client
  client_lost,  // writing to the client failed
};

// Sums "Label: N" counters of OK infos that share their labels ("Records: 3  Duplicates:
// 0  Warnings: 0", "Rows matched: 2  Changed: 2  Warnings: 0"); empty if they differ.
std::string combine_info(const std::vector<leg_reply>& replies);

}  // namespace shardgate::execution
