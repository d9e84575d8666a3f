// Read/write split: which statements a replica (reader endpoint) may answer. Pure.
#pragma once

#include "routing/statement_parser.hpp"

namespace shardgate::routing {

// A SELECT a replica can answer as the writer would, given the session's state is replayed
// there: it takes no locks (FOR UPDATE / FOR SHARE / LOCK IN SHARE MODE, GET_LOCK()),
// writes nothing (SELECT ... INTO, NEXTVAL / NEXT VALUE FOR, SETVAL, := assignments), calls
// no function whose answer belongs to the connection that ran the previous statement
// (LAST_INSERT_ID, FOUND_ROWS, ROW_COUNT, ...) and carries no /* shardgate: writer */ hint.
// Stored functions that write cannot be seen from the text: give them the writer hint.
bool replica_may_answer(const parsed_statement& p) noexcept;

}  // namespace shardgate::routing
