#include "routing/key_pattern.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

namespace shardgate::routing {
namespace {

key_pattern must_compile(std::string_view pattern) {
  std::string error;
  auto p = key_pattern::compile(pattern, error);
  EXPECT_TRUE(p.has_value()) << pattern << ": " << error;
  EXPECT_TRUE(error.empty()) << pattern;
  return p ? std::move(*p) : *key_pattern::compile("x", error);
}

struct match_case {
  const char* pattern;
  std::string_view value;
  bool matches;
  std::string_view date = {};
  std::string_view seq = {};
};

TEST(key_pattern, match) {
  const match_case cases[] = {
      // The canonical order number.
      {R"(^ORD(?<date>\d{8})(?<seq>\d{8})$)", "ORD2026112200000042", true, "20261122", "00000042"},
      {R"(^ORD(?<date>\d{8})(?<seq>\d{8})$)", "ORD202611220000004", false},
      {R"(^ORD(?<date>\d{8})(?<seq>\d{8})$)", "ORD20261122000000421", false},
      {R"(^ORD(?<date>\d{8})(?<seq>\d{8})$)", "ord2026112200000042", false},
      {R"(^ORD(?<date>\d{8})(?<seq>\d{8})$)", "ORD20261122000000a2", false},
      {R"(^ORD(?<date>\d{8})(?<seq>\d{8})$)", "", false},
      // Anchors are optional; the match is always whole-value.
      {R"(ORD(?<date>\d{8})(?<seq>\d{8}))", "ORD2026112200000042", true, "20261122", "00000042"},
      {R"(ORD(?<date>\d{8})(?<seq>\d{8}))", "xORD2026112200000042", false},
      {R"(ORD(?<date>\d{8})(?<seq>\d{8}))", "ORD2026112200000042x", false},
      {R"(^ORD(?P<date>\d{8})(?P<seq>\d{8})$)", "ORD2026112200000042", true, "20261122",
       "00000042"},
      // Variable-length parts need backtracking.
      {R"(^(?<seq>\d+)-(?<date>\d{8})$)", "123-20261122", true, "20261122", "123"},
      {R"(^(?<seq>\d+)-(?<date>\d{8})$)", "-20261122", false},
      {R"(^[A-Z]+(?<date>\d{8})(?<seq>\d+)$)", "AB2026112242", true, "20261122", "42"},
      {R"(^[A-Z]+(?<date>\d{8})(?<seq>\d+)$)", "AB20261122", false},
      {R"(^[A-Z]+(?<date>\d{8})(?<seq>\d+)$)", "2026112242", false},
      {R"(^(?<seq>\d+)(?<date>\d{8})$)", "12320261122", true, "20261122", "123"},
      {R"(^(?<seq>\d*)0$)", "1000", true, {}, "100"},
      {R"(^(?<seq>.*)-(?<date>.*)$)", "a-b-c", true, "c", "a-b"},
      // Groups with several atoms, `?`, `{n,m}`, `{n,}`.
      {R"(^(?<date>\d{4}-\d{2}-\d{2})/(?<seq>[0-9a-f]{4,6})$)", "2026-11-22/beef", true,
       "2026-11-22", "beef"},
      {R"(^(?<date>\d{4}-\d{2}-\d{2})/(?<seq>[0-9a-f]{4,6})$)", "2026-11-22/beef123", false},
      {R"(^(?<date>\d{4}-\d{2}-\d{2})/(?<seq>[0-9a-f]{4,6})$)", "2026-11-22/bee", false},
      {R"(^X-?(?<seq>\d{3,})$)", "X-123", true, {}, "123"},
      {R"(^X-?(?<seq>\d{3,})$)", "X12345", true, {}, "12345"},
      {R"(^X-?(?<seq>\d{3,})$)", "X-12", false},
      {R"(^A{0}B$)", "B", true},
      {R"(^a*$)", "", true},
      {R"(^a*b*$)", "aab", true},
      // Classes: ranges, negation, escapes inside, literal `-` and `]`.
      {R"(^[A-Z0-9_-]+$)", "AB_9-x", false},
      {R"(^[A-Z0-9_-]+$)", "AB_9-Z", true},
      {R"(^[^-]+-(?<seq>\d+)$)", "shop-42", true, {}, "42"},
      {R"(^[^-]+-(?<seq>\d+)$)", "-42", false},
      {R"(^[]a]+$)", "]a]", true},
      {R"(^[\d.]+$)", "1.2.3", true},
      {R"(^[\]\\]+$)", "]\\", true},
      {R"(^[a\-z]+$)", "a-z", true},
      {R"(^[a\-z]+$)", "b", false},
      // Escapes and `.`.
      {R"(^\w+\.\d$)", "a_B9.1", true},
      {R"(^\w+\.\d$)", "a_B9x1", false},
      {R"(^a\sb$)", "a\tb", true},
      {R"(^\D\W\S$)", "x-y", true},
      {R"(^\D\W\S$)", "1-y", false},
      {R"(^\$\^\(\)\{\}\|\*\+\?$)", "$^(){}|*+?", true},
      {R"(^a.c$)", "abc", true},
      {R"(^a.c$)", "a\nc", false},
      // Bytes >= 0x80 only through `.` or negated classes.
      {R"(^a.c$)",
       "a\xc3\xa9"
       "c",
       false},  // two bytes
      {R"(^a..c$)",
       "a\xc3\xa9"
       "c",
       true},
      {R"(^[^a]+$)", "\xff\x80", true},
      {R"(^\w+$)", "caf\xc3\xa9", false},
      {R"(^[a-z]+$)", "caf\xc3\xa9", false},
      // No named groups: parts stay empty.
      {R"(^\d+$)", "42", true},
  };
  for (const auto& c : cases) {
    std::string error;
    auto p = key_pattern::compile(c.pattern, error);
    if (!p) continue;  // covered by the error table
    key_parts parts{"junk", "junk"};
    EXPECT_EQ(p->match(c.value, parts), c.matches) << c.pattern << " ~ " << c.value;
    if (c.matches) {
      EXPECT_EQ(parts.date, c.date) << c.pattern << " ~ " << c.value;
      EXPECT_EQ(parts.seq, c.seq) << c.pattern << " ~ " << c.value;
    } else {
      EXPECT_TRUE(parts.date.empty() && parts.seq.empty()) << c.pattern << " ~ " << c.value;
    }
  }
}

struct error_case {
  const char* pattern;
  const char* message;  // a substring of the error
  int offset;           // expected "at offset N"
};

TEST(key_pattern, compile_errors) {
  const error_case cases[] = {
      {"", "empty pattern", 0},
      {"^$", "empty pattern", 0},
      {"^", "empty pattern", 0},
      {"a|b", "alternation", 1},
      {"^(?<seq>\\d+|x)$", "alternation", 11},
      {"(?<seq>\\d)+", "quantifiers on groups", 10},
      {"(?<seq>\\d){2}", "quantifiers on groups", 10},
      {"(\\d)\\1", "unnamed groups", 0},
      {"(?<seq>\\d)\\1", "backreferences", 10},
      {"(?<seq>\\d)\\k<seq>", "backreferences", 10},
      {"(?<seq>\\d)(?P=seq)", "backreferences", 10},
      {"a(?=b)", "lookarounds", 1},
      {"a(?!b)", "lookarounds", 1},
      {"(?<=a)b", "lookarounds", 0},
      {"(?<!a)b", "lookarounds", 0},
      {"(?:ab)", "non-capturing", 0},
      {"(?i)ab", "unsupported group syntax", 0},
      {"(?<seq>\\d+", "unterminated group", 0},
      {"(?<seq", "unterminated group name", 0},
      {"a)", "unmatched ')'", 1},
      {"[a-z", "unterminated character class", 0},
      {"[]", "unterminated character class", 0},
      {"a]", "unmatched ']'", 1},
      {"a}", "unmatched '}'", 1},
      {"a^b", "'^' is only allowed at the start", 1},
      {"^^a", "'^' is only allowed at the start", 1},
      {"a$b", "'$' is only allowed at the end", 1},
      {"(?<seq>\\d+$)", "'$' is only allowed at the end", 10},
      {"*a", "nothing to repeat", 0},
      {"^+a", "nothing to repeat", 1},
      {"(?<date>{2}\\d)", "nothing to repeat", 8},
      {"a**", "cannot follow another quantifier", 2},
      {"a{2}{3}", "cannot follow another quantifier", 4},
      {"a+?", "lazy quantifiers", 2},
      {"\\w+?\\d", "lazy quantifiers", 3},
      {"a++", "possessive quantifiers", 2},
      {"a{3,2}", "minimum above maximum", 1},
      {"a{1001}", "above 1000", 1},
      {"a{1,1001}", "above 1000", 1},
      {"a{99999999999999999999}", "above 1000", 1},
      {"a{", "malformed quantifier", 1},
      {"a{x}", "malformed quantifier", 1},
      {"a{,5}", "malformed quantifier", 1},
      {"a{1,2", "malformed quantifier", 1},
      {"(?<id>\\d+)", "unknown group name 'id' (allowed: date, seq)", 3},
      {"(?P<order>\\d+)", "unknown group name 'order' (allowed: date, seq)", 4},
      {"(?<seq>\\d)(?<seq>\\d)", "duplicate group 'seq'", 10},
      {"(?<date>a(?<seq>b))", "nested groups", 9},
      {"(?<date>)", "empty group", 0},
      {"a\\", "trailing backslash", 1},
      {"\\bword", "unsupported escape '\\b'", 0},
      {"\\x41", "unsupported escape '\\x'", 0},
      {"[z-a]", "invalid range 'z-a'", 1},
      {"[\\d-z]", "class escape cannot start a range", 1},
      {"[a-\\d]", "class escape cannot end a range", 1},
      {"[[:alpha:]]", "POSIX bracket", 1},
      {"caf\xc3\xa9", "non-ASCII", 3},
      {"[\xc3\xa9]", "non-ASCII", 1},
  };
  for (const auto& c : cases) {
    std::string error;
    auto p = key_pattern::compile(c.pattern, error);
    EXPECT_FALSE(p.has_value()) << c.pattern;
    EXPECT_NE(error.find(c.message), std::string::npos) << c.pattern << " -> " << error;
    EXPECT_NE(error.find("at offset " + std::to_string(c.offset) + " "), std::string::npos)
        << c.pattern << " -> " << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << c.pattern;
  }
}

TEST(key_pattern, accepts_limits) {
  must_compile("a{1000}");
  must_compile("a{0,1000}");
  must_compile("a{1000,}");
  must_compile(std::string(64, 'a'));
  std::string error;
  EXPECT_FALSE(key_pattern::compile(std::string(65, 'a'), error).has_value());
  EXPECT_NE(error.find("more than 64 atoms"), std::string::npos) << error;
}

TEST(key_pattern, accessors) {
  auto both = must_compile(R"(^ORD(?<date>\d{8})(?<seq>\d{8})$)");
  EXPECT_TRUE(both.has_date());
  EXPECT_TRUE(both.has_seq());
  EXPECT_EQ(both.source(), R"(^ORD(?<date>\d{8})(?<seq>\d{8})$)");
  auto seq_only = must_compile(R"(^X(?<seq>\d+)$)");
  EXPECT_FALSE(seq_only.has_date());
  EXPECT_TRUE(seq_only.has_seq());
  auto none = must_compile(R"(\d+)");
  EXPECT_FALSE(none.has_date());
  EXPECT_FALSE(none.has_seq());
  // Copies are independent and still match.
  const key_pattern copy = both;
  key_parts parts;
  EXPECT_TRUE(copy.match("ORD2026112200000042", parts));
  EXPECT_EQ(parts.seq, "00000042");
}

TEST(key_pattern, long_values) {
  auto p = must_compile(R"(^(?<seq>\d+)$)");
  key_parts parts;
  const std::string max_len(key_pattern::max_value_size, '7');
  EXPECT_TRUE(p.match(max_len, parts));
  EXPECT_EQ(parts.seq.size(), key_pattern::max_value_size);
  EXPECT_FALSE(p.match(max_len + "7", parts));  // longer than max_value_size: no match
}

TEST(key_pattern, no_exponential_backtracking) {
  // Classic catastrophic cases: nested-looking repetition over the same class, no match.
  auto p = must_compile(R"(^\d*\d*\d*\d*\d*\d*\d*\d*\d*\d*\d*\d*\d*\d*\d*\d*x$)");
  auto q = must_compile(R"(^(?<seq>a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*)b$)");
  const std::string digits(200, '1');
  const std::string as(200, 'a');
  key_parts parts;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(p.match(digits, parts));
  EXPECT_FALSE(q.match(as, parts));
  const std::string as_b = as + "b";  // `parts` views into the value: keep it alive
  EXPECT_TRUE(q.match(as_b, parts));
  EXPECT_EQ(parts.seq, as);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(1));
}

TEST(key_pattern, fast_enough) {
  auto p = must_compile(R"(^ORD(?<date>\d{8})(?<seq>\d{8})$)");
  std::string value = "ORD2026112200000042";
  constexpr int rounds = 200000;
  int hits = 0;
  key_parts parts;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i) {
    value[18] = static_cast<char>('0' + i % 10);
    hits += p.match(value, parts);
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(hits, rounds);
  // Generous bound (the real figure is a few tens of ns; sanitizer builds are slower).
  const double ns_per_match = std::chrono::duration<double, std::nano>(elapsed).count() / rounds;
  EXPECT_LT(ns_per_match, 1000.0);
}

TEST(key_pattern, sample) {
  struct sample_case {
    const char* pattern;
    std::uint64_t seq;
    std::optional<std::string> want;
  };
  const sample_case cases[] = {
      {R"(^ORD(?<date>\d{8})(?<seq>\d{8})$)", 7, "ORD2026120100000007"},
      {R"(^ORD(?<date>\d{8})(?<seq>\d{8})$)", 123456789, std::nullopt},  // 9 digits: too long
      {R"(^ORD(?<date>\d{8})(?<seq>\d+)$)", 42, "ORD2026120142"},
      {R"(^ORD(?<date>\d{8})(?<seq>\d{2,})$)", 7, "ORD2026120107"},
      // The date part in the form the group wants.
      {R"(^ORD-(?<date>\d{4}-\d{2}-\d{2})-(?<seq>\d{6})$)", 3, "ORD-2026-12-01-000003"},
      // Other atoms: their smallest byte (letters and digits first), as few times as allowed.
      {R"(^[A-Z]{2}\.(?<date>\d{8})[-_]?x*(?<seq>\d{4})$)", 9, "AA.202612010009"},
      {R"(^(?<seq>\d{3})\w{2}.$)", 5, "005000"},
      {R"(^INV(?<date>\d{8})$)", 99, "INV20261201"},  // no seq part: seq unused
      {R"(^(?<seq>\d{5})$)", 12, "00012"},            // no date part
      // Not digits: cannot be filled with a number.
      {R"(^(?<seq>[A-F]{4})$)", 1, std::nullopt},
      {R"(^(?<date>[a-z]{8})$)", 1, std::nullopt},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.pattern);
    const auto p = must_compile(c.pattern);
    const auto got = p.sample("20261201", c.seq);
    EXPECT_EQ(got, c.want);
    if (got) {
      key_parts parts;
      EXPECT_TRUE(p.match(*got, parts));
    }
  }
}

}  // namespace
}  // namespace shardgate::routing
