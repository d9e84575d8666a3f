// A cache of routing parses by statement shape: a statement that differs from one parsed
// before only in its literal values (numbers, the contents of strings, hex and bit strings)
// parses the same way, since the routing parser reads literals by token position and never
// by value. Applications send few shapes many times (ORMs, prepared statements, sysbench):
// a hit costs the lexing, one pass over the tokens and a copy of the remembered parse,
// instead of the parse. This is what Vitess's plan cache and ProxySQL's digest cache do
// with a normalised query text; here the key is built from the tokens the router lexes
// anyway, so no second pass over the text is needed.
//
// The shape is exact (no hash-only match): each token's kind and keyword / operator id,
// the full text of names and variables, a string's introducer and quote character, plus the
// parse options and the session schema's configuration. Statements whose parse could
// depend on more than that are never cached: ones with a routing hint or an executable
// comment, unreadable or multi-statement texts, DDL and SHOW (their results point into the
// text), INSERT ... SET and writes that assign a shard-key column, and any parse that read
// a literal's value (parsed_statement::literal_value_read: the parser says so where it
// does, e.g. a string alias `AS 'o'`). Direct-mapped and bounded (slots x max_tokens); one per
// router, so per worker and configuration generation: a reload starts empty, no locks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "routing/statement_parser.hpp"

namespace shardgate::routing {

class parse_cache {
 public:
  static constexpr std::size_t slots = 256;        // a power of two
  static constexpr std::size_t max_tokens = 1024;  // longer statements are parsed each time
  static constexpr std::size_t max_key_bytes = 8192;

  // parse_statement(sql, cfg, options, out), answered from the cache when it can be.
  void parse(std::string_view sql, const config::config& cfg, const parse_options& options,
             parsed_statement& out);

  std::uint64_t hits() const noexcept { return hits_; }
  std::uint64_t misses() const noexcept { return misses_; }

 private:
  struct entry {
    std::uint64_t hash = 0;
    std::string key;          // empty: unused (a key is never empty)
    parsed_statement parsed;  // text and tokens unused
  };
  // The shape of out.tokens (and the options) into key_buf_; false: not cacheable.
  bool build_key(const parsed_statement& out, const parse_options& options);

  std::vector<entry> entries_;       // allocated on first use
  std::unique_ptr<char[]> key_buf_;  // max_key_bytes, allocated on first use
  std::size_t key_size_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

// Whether a parse may be reused for every statement of the same shape (see above).
bool reusable_parse(const parsed_statement& p) noexcept;

// Copies parse `from` into `to` (everything but the text and the tokens) and the partners of
// the first `token_count` tokens' parentheses. When `to` holds a statement of the same shape
// (its text and tokens), byte offsets into the text are taken from its tokens.
void copy_parse(const parsed_statement& from, std::size_t token_count, parsed_statement& to);

}  // namespace shardgate::routing
