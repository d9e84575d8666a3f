// libFuzzer target: the statement scanners (pinning, SQL-level PREPARE/EXECUTE detection)
// must accept any bytes without reading past them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "session/pinning.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view sql(reinterpret_cast<const char*>(data), size);
  const bool pins = shardgate::session::statement_pins_session(sql);
  // Deterministic.
  if (pins != shardgate::session::statement_pins_session(sql)) __builtin_trap();
  (void)shardgate::session::starts_sql_prepared_command(sql);
  return 0;
}
