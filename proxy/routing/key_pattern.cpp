#include "routing/key_pattern.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace shardgate::routing {

namespace {

using byte_set = std::array<std::uint64_t, 4>;

void add_byte(byte_set& s, unsigned char c) {
  s[c >> 6] |= std::uint64_t{1} << (c & 63);
}

void add_range(byte_set& s, unsigned lo, unsigned hi) {
  for (unsigned c = lo; c <= hi; ++c) add_byte(s, static_cast<unsigned char>(c));
}

void negate(byte_set& s) {
  for (auto& w : s) w = ~w;
}

void add_digits(byte_set& s) {
  add_range(s, '0', '9');
}

void add_word(byte_set& s) {
  add_range(s, '0', '9');
  add_range(s, 'A', 'Z');
  add_range(s, 'a', 'z');
  add_byte(s, '_');
}

void add_space(byte_set& s) {
  for (unsigned char c : {' ', '\t', '\n', '\v', '\f', '\r'}) add_byte(s, c);
}

bool is_ascii_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// `\d` `\w` `\s` and their negations: adds the class to `s` and returns true.
bool class_escape(char e, byte_set& s) {
  byte_set tmp{};
  switch (e) {
    case 'd':
    case 'D':
      add_digits(tmp);
      break;
    case 'w':
    case 'W':
      add_word(tmp);
      break;
    case 's':
    case 'S':
      add_space(tmp);
      break;
    default:
      return false;
  }
  if (e == 'D' || e == 'W' || e == 'S') negate(tmp);
  for (std::size_t w = 0; w < s.size(); ++w) s[w] |= tmp[w];
  return true;
}

// `\t` `\n` `\r` -> the control character; 0 otherwise.
char control_escape(char e) {
  switch (e) {
    case 't':
      return '\t';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    default:
      return 0;
  }
}

std::string printable(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

struct key_pattern::match_state {
  const unsigned char* text;
  std::size_t size;
  std::uint8_t pos[max_atoms + 1];  // where each atom of the successful path starts
  // Failed (atom, position) pairs; only the rows of the pattern's atoms and the words
  // covering positions 0..size are cleared.
  std::uint64_t failed[max_atoms][(max_value_size + 1) / 64];
};

namespace {

class pattern_parser {
 public:
  pattern_parser(std::string_view p, std::string& error) : p_(p), error_(error) {}

  struct group {
    std::uint8_t begin = 0xff;
    std::uint8_t end = 0xff;
  };

  struct result {
    std::vector<byte_set> sets;
    std::vector<std::uint16_t> mins;
    std::vector<std::uint16_t> maxs;
    group date;
    group seq;
  };

  bool parse(result& r, std::uint16_t unbounded) {
    unbounded_ = unbounded;
    const std::size_t n = p_.size();
    std::size_t i = 0;
    if (n > 0 && p_[0] == '^') i = 1;
    bool in_group = false;
    std::size_t group_at = 0;
    group* open = nullptr;
    while (i < n) {
      const unsigned char c = static_cast<unsigned char>(p_[i]);
      switch (c) {
        case '^':
          return fail(i, "'^' is only allowed at the start of the pattern");
        case '$':
          if (i + 1 != n) return fail(i, "'$' is only allowed at the end of the pattern");
          ++i;
          continue;
        case '|':
          return fail(i, "alternation '|' is not supported");
        case ')':
          if (!in_group) return fail(i, "unmatched ')'");
          if (r.sets.size() == open->begin) return fail(group_at, "empty group");
          open->end = static_cast<std::uint8_t>(r.sets.size());
          in_group = false;
          prev_ = prev::group_close;
          ++i;
          continue;
        case ']':
          return fail(i, "unmatched ']' (escape a literal as \\])");
        case '}':
          return fail(i, "unmatched '}' (escape a literal as \\})");
        case '{':
        case '?':
        case '*':
        case '+':
          if (!quantify(r, i)) return false;
          continue;
        case '(': {
          if (in_group) return fail(i, "nested groups are not supported");
          group_at = i;
          if (!open_group(r, i, open)) return false;
          in_group = true;
          prev_ = prev::none;
          continue;
        }
        default:
          break;
      }
      byte_set s{};
      const std::size_t at = i;
      if (c == '[') {
        if (!parse_class(i, s)) return false;
      } else if (c == '\\') {
        if (!parse_escape(i, s)) return false;
      } else if (c == '.') {
        negate(s);
        s[0] &= ~(std::uint64_t{1} << '\n');
        ++i;
      } else if (c >= 0x80) {
        return fail(i, "non-ASCII byte in pattern (use '.' or a negated class)");
      } else {
        add_byte(s, c);
        ++i;
      }
      if (r.sets.size() == key_pattern::max_atoms) {
        return fail(at, "pattern too long (more than " + std::to_string(key_pattern::max_atoms) +
                            " atoms)");
      }
      r.sets.push_back(s);
      r.mins.push_back(1);
      r.maxs.push_back(1);
      prev_ = prev::atom;
    }
    if (in_group) return fail(group_at, "unterminated group");
    if (r.sets.empty()) return fail(0, "empty pattern");
    return true;
  }

 private:
  enum class prev { none, atom, quantified, group_close };

  bool fail(std::size_t at, const std::string& what) {
    error_ = what + " at offset " + std::to_string(at) + " of pattern '" + printable(p_) + "'";
    return false;
  }

  // Reads an unsigned decimal at `i`; false if there is no digit. Values are capped so a
  // long digit string cannot overflow (anything above max_repeat is rejected anyway).
  bool number(std::size_t& i, unsigned& value) {
    const std::size_t start = i;
    value = 0;
    while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') {
      value = std::min(value * 10 + static_cast<unsigned>(p_[i] - '0'), 100000u);
      ++i;
    }
    return i > start;
  }

  bool quantify(result& r, std::size_t& i) {
    const char c = p_[i];
    if (prev_ == prev::group_close) return fail(i, "quantifiers on groups are not supported");
    if (prev_ == prev::quantified) {
      if (c == '?') return fail(i, "lazy quantifiers are not supported");
      if (c == '+') return fail(i, "possessive quantifiers are not supported");
      return fail(i, "a quantifier cannot follow another quantifier");
    }
    if (prev_ != prev::atom) {
      return fail(i, std::string("quantifier '") + c + "' has nothing to repeat");
    }
    unsigned lo = 0;
    unsigned hi = unbounded_;
    const std::size_t at = i;
    switch (c) {
      case '?':
        hi = 1;
        ++i;
        break;
      case '*':
        ++i;
        break;
      case '+':
        lo = 1;
        ++i;
        break;
      default: {  // '{'
        ++i;
        static constexpr const char* malformed =
            "malformed quantifier (expected {n}, {n,m} or {n,}; escape a literal '{' as \\{)";
        if (!number(i, lo)) return fail(at, malformed);
        bool open_ended = false;
        if (i < p_.size() && p_[i] == '}') {
          hi = lo;
        } else if (i < p_.size() && p_[i] == ',') {
          ++i;
          open_ended = !number(i, hi);
          if (i >= p_.size() || p_[i] != '}') return fail(at, malformed);
        } else {
          return fail(at, malformed);
        }
        ++i;  // '}'
        const std::string text(p_.substr(at, i - at));
        if (lo > key_pattern::max_repeat || (!open_ended && hi > key_pattern::max_repeat)) {
          return fail(
              at, "repeat count above " + std::to_string(key_pattern::max_repeat) + " in " + text);
        }
        if (open_ended) {
          hi = unbounded_;
        } else if (hi < lo) {
          return fail(at, "minimum above maximum in quantifier " + text);
        }
        break;
      }
    }
    r.mins.back() = static_cast<std::uint16_t>(lo);
    r.maxs.back() = static_cast<std::uint16_t>(hi);
    prev_ = prev::quantified;
    return true;
  }

  bool open_group(result& r, std::size_t& i, group*& open) {
    const std::size_t at = i;
    const auto rest = p_.substr(i);
    auto starts = [&](std::string_view prefix) { return rest.substr(0, prefix.size()) == prefix; };
    std::size_t name_at;
    if (starts("(?<=") || starts("(?<!") || starts("(?=") || starts("(?!")) {
      return fail(at, "lookarounds are not supported");
    } else if (starts("(?P<")) {
      name_at = i + 4;
    } else if (starts("(?<")) {
      name_at = i + 3;
    } else if (starts("(?P=") || starts("(?P>")) {
      return fail(at, "backreferences and recursion are not supported");
    } else if (starts("(?:")) {
      return fail(at, "non-capturing groups are not supported (write the atoms without a group)");
    } else if (starts("(?")) {
      return fail(at, "unsupported group syntax (only (?<date>...) and (?<seq>...) are allowed)");
    } else {
      return fail(at, "unnamed groups are not supported (use (?<date>...) or (?<seq>...))");
    }
    const std::size_t close = p_.find('>', name_at);
    if (close == std::string_view::npos) return fail(at, "unterminated group name");
    const std::string_view name = p_.substr(name_at, close - name_at);
    if (name == "date") {
      open = &r.date;
    } else if (name == "seq") {
      open = &r.seq;
    } else {
      return fail(name_at, "unknown group name '" + printable(name) + "' (allowed: date, seq)");
    }
    if (open->begin != 0xff) return fail(at, "duplicate group '" + std::string(name) + "'");
    open->begin = static_cast<std::uint8_t>(r.sets.size());
    i = close + 1;
    return true;
  }

  // An escape outside a class: `\d`-style classes, `\t` `\n` `\r`, or an escaped
  // punctuation / space literal.
  bool parse_escape(std::size_t& i, byte_set& s) {
    if (i + 1 >= p_.size()) return fail(i, "trailing backslash");
    const unsigned char e = static_cast<unsigned char>(p_[i + 1]);
    if (!class_escape(static_cast<char>(e), s) && !escaped_literal(i, e, s)) return false;
    i += 2;
    return true;
  }

  bool escaped_literal(std::size_t at, unsigned char e, byte_set& s) {
    if (const char ctl = control_escape(static_cast<char>(e))) {
      add_byte(s, static_cast<unsigned char>(ctl));
      return true;
    }
    if ((e >= '1' && e <= '9') || e == 'k' || e == 'g') {
      return fail(at, "backreferences are not supported");
    }
    if (is_ascii_alnum(e)) {
      return fail(at, std::string("unsupported escape '\\") + static_cast<char>(e) + "'");
    }
    if (e >= 0x80 || e < 0x20) return fail(at + 1, "non-ASCII or control byte in pattern");
    add_byte(s, e);
    return true;
  }

  // One class member at `i`: sets `ch` to the byte, or -1 after adding a `\d`-style class.
  bool class_member(std::size_t& i, int& ch, byte_set& s) {
    const unsigned char c = static_cast<unsigned char>(p_[i]);
    if (c == '\\') {
      if (i + 1 >= p_.size()) return fail(i, "trailing backslash");
      const unsigned char e = static_cast<unsigned char>(p_[i + 1]);
      if (class_escape(static_cast<char>(e), s)) {
        ch = -1;
      } else {
        byte_set one{};
        if (!escaped_literal(i, e, one)) return false;
        ch = e;
        if (const char ctl = control_escape(static_cast<char>(e))) ch = ctl;
      }
      i += 2;
      return true;
    }
    if (c == '[' && i + 1 < p_.size() &&
        (p_[i + 1] == ':' || p_[i + 1] == '.' || p_[i + 1] == '=')) {
      return fail(i, "POSIX bracket expressions like [:alpha:] are not supported");
    }
    if (c >= 0x80) return fail(i, "non-ASCII byte in pattern (use '.' or a negated class)");
    ch = c;
    ++i;
    return true;
  }

  bool parse_class(std::size_t& i, byte_set& s) {
    const std::size_t open = i;
    const std::size_t n = p_.size();
    ++i;
    bool negated = false;
    if (i < n && p_[i] == '^') {
      negated = true;
      ++i;
    }
    bool first = true;
    for (;;) {
      if (i >= n) return fail(open, "unterminated character class");
      if (p_[i] == ']' && !first) {
        ++i;
        break;
      }
      first = false;
      const std::size_t member_at = i;
      int lo = 0;
      if (!class_member(i, lo, s)) return false;
      const bool range = i + 1 < n && p_[i] == '-' && p_[i + 1] != ']';
      if (!range) {
        if (lo >= 0) add_byte(s, static_cast<unsigned char>(lo));
        continue;
      }
      if (lo < 0) return fail(member_at, "a class escape cannot start a range");
      ++i;  // '-'
      int hi = 0;
      byte_set unused{};
      if (!class_member(i, hi, unused)) return false;
      if (hi < 0) return fail(member_at, "a class escape cannot end a range");
      if (hi < lo) {
        return fail(member_at, "invalid range '" + printable(p_.substr(member_at, i - member_at)) +
                                   "' (start above end)");
      }
      add_range(s, static_cast<unsigned>(lo), static_cast<unsigned>(hi));
    }
    if (negated) negate(s);
    return true;
  }

  std::string_view p_;
  std::string& error_;
  prev prev_ = prev::none;
  std::uint16_t unbounded_ = 0;
};

}  // namespace

std::optional<key_pattern> key_pattern::compile(std::string_view pattern, std::string& error) {
  pattern_parser::result r;
  pattern_parser parser(pattern, error);
  if (!parser.parse(r, unbounded)) return std::nullopt;

  key_pattern kp;
  kp.source_ = std::string(pattern);
  const std::size_t n = r.sets.size();
  kp.atoms_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    kp.atoms_[i].bits = r.sets[i];
    kp.atoms_[i].min = r.mins[i];
    kp.atoms_[i].max = r.maxs[i];
    if (r.mins[i] != r.maxs[i]) kp.fixed_length_ = false;
  }
  constexpr unsigned cap = max_value_size + 1;
  kp.min_rest_.assign(n + 1, 0);
  kp.max_rest_.assign(n + 1, 0);
  for (std::size_t i = n; i-- > 0;) {
    const unsigned mx = kp.atoms_[i].max == unbounded ? cap : kp.atoms_[i].max;
    kp.min_rest_[i] =
        static_cast<std::uint16_t>(std::min(cap, kp.min_rest_[i + 1] + 0u + kp.atoms_[i].min));
    kp.max_rest_[i] = static_cast<std::uint16_t>(std::min(cap, kp.max_rest_[i + 1] + mx));
  }
  if (kp.fixed_length_ && kp.min_rest_[0] <= max_value_size) {
    // Offsets of atom starts, then one entry per byte naming its atom.
    std::vector<std::uint16_t> start(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
      start[i + 1] = static_cast<std::uint16_t>(start[i] + kp.atoms_[i].min);
    }
    // Runs to check: literal bytes (adjacent ones merged, compared with memcmp), digit runs,
    // and other classes (checked against the atom's byte set).
    kp.fixed_literal_.assign(start[n], '\0');
    for (std::size_t i = 0; i < n; ++i) {
      const atom& a = kp.atoms_[i];
      int count = 0;
      int only = -1;
      bool digits = true;
      for (int c = 0; c < 256; ++c) {
        const bool in = a.accepts(static_cast<unsigned char>(c));
        if (in) {
          ++count;
          only = c;
        }
        if (in != (c >= '0' && c <= '9')) digits = false;
      }
      fixed_run run;
      run.at = start[i];
      run.size = a.min;
      run.atom = static_cast<std::uint8_t>(i);
      run.kind = count == 1 ? fixed_run::literal : digits ? fixed_run::digits : fixed_run::set;
      if (run.size == 0) continue;
      if (run.kind == fixed_run::literal)
        kp.fixed_literal_.replace(run.at, run.size, run.size, static_cast<char>(only));
      if (!kp.fixed_runs_.empty() && kp.fixed_runs_.back().kind == run.kind &&
          run.kind != fixed_run::set &&
          kp.fixed_runs_.back().at + kp.fixed_runs_.back().size == run.at) {
        kp.fixed_runs_.back().size =
            static_cast<std::uint16_t>(kp.fixed_runs_.back().size + run.size);
      } else {
        kp.fixed_runs_.push_back(run);
      }
    }
    if (r.date.begin != no_group) {
      kp.fixed_date_at_ = start[r.date.begin];
      kp.fixed_date_size_ = static_cast<std::uint16_t>(start[r.date.end] - start[r.date.begin]);
    }
    if (r.seq.begin != no_group) {
      kp.fixed_seq_at_ = start[r.seq.begin];
      kp.fixed_seq_size_ = static_cast<std::uint16_t>(start[r.seq.end] - start[r.seq.begin]);
    }
  }
  kp.date_begin_ = r.date.begin;
  kp.date_end_ = r.date.end;
  kp.seq_begin_ = r.seq.begin;
  kp.seq_end_ = r.seq.end;
  error.clear();
  return kp;
}

// Tries atoms i.. at `pos`, given min_rest_[i] <= size - pos <= max_rest_[i]. Each atom is
// tried greedily, backing off one byte at a time within the counts that leave the rest of
// the pattern a feasible length; failed (atom, position) pairs are remembered, so the work
// is bounded by atoms * positions * repeat count.
bool key_pattern::match_from(match_state& st, std::size_t i, std::size_t pos) const noexcept {
  if (i == atoms_.size()) return pos == st.size;
  if ((st.failed[i][pos >> 6] >> (pos & 63)) & 1) return false;
  const atom& a = atoms_[i];
  const std::size_t remaining = st.size - pos;
  const std::size_t rest_max = max_rest_[i + 1];
  const std::size_t lo =
      std::max<std::size_t>(a.min, remaining > rest_max ? remaining - rest_max : 0);
  const std::size_t hi = std::min<std::size_t>(a.max, remaining - min_rest_[i + 1]);
  std::size_t run = 0;
  const unsigned char* text = st.text + pos;
  while (run < hi && a.accepts(text[run])) ++run;
  if (run >= lo) {
    for (std::size_t k = run;; --k) {
      if (match_from(st, i + 1, pos + k)) {
        st.pos[i] = static_cast<std::uint8_t>(pos);
        return true;
      }
      if (k == lo) break;
    }
  }
  st.failed[i][pos >> 6] |= std::uint64_t{1} << (pos & 63);
  return false;
}

bool key_pattern::match(std::string_view value, key_parts& parts) const noexcept {
  parts = {};
  const std::size_t size = value.size();
  if (size > max_value_size || size < min_rest_[0] || size > max_rest_[0]) return false;
  if (fixed_length_) {  // size == fixed_literal_.size() here
    const auto* text = reinterpret_cast<const unsigned char*>(value.data());
    for (const fixed_run& run : fixed_runs_) {
      const unsigned char* p = text + run.at;
      switch (run.kind) {
        case fixed_run::literal: {
          const char* want = fixed_literal_.data() + run.at;
          for (std::size_t k = 0; k < run.size; ++k)  // short: no call to memcmp
            if (p[k] != static_cast<unsigned char>(want[k])) return false;
          break;
        }
        case fixed_run::digits: {
          // 8 bytes at a time: a byte is a digit when b - 0x30 and b + 0x46 both keep the
          // high bit clear (and b has it clear); any other byte sets some high bit.
          constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
          std::size_t k = 0;
          for (; k + 8 <= run.size; k += 8) {
            std::uint64_t w;
            std::memcpy(&w, p + k, sizeof w);
            if (((w - ones * 0x30) | (w + ones * 0x46) | w) & highs) return false;
          }
          for (; k < run.size; ++k)
            if (static_cast<unsigned>(p[k] - '0') > 9u) return false;
          break;
        }
        case fixed_run::set: {
          const atom& a = atoms_[run.atom];
          for (std::size_t k = 0; k < run.size; ++k)
            if (!a.accepts(p[k])) return false;
          break;
        }
      }
    }
    if (date_begin_ != no_group) parts.date = value.substr(fixed_date_at_, fixed_date_size_);
    if (seq_begin_ != no_group) parts.seq = value.substr(fixed_seq_at_, fixed_seq_size_);
    return true;
  }
  match_state st;  // not zeroed: only the memo rows in use are cleared below
  st.text = reinterpret_cast<const unsigned char*>(value.data());
  st.size = size;
  const std::size_t words = (size >> 6) + 1;  // positions 0..size
  for (std::size_t i = 0; i < atoms_.size(); ++i) {
    std::memset(st.failed[i], 0, words * sizeof(std::uint64_t));
  }
  if (!match_from(st, 0, 0)) return false;
  st.pos[atoms_.size()] = static_cast<std::uint8_t>(size);
  if (date_begin_ != no_group) {
    parts.date = value.substr(st.pos[date_begin_], st.pos[date_end_] - st.pos[date_begin_]);
  }
  if (seq_begin_ != no_group) {
    parts.seq = value.substr(st.pos[seq_begin_], st.pos[seq_end_] - st.pos[seq_begin_]);
  }
  return true;
}

std::optional<std::string> key_pattern::sample(std::string_view date, std::uint64_t seq) const {
  std::vector<std::string> date_forms{std::string(date)};
  if (has_date() && date.size() == 8)
    date_forms.push_back(std::string(date.substr(0, 4)) + "-" + std::string(date.substr(4, 2)) +
                         "-" + std::string(date.substr(6, 2)));
  std::string seq_text = std::to_string(seq);
  if (has_seq()) {
    const std::size_t shortest = min_rest_[seq_begin_] - min_rest_[seq_end_];
    if (seq_text.size() < shortest) seq_text.insert(0, shortest - seq_text.size(), '0');
  }
  auto filler = [](const atom& a) {
    static constexpr std::pair<int, int> preferred[] = {
        {'0', '9'}, {'A', 'Z'}, {'a', 'z'}, {'!', '~'}, {0, 0x7f}};
    for (auto [lo, hi] : preferred)
      for (int c = lo; c <= hi; ++c)
        if (a.accepts(static_cast<unsigned char>(c))) return static_cast<char>(c);
    for (int c = 0x80; c < 0x100; ++c)
      if (a.accepts(static_cast<unsigned char>(c))) return static_cast<char>(c);
    return '\0';
  };
  for (const std::string& date_text : date_forms) {
    std::string out;
    for (std::size_t i = 0; i < atoms_.size();) {
      if (i == date_begin_) {
        out += date_text;
        i = date_end_;
      } else if (i == seq_begin_) {
        out += seq_text;
        i = seq_end_;
      } else {
        out.append(atoms_[i].min, filler(atoms_[i]));
        ++i;
      }
    }
    key_parts parts;
    if (match(out, parts) && (!has_date() || parts.date == date_text) &&
        (!has_seq() || parts.seq == seq_text))
      return out;
  }
  return std::nullopt;
}

}  // namespace shardgate::routing
