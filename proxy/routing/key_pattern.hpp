// Order-number patterns: a small subset of regular-expression syntax, compiled once from
// the configuration and matched by a hand-written backtracking matcher on the routing hot
// path. A pattern always matches the whole value and may capture the parts named `date`
// and `seq`, e.g. `^ORD(?<date>\d{8})(?<seq>\d{8})$`.
//
// Supported: literals and escaped literals (`\.`, `\-`, `\\`, ...), `\d` `\w` `\s` (and
// `\D` `\W` `\S`), `.` (any byte but `\n`), bracket classes with ranges and negation
// (`[A-Z0-9_-]`, `[^-]`), quantifiers `{n}` `{n,m}` `{n,}` `?` `*` `+` on a single atom,
// and the named groups `(?<date>...)` / `(?<seq>...)` (also `(?P<name>...)`) holding a flat
// sequence of quantified atoms. Everything else (alternation, quantified or nested groups,
// backreferences, lookarounds, lazy quantifiers, ...) is rejected by compile().
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shardgate::routing {

struct key_parts {
  std::string_view date;  // empty if the pattern has no `date` group
  std::string_view seq;   // empty if the pattern has no `seq` group
};

class key_pattern {
 public:
  static constexpr std::size_t max_atoms = 64;
  static constexpr std::size_t max_value_size = 255;  // longer values never match
  static constexpr unsigned max_repeat = 1000;        // largest n / m in `{n,m}`

  // nullopt + `error` (one line, says what and at which byte offset of the pattern) for
  // syntax outside the subset.
  static std::optional<key_pattern> compile(std::string_view pattern, std::string& error);

  // The whole value must match; on a match `parts` views into `value`. No allocation.
  bool match(std::string_view value, key_parts& parts) const noexcept;

  // A value that matches, with `date` (YYYYMMDD; YYYY-MM-DD when the date part wants the
  // dashes) as its date part and `seq` zero-padded to the seq part's shortest length as
  // its seq part; every other atom gives its smallest accepted byte (letters and digits
  // first) as few times as it allows. nullopt when that does not make a matching value
  // (e.g. a seq part that is not digits). Not for the routing path: it allocates.
  std::optional<std::string> sample(std::string_view date, std::uint64_t seq) const;

  bool has_date() const noexcept { return date_begin_ != no_group; }
  bool has_seq() const noexcept { return seq_begin_ != no_group; }
  const std::string& source() const noexcept { return source_; }

 private:
  static constexpr std::uint8_t no_group = 0xff;
  static constexpr std::uint16_t unbounded = 0xffff;

  struct atom {
    std::array<std::uint64_t, 4> bits{};  // the bytes this atom accepts
    std::uint16_t min = 1;
    std::uint16_t max = 1;  // `unbounded` for `*`, `+`, `{n,}`

    bool accepts(unsigned char c) const noexcept { return (bits[c >> 6] >> (c & 63)) & 1; }
  };
  struct match_state;

  key_pattern() = default;
  bool match_from(match_state& st, std::size_t i, std::size_t pos) const noexcept;

  std::string source_;
  std::vector<atom> atoms_;
  // min_rest_[i] / max_rest_[i]: the shortest / longest text atoms i.. can match (max is
  // capped at max_value_size + 1); one more entry (0, 0) for the end.
  std::vector<std::uint16_t> min_rest_;
  std::vector<std::uint16_t> max_rest_;
  bool fixed_length_ = true;  // every atom has min == max: matched without match_from()
  // Fixed-length patterns are checked run by run, and the groups sit at fixed offsets.
  struct fixed_run {
    enum kind_t : std::uint8_t { literal, digits, set } kind = set;
    std::uint8_t atom = 0;  // set: the atom whose bytes are accepted
    std::uint16_t at = 0;   // byte offset in the value
    std::uint16_t size = 0;
  };
  std::vector<fixed_run> fixed_runs_;
  std::string fixed_literal_;  // the literal runs' bytes at their offsets
  std::uint16_t fixed_date_at_ = 0;
  std::uint16_t fixed_date_size_ = 0;
  std::uint16_t fixed_seq_at_ = 0;
  std::uint16_t fixed_seq_size_ = 0;
  // Groups are atom index ranges [begin, end).
  std::uint8_t date_begin_ = no_group;
  std::uint8_t date_end_ = no_group;
  std::uint8_t seq_begin_ = no_group;
  std::uint8_t seq_end_ = no_group;
};

}  // namespace shardgate::routing
