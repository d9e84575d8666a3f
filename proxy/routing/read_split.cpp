#include "routing/read_split.hpp"

#include <string_view>

namespace shardgate::routing {

namespace {

// Functions a replica must not run for the writer.
constexpr std::string_view writer_functions[] = {
    "LAST_INSERT_ID",   "FOUND_ROWS",     "ROW_COUNT",         "NEXTVAL",
    "LASTVAL",          "SETVAL",         "GET_LOCK",          "RELEASE_LOCK",
    "IS_FREE_LOCK",     "IS_USED_LOCK",   "RELEASE_ALL_LOCKS", "MASTER_POS_WAIT",
    "MASTER_GTID_WAIT", "SOURCE_POS_WAIT"};

}  // namespace

bool replica_may_answer(const parsed_statement& p) noexcept {
  if (p.hint_writer || !p.readable || p.multiple) return false;
  using sql::keyword_id;
  const std::size_t n = p.tokens.size();
  for (std::size_t i = 0; i < n; ++i) {
    const sql::token& t = p.tokens[i];
    if (t.kind == sql::token_kind::op) {
      if (p.token_text(static_cast<std::uint32_t>(i)) == ":=") return false;
      continue;
    }
    if (t.kind != sql::token_kind::identifier) continue;
    if (t.code == keyword_id("INTO")) return false;
    if (t.code == keyword_id("FOR") &&
        (p.is_keyword(i + 1, keyword_id("UPDATE")) || p.is_keyword(i + 1, keyword_id("SHARE"))))
      return false;
    if (t.code == keyword_id("LOCK") && word_is(p, i + 1, "IN")) return false;
    if ((word_is(p, i, "NEXT") || word_is(p, i, "PREVIOUS")) && word_is(p, i + 1, "VALUE"))
      return false;
    if (i + 1 < n && p.tokens[i + 1].kind == sql::token_kind::lparen)
      for (const auto name : writer_functions)
        if (word_is(p, i, name)) return false;
  }
  return true;
}

}  // namespace shardgate::routing
