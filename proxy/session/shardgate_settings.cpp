#include "session/shardgate_settings.hpp"

#include <charconv>
#include <string_view>

#include "sql/lexer.hpp"

namespace shardgate::session {

std::optional<setting_change> shardgate_setting(const routing::parsed_statement& p) {
  const auto text = [&](std::size_t k) { return p.token_text(static_cast<std::uint32_t>(k)); };
  const auto is = [&](std::size_t k, sql::token_kind kind) {
    return k < p.tokens.size() && p.tokens[k].kind == kind;
  };
  std::size_t i = 1;
  if (routing::word_is(p, i, "SESSION") || routing::word_is(p, i, "LOCAL")) ++i;
  std::string_view name;
  if (is(i, sql::token_kind::system_variable)) {
    name = text(i).substr(2);
    for (std::string_view scope : {"SESSION.", "LOCAL."})
      if (name.size() > scope.size() && sql::is_keyword(name.substr(0, scope.size()), scope))
        name.remove_prefix(scope.size());
  } else if (is(i, sql::token_kind::identifier)) {
    name = text(i);
  }
  if (!sql::is_keyword(name, "SHARDGATE_MAX_EXECUTION_MS")) return std::nullopt;
  ++i;
  if (is(i, sql::token_kind::op) && (text(i) == "=" || text(i) == ":=")) ++i;
  std::int64_t value = -2;  // (not valid)
  if (routing::word_is(p, i, "DEFAULT")) {
    value = -1;
  } else if (is(i, sql::token_kind::number)) {
    const std::string_view v = text(i);
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec == std::errc() && end == v.data() + v.size() && n >= 0 && n <= 86'400'000) value = n;
  }
  ++i;
  while (is(i, sql::token_kind::semicolon)) ++i;  // (a trailing ';' is fine)
  setting_change change;
  if (value == -2 || !is(i, sql::token_kind::end))
    change.error = protocol::mysql_error{
        protocol::er::wrong_value, "HY000",
        "ShardGate: SET shardgate_max_execution_ms takes a number of milliseconds from 0 (no "
        "deadline) to 86400000, or DEFAULT (routing.max_execution_ms), and nothing else"};
  else
    change.max_execution_ms = value;
  return change;
}

}  // namespace shardgate::session
