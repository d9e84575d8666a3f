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

// The statement with each placeholder replaced by what write(i, out) appends (a space on
// either side keeps tokens apart: `a-?` must not become `a--1`, a comment).
template <typename Write>
bool splice(std::string_view sql, std::span<const placeholder> placeholders, std::size_t count,
            std::string& out, Write write) {
  out.clear();
  if (placeholders.size() != count) return false;
  std::size_t at = 0;
  for (std::size_t i = 0; i < placeholders.size(); ++i) {
    const std::size_t offset = placeholders[i].offset;
    if (offset < at || offset >= sql.size()) return false;
    out.append(sql.substr(at, offset - at));
    out += ' ';
    if (!write(i, out)) return false;
    out += ' ';
    at = offset + 1;
  }
  out.append(sql.substr(at));
  return true;
}

}  // namespace

bool splice_literals(std::string_view sql, std::span<const placeholder> placeholders,
                     std::span<const std::string> literals, std::string& out) {
  return splice(sql, placeholders, literals.size(), out, [&](std::size_t i, std::string& o) {
    o += literals[i];
    return true;
  });
}

bool bind_text(std::string_view sql, std::span<const placeholder> placeholders,
               std::span<const protocol::bound_param> params, bool no_backslash_escapes,
               std::string& out) {
  // Literals are written straight into `out` (no string per parameter).
  return splice(sql, placeholders, params.size(), out, [&](std::size_t i, std::string& o) {
    const protocol::bound_param& p = params[i];
    if (placeholders[i].integer_only && !p.is_null && integral_number(p, o)) return true;
    return protocol::append_literal(o, p, no_backslash_escapes);
  });
}

}  // namespace shardgate::routing
