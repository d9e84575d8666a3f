#include "routing/bind_params.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "protocol/resultset.hpp"
#include "sql/lexer.hpp"

namespace shardgate::routing {

bool find_placeholders(std::string_view sql, bool no_backslash_escapes,
                       std::vector<placeholder>& out) {
  out.clear();
  sql::lexer lex(sql, no_backslash_escapes);
  // Inside LIMIT n [, m] / LIMIT n OFFSET m: only numbers, placeholders, ',' and OFFSET.
  bool in_limit = false;
  for (;;) {
    const sql::token t = lex.next();
    if (t.kind == sql::token_kind::end) return true;
    if (t.kind == sql::token_kind::error) return false;
    if (t.kind == sql::token_kind::hint) continue;
    if (t.kind == sql::token_kind::placeholder) {
      out.push_back({t.offset, in_limit});
      continue;
    }
    if (t.kind == sql::token_kind::identifier) {
      const std::string_view w = t.text(sql);
      in_limit = sql::is_keyword(w, "LIMIT") || (in_limit && sql::is_keyword(w, "OFFSET"));
      continue;
    }
    in_limit = in_limit && (t.kind == sql::token_kind::number || t.kind == sql::token_kind::comma);
  }
}

namespace {

// An integral DOUBLE / FLOAT below 2^53 as an integer; false otherwise.
bool integral_number(const protocol::bound_param& p, std::string& out) {
  double d = 0;
  if (static_cast<protocol::column_type>(p.type) == protocol::column_type::double_ &&
      p.value.size() == 8) {
    std::memcpy(&d, p.value.data(), 8);
  } else if (static_cast<protocol::column_type>(p.type) == protocol::column_type::float_ &&
             p.value.size() == 4) {
    float f;
    std::memcpy(&f, p.value.data(), 4);
    d = f;
  } else {
    return false;
  }
  if (!std::isfinite(d) || std::fabs(d) >= 9007199254740992.0 || d != std::trunc(d)) return false;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", d);
  out += buf;
  return true;
}

}  // namespace

bool bind_text(std::string_view sql, std::span<const placeholder> placeholders,
               std::span<const protocol::bound_param> params, bool no_backslash_escapes,
               std::string& out) {
  out.clear();
  if (placeholders.size() != params.size()) return false;
  std::size_t at = 0;
  for (std::size_t i = 0; i < placeholders.size(); ++i) {
    const std::size_t offset = placeholders[i].offset;
    if (offset < at || offset >= sql.size()) return false;
    out.append(sql.substr(at, offset - at));
    out += ' ';
    const bool is_null = params[i].is_null;
    if (placeholders[i].integer_only && !is_null && integral_number(params[i], out)) {
      // written
    } else if (!protocol::append_literal(out, params[i], no_backslash_escapes)) {
      return false;
    }
    out += ' ';
    at = offset + 1;
  }
  out.append(sql.substr(at));
  return true;
}

}  // namespace shardgate::routing
