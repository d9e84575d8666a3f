// Which statements leave state on a backend connection that ShardGate cannot re-create
// elsewhere (user variables, SQL PREPARE, locks, temporary tables, one-shot transaction
// settings, FOUND_ROWS()/ROW_COUNT() pairs, ...). A session that runs one keeps its
// backend connection until it disconnects or sends COM_RESET_CONNECTION.
// A lexical scan: strings, quoted identifiers and comments are skipped, executable
// comments (/*! ... */) are scanned. It errs on the side of pinning.
#pragma once

#include <string_view>

namespace shardgate::session {

bool statement_pins_session(std::string_view sql) noexcept;

// PREPARE / EXECUTE / DEALLOCATE PREPARE / DROP PREPARE: with sharding configured ShardGate
// runs these itself (client_session::sql_prepared_command), so they do not pin.
bool starts_sql_prepared_command(std::string_view sql) noexcept;

}  // namespace shardgate::session
