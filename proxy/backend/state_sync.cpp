#include "backend/state_sync.hpp"

#include <algorithm>

namespace shardgate::backend {

namespace {

bool plain_identifier(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool numeric(std::string_view s) {
  if (s.empty()) return false;
  std::size_t i = s[0] == '-' ? 1 : 0;
  bool digits = false, dot = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      digits = true;
    } else if (s[i] == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digits;
}

// Quotes are doubled (valid in every sql_mode); a backslash is doubled unless the
// connection runs with NO_BACKSLASH_ESCAPES, where it is an ordinary character.
void append_value(std::string& sql, std::string_view name, std::string_view value,
                  bool no_backslash_escapes) {
  if (value.empty() && name == "character_set_results") {
    sql += "NULL";
  } else if (numeric(value)) {
    sql += value;
  } else {
    sql += '\'';
    for (char c : value) {
      if (c == '\'' || (c == '\\' && !no_backslash_escapes)) sql += c;
      sql += c;
    }
    sql += '\'';
  }
}

// Collations depend on the character set set before them.
bool emit_late(std::string_view name) {
  return name.starts_with("collation_");
}

}  // namespace

std::string build_set_statement(const session::replayable_state& have,
                                const session::replayable_state& want, bool no_backslash_escapes) {
  std::string sql;
  auto add = [&](std::string_view name, const std::string* value) {
    if (!plain_identifier(name)) return;
    sql += sql.empty() ? "SET " : ", ";
    sql += "@@SESSION.";
    sql += name;
    sql += '=';
    if (value)
      append_value(sql, name, *value, no_backslash_escapes);
    else
      sql += "DEFAULT";
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& [name, value] : want.vars) {
      if (emit_late(name) != (pass == 1)) continue;
      const std::string* current = have.find_var(name);
      if (!current || *current != value) add(name, &value);
    }
    for (const auto& [name, value] : have.vars) {
      if (emit_late(name) != (pass == 1)) continue;
      if (!want.find_var(name)) add(name, nullptr);
    }
  }
  return sql;
}

awaitable<std::optional<protocol::mysql_error>> sync_state(backend_connection& conn,
                                                           const session::replayable_state& want,
                                                           std::uint64_t owner) {
  if (in_sync(conn, want, owner)) co_return std::nullopt;
  session::replayable_state& have = conn.state;
  if (!want.schema.empty() && have.schema != want.schema) {
    auto err = co_await conn.run_internal(protocol::command::init_db, want.schema);
    if (err) co_return err;
    have.set_schema(want.schema);
  }
  std::string set =
      build_set_statement(have, want, (conn.status & protocol::status::no_backslash_escapes) != 0);
  if (!set.empty()) {
    auto err = co_await conn.run_internal(protocol::command::query, set);
    if (err) co_return err;
    have.vars = want.vars;
  }
  if (have.multi_statements != want.multi_statements) {
    const std::uint16_t option = want.multi_statements ? protocol::option_multi_statements_on
                                                       : protocol::option_multi_statements_off;
    const char arg[2] = {static_cast<char>(option & 0xff), static_cast<char>(option >> 8)};
    auto err = co_await conn.run_internal(protocol::command::set_option, {arg, 2});
    if (err) co_return err;
    have.multi_statements = want.multi_statements;
  }
  if (have.last_insert_id != want.last_insert_id) {
    std::string sql = "DO LAST_INSERT_ID(" + std::to_string(want.last_insert_id) + ")";
    auto err = co_await conn.run_internal(protocol::command::query, sql);
    if (err) co_return err;
    have.last_insert_id = want.last_insert_id;
  }
  conn.synced_owner = owner;
  conn.synced_generation = want.generation;
  co_return std::nullopt;
}

}  // namespace shardgate::backend
