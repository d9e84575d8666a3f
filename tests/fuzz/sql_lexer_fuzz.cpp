// libFuzzer target: the SQL lexer must accept any bytes, stay within them, move forward and
// always reach `end` or `error`; the value helpers must accept any token it produces.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sql/lexer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using shardgate::sql::token;
  using shardgate::sql::token_kind;
  const std::string_view sql(reinterpret_cast<const char*>(data), size);
  shardgate::sql::lexer lx(sql);
  std::size_t last_offset = 0;
  bool done = false;
  for (std::size_t i = 0; i < size + 2 && !done; ++i) {
    const token t = lx.next();
    if (static_cast<std::size_t>(t.offset) + t.length > size) __builtin_trap();
    if (t.offset < last_offset) __builtin_trap();
    last_offset = t.offset;
    if (shardgate::sql::token_kind_name(t.kind) == nullptr) __builtin_trap();
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
        break;
      }
      default:
        if (t.length == 0) __builtin_trap();  // only `end` may be empty
        break;
    }
  }
  if (!done) __builtin_trap();  // no end/error within size + 2 tokens
  return 0;
}
