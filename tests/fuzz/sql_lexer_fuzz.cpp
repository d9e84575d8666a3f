// libFuzzer target: the SQL lexer must accept any bytes, stay within them, move forward and
// always reach `end` or `error`; the value helpers must accept any token it produces;
// tokenize() (the fast path the routing parser uses) must return exactly next()'s tokens;
// keyword ids must agree with a plain case-insensitive search of the keyword list; the
// statement fingerprint must stay within its size bound and be a function of the text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sql/fingerprint.hpp"
#include "sql/lexer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using shardgate::sql::token;
  using shardgate::sql::token_kind;
  const std::string_view sql(reinterpret_cast<const char*>(data), size);
  shardgate::sql::lexer lx(sql);
  std::vector<token> from_next;
  token last_hint;
  token stop;
  std::size_t last_offset = 0;
  bool done = false;
  for (std::size_t i = 0; i < size + 2 && !done; ++i) {
    const token t = lx.next();
    if (static_cast<std::size_t>(t.offset) + t.length > size) __builtin_trap();
    if (t.offset < last_offset) __builtin_trap();
    last_offset = t.offset;
    if (shardgate::sql::token_kind_name(t.kind) == nullptr) __builtin_trap();
    if (t.kind == token_kind::hint)
      last_hint = t;
    else if (t.kind == token_kind::end || t.kind == token_kind::error)
      stop = t;
    else
      from_next.push_back(t);
    switch (t.kind) {
      case token_kind::end:
      case token_kind::error:
        done = true;
        break;
      case token_kind::string: {
        std::string value;
        if (!shardgate::sql::string_value(t.text(sql), value)) __builtin_trap();
        std::string raw;
        if (!shardgate::sql::string_value(t.text(sql), raw, true)) __builtin_trap();
        // Unescaping never lengthens the text (quotes and introducers are removed).
        if (value.size() > t.length || raw.size() > t.length) __builtin_trap();
        break;
      }
      case token_kind::identifier:
      case token_kind::quoted_identifier: {
        const std::string name = shardgate::sql::identifier_value(t.text(sql));
        if (name.size() > t.length) __builtin_trap();
        (void)shardgate::sql::is_keyword(t.text(sql), "SELECT");
        if (t.kind == token_kind::identifier) {
          shardgate::sql::keyword want = 0;
          for (std::size_t k = 1; k < shardgate::sql::keyword_count; ++k)
            if (shardgate::sql::is_keyword(t.text(sql), shardgate::sql::keyword_words[k]))
              want = static_cast<shardgate::sql::keyword>(k);
          if (t.code != want) __builtin_trap();
        }
        break;
      }
      default:
        if (t.length == 0) __builtin_trap();  // only `end` may be empty
        break;
    }
  }
  if (!done) __builtin_trap();  // no end/error within size + 2 tokens
  // tokenize() agrees with next(), in both backslash modes.
  for (const bool nbe : {false, true}) {
    std::vector<token> reference;
    token ref_stop, ref_hint;
    if (!nbe) {
      reference = from_next;
      ref_stop = stop;
      ref_hint = last_hint;
    } else {
      shardgate::sql::lexer one(sql, true);
      for (std::size_t i = 0; i < size + 2; ++i) {
        const token t = one.next();
        if (t.kind == token_kind::hint) {
          ref_hint = t;
        } else if (t.kind == token_kind::end || t.kind == token_kind::error) {
          ref_stop = t;
          break;
        } else {
          reference.push_back(t);
        }
      }
    }
    std::vector<token> batch;
    shardgate::sql::lexer all(sql, nbe);
    const auto r = all.tokenize(batch);
    if (batch.size() != reference.size()) __builtin_trap();
    for (std::size_t i = 0; i < batch.size(); ++i)
      if (batch[i].kind != reference[i].kind || batch[i].code != reference[i].code ||
          batch[i].offset != reference[i].offset || batch[i].length != reference[i].length)
        __builtin_trap();
    if (r.stop.kind != ref_stop.kind || r.stop.offset != ref_stop.offset) __builtin_trap();
    if (r.last_hint.kind != ref_hint.kind || r.last_hint.offset != ref_hint.offset)
      __builtin_trap();
  }
  for (const bool nbe : {false, true}) {
    std::string a, b;
    const std::uint64_t ha = shardgate::sql::fingerprint(sql, a, nbe);
    // (the cap plus "..." and, for unreadable text, the rest cut on a UTF-8 boundary)
    if (a.size() > shardgate::sql::max_fingerprint_size + 8) __builtin_trap();
    b = "left over";
    if (shardgate::sql::fingerprint(sql, b, nbe) != ha || a != b) __builtin_trap();
  }
  return 0;
}
