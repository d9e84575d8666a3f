#include "protocol/constants.hpp"

namespace shardgate::protocol {

const char* command_name(std::uint8_t cmd) noexcept {
  static constexpr const char* names[] = {
      "COM_SLEEP",
      "COM_QUIT",
      "COM_INIT_DB",
      "COM_QUERY",
      "COM_FIELD_LIST",
      "COM_CREATE_DB",
      "COM_DROP_DB",
      "COM_REFRESH",
      "COM_SHUTDOWN",
      "COM_STATISTICS",
      "COM_PROCESS_INFO",
      "COM_CONNECT",
      "COM_PROCESS_KILL",
      "COM_DEBUG",
      "COM_PING",
      "COM_TIME",
      "COM_DELAYED_INSERT",
      "COM_CHANGE_USER",
      "COM_BINLOG_DUMP",
      "COM_TABLE_DUMP",
      "COM_CONNECT_OUT",
      "COM_REGISTER_SLAVE",
      "COM_STMT_PREPARE",
      "COM_STMT_EXECUTE",
      "COM_STMT_SEND_LONG_DATA",
      "COM_STMT_CLOSE",
      "COM_STMT_RESET",
      "COM_SET_OPTION",
      "COM_STMT_FETCH",
      "COM_DAEMON",
      "COM_BINLOG_DUMP_GTID",
      "COM_RESET_CONNECTION",
  };
  if (cmd < sizeof(names) / sizeof(names[0])) return names[cmd];
  return "COM_UNKNOWN";
}

}  // namespace shardgate::protocol
