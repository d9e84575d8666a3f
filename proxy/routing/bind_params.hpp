// Prepared statements are routed by their parameter values: the statement text with each
// `?` replaced by its bound value as a literal is what the router reads (and what runs on
// several shards when a statement spans them). Pure: no I/O.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/prepared_statement.hpp"

namespace shardgate::routing {

struct placeholder {
  std::uint32_t offset = 0;  // of the `?` in the statement
  // LIMIT / OFFSET take integers only: an integral DOUBLE parameter (JavaScript drivers
  // send every number as one) is written as an integer there.
  bool integer_only = false;
};

// The `?` placeholders in `sql`, as the lexer reads the statement (not in strings,
// identifiers or comments; in executable comments, as the server runs them). False when
// the lexer cannot read the statement to its end.
bool find_placeholders(std::string_view sql, bool no_backslash_escapes,
                       std::vector<placeholder>& out);

// `sql` with placeholders[i] replaced by literals[i] (already SQL literals), each with a
// space on either side. False when the counts differ or an offset is out of order.
bool splice_literals(std::string_view sql, std::span<const placeholder> placeholders,
                     std::span<const std::string> literals, std::string& out);

// `sql` with placeholders[i] replaced by the literal of params[i] (a space on each side
// keeps tokens apart: `a-?` must not become `a--1`, a comment). False when the counts
// differ or a value has no literal form (NaN, infinity).
bool bind_text(std::string_view sql, std::span<const placeholder> placeholders,
               std::span<const protocol::bound_param> params, bool no_backslash_escapes,
               std::string& out);

}  // namespace shardgate::routing
