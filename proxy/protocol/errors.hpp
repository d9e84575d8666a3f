// MySQL errors ShardGate itself sends to clients: codes, SQLSTATEs and the error value
// that travels from the place a problem is found to the one place that writes the ERR.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/bytes.hpp"

namespace shardgate::protocol {

struct mysql_error {
  std::uint16_t code = 0;
  std::string sql_state = "HY000";
  std::string message;
};

namespace er {
inline constexpr std::uint16_t con_count = 1040;             // 08004 too many connections
inline constexpr std::uint16_t host_is_blocked = 1129;       // HY000 many connection errors
inline constexpr std::uint16_t user_limit_reached = 1226;    // 42000 user exceeded a resource
inline constexpr std::uint16_t handshake = 1043;             // 08S01 bad handshake
inline constexpr std::uint16_t access_denied = 1045;         // 28000
inline constexpr std::uint16_t no_db = 1046;                 // 3D000
inline constexpr std::uint16_t unknown_com = 1047;           // 08S01
inline constexpr std::uint16_t bad_db = 1049;                // 42000
inline constexpr std::uint16_t net_packet_too_large = 1153;  // 08S01
inline constexpr std::uint16_t net_read_error = 1158;        // 08S01
inline constexpr std::uint16_t unknown_stmt_handler = 1243;  // HY000
inline constexpr std::uint16_t wrong_arguments = 1210;       // HY000 incorrect arguments to %s
inline constexpr std::uint16_t no_open_cursor = 1421;        // HY000
inline constexpr std::uint16_t too_many_statements = 1461;   // 42000 max_prepared_stmt_count
inline constexpr std::uint16_t unsupported_ps = 1295;        // HY000
inline constexpr std::uint16_t server_shutdown = 1053;       // 08S01
inline constexpr std::uint16_t not_supported_yet = 1235;     // 42000
inline constexpr std::uint16_t bad_null = 1048;              // 23000 column cannot be null
inline constexpr std::uint16_t unknown_error = 1105;         // HY000
inline constexpr std::uint16_t out_of_sort_memory = 1038;    // HY001
inline constexpr std::uint16_t data_out_of_range = 1690;     // 22003
inline constexpr std::uint16_t statement_timeout = 1969;     // 70100 (MariaDB max_statement_time)
inline constexpr std::uint16_t no_default_for_field = 1364;  // HY000
inline constexpr std::uint16_t wrong_value = 1525;           // HY000 incorrect %s value
inline constexpr std::uint16_t option_prevents_statement = 1290;  // HY000 e.g. --read-only
inline constexpr std::uint16_t read_only_mode = 1836;             // HY000 running in read-only mode
inline constexpr std::uint16_t secure_transport_required = 3159;  // HY000 plain TCP refused
inline constexpr std::uint16_t conn_host_error = 2003;  // HY000 (client error: can't connect)
inline constexpr std::uint16_t server_lost = 2013;      // HY000 (client error: lost connection)
}  // namespace er

void encode_error(bytes& out, const mysql_error& e, std::uint32_t capabilities);

}  // namespace shardgate::protocol
