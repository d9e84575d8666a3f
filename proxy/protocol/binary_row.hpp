// Binary-protocol resultset rows (what COM_STMT_EXECUTE returns), made from text-protocol
// rows: a prepared statement whose rows ShardGate merges from several shards runs there as
// text, and its client gets the rows in the binary encoding of the column types. Pure.
#pragma once

#include <span>

#include "protocol/bytes.hpp"
#include "protocol/resultset.hpp"

namespace shardgate::protocol {

inline constexpr std::uint16_t column_unsigned_flag = 0x0020;

// Appends the binary row (header 0x00, NULL bitmap, values) for the first `columns.size()`
// values of `row`. False when a value does not read as its column's type (the row is then
// incomplete in `out`).
[[nodiscard]] bool encode_binary_row(bytes& out, const text_row& row,
                                     std::span<const column_definition> columns);

}  // namespace shardgate::protocol
