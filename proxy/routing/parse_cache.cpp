#include "routing/parse_cache.hpp"

#include <algorithm>
#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace shardgate::routing {

using sql::statement_kind;
using sql::token_kind;

// copy_parse copies parsed_statement field by field: a new field must be added there (and
// to reusable_parse if it can depend on more than the shape). Checked on this ABI only.
static_assert(sizeof(void*) != 8 || sizeof(parsed_statement) == 392,
              "parsed_statement changed: update copy_parse and reusable_parse");

bool reusable_parse(const parsed_statement& p) noexcept {
  // INSERT ... SET: the key's value is read from its assignments, which compares the values
  // of a key assigned twice; UPDATE / ON DUPLICATE KEY UPDATE that assign the key likewise.
  if (!p.readable || p.multiple || p.executable_comments || !p.hint_shard.empty() ||
      p.hint_writer || p.assigns_key || p.insert_set || p.literal_value_read)
    return false;
  switch (p.kind) {
    case statement_kind::select:
    case statement_kind::insert:
    case statement_kind::replace:
    case statement_kind::update:
    case statement_kind::delete_:
      return true;
    default:
      return false;
  }
}

void copy_parse(const parsed_statement& from, std::size_t token_count, parsed_statement& to) {
  to.kind = from.kind;
  to.multiple = from.multiple;
  to.readable = from.readable;
  to.executable_comments = from.executable_comments;
  to.no_backslash_escapes = from.no_backslash_escapes;
  to.unreadable = from.unreadable;
  to.tables = from.tables;
  to.key_joins = from.key_joins;
  to.hint_shard = {};
  to.hint_writer = from.hint_writer;
  to.scatter_blocker = from.scatter_blocker;
  to.merge_needed = from.merge_needed;
  to.select = from.select;
  to.assigns_key = from.assigns_key;
  to.assigned_key_literal = from.assigned_key_literal;
  to.assigned_key = from.assigned_key;
  to.order_or_limit = from.order_or_limit;
  to.literal_value_read = from.literal_value_read;
  to.insert_values = from.insert_values;
  to.insert_set = from.insert_set;
  to.insert_select = from.insert_select;
  to.insert_has_columns = from.insert_has_columns;
  to.key_column = from.key_column;
  to.rows = from.rows;
  // Byte offsets: where the rows are in this text (the same tokens, other literal lengths).
  if (!to.rows.empty() && from.insert_values && to.rows.back().close < to.tokens.size()) {
    to.rows_start = to.tokens[to.rows.front().open].offset;
    to.rows_end = to.tokens[to.rows.back().close].offset + 1;
  } else {
    to.rows_start = from.rows_start;
    to.rows_end = from.rows_end;
  }
  to.ddl_object = {};
  to.ddl_database.clear();
  to.explained = from.explained;
  to.key_terms = from.key_terms;
  // Partners of parentheses by token index.
  const std::size_t n = std::min(from.paren_partner.size(), token_count);
  if (to.paren_partner.size() < n) to.paren_partner.resize(n);
  std::copy_n(from.paren_partner.begin(), n, to.paren_partner.begin());
}

bool parse_cache::build_key(const parsed_statement& out, const parse_options& options) {
  const std::size_t n = out.tokens.size();
  if (n > max_tokens) return false;
  if (!key_buf_) key_buf_ = std::make_unique<char[]>(max_key_bytes);
  char* p = key_buf_.get();
  char* const limit = p + max_key_bytes;
  auto put = [&p](const void* bytes, std::size_t size) {
    std::memcpy(p, bytes, size);
    p += size;
  };
  auto put_len = [&p](std::size_t len) {  // names and prefixes are < 64 KiB here
    const auto l = static_cast<std::uint16_t>(len);
    std::memcpy(p, &l, 2);
    p += 2;
  };
  // The session schema's name as written (unresolved options look it up by name, and a
  // table named without a schema belongs to it) and its configuration.
  if (options.current_schema.size() > 256) return false;
  const auto schema = reinterpret_cast<std::uintptr_t>(options.current_schema_config);
  const char head[3] = {static_cast<char>(options.ansi_quotes),
                        static_cast<char>(options.no_backslash_escapes),
                        static_cast<char>(options.current_schema_resolved)};
  put(head, sizeof head);
  put(&schema, sizeof schema);
  put_len(options.current_schema.size());
  put(options.current_schema.data(), options.current_schema.size());
  const char* const text = out.text.data();
  for (const sql::token& t : out.tokens) {
    // Room for this token's tag, length and text (checked before writing).
    if (static_cast<std::size_t>(limit - p) < std::size_t{t.length} + 8) return false;
    *p++ = static_cast<char>(t.kind);
    put(&t.code, 2);
    switch (t.kind) {
      case token_kind::identifier:
      case token_kind::quoted_identifier:
      case token_kind::user_variable:
      case token_kind::system_variable:
        // Names decide tables, columns, aliases and clauses: all of their text.
        put_len(t.length);
        put(text + t.offset, t.length);
        break;
      case token_kind::string: {
        // Its introducer (N, _utf8mb4) and quote character: a "..." string is a name under
        // ANSI_QUOTES, and the key reader rejects some introducers.
        const char* s = text + t.offset;
        std::size_t prefix = 1;  // usually the string starts with its quote
        if (*s != '\'' && *s != '"') {
          const std::string_view v(s, t.length);
          const std::size_t q = v.find_first_of("'\"");
          prefix = q == std::string_view::npos ? v.size() : q + 1;
        }
        put_len(prefix);
        put(s, prefix);
        break;
      }
      default:
        break;  // literal values and punctuation: the kind and id say it all
    }
  }
  key_size_ = static_cast<std::size_t>(p - key_buf_.get());
  return true;
}

void parse_cache::parse(std::string_view sql, const config::config& cfg,
                        const parse_options& options, parsed_statement& out) {
  const sql::tokenize_result lexed = lex_statement(sql, options, out);
  const bool lexed_plainly =
      !lexed.error && lexed.last_hint.kind != token_kind::hint && !lexed.executable_comments;
  if (!lexed_plainly || !build_key(out, options)) {
    parse_lexed(lexed, cfg, options, out);
    return;
  }
  if (entries_.empty()) entries_.resize(slots);
  const std::string_view key(key_buf_.get(), key_size_);
  const std::uint64_t hash = XXH3_64bits(key.data(), key.size());
  entry& e = entries_[hash & (slots - 1)];
  if (e.hash == hash && e.key == key) {
    ++hits_;
    copy_parse(e.parsed, out.tokens.size(), out);
    return;
  }
  ++misses_;
  parse_lexed(lexed, cfg, options, out);
  if (!reusable_parse(out)) return;
  e.hash = hash;
  e.key.assign(key);
  e.parsed.text = {};
  copy_parse(out, out.tokens.size(), e.parsed);
}

}  // namespace shardgate::routing
