#include "metrics/query_stats.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

namespace shardgate::metrics {

namespace {

// The length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 if there is none.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  std::size_t length = 0;
  unsigned char low = 0x80;  // the range of the second byte
  unsigned char high = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    if (c == 0xE0) low = 0xA0;
    if (c == 0xED) high = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    if (c == 0xF0) low = 0x90;
    if (c == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return length;
}

// At most `limit` bytes of `text`, not cutting a UTF-8 sequence in two.
std::string_view cut_utf8(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t keep = limit;
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  return text.substr(0, keep);
}

void append_uint(std::string& out, std::uint64_t value) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  out.append(buf, end);
}

// Microseconds as milliseconds with three decimals (exact, no floating point).
void append_ms(std::string& out, std::uint64_t us) {
  append_uint(out, us / 1000);
  const auto frac = static_cast<unsigned>(us % 1000);
  out += '.';
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
}

std::uint64_t sort_value(const query_stat& s, sort_key key) {
  switch (key) {
    case sort_key::calls:
      return s.calls;
    case sort_key::max_time:
      return s.max_us;
    case sort_key::total_time:
      break;
  }
  return s.total_us;
}

}  // namespace

query_stats::query_stats(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {
  index_.reserve(capacity_);
}

void query_stats::record(std::uint64_t hash, std::string_view fingerprint_text,
                         std::string_view route, std::uint64_t duration_us, bool error) {
  std::size_t at;
  if (const auto it = index_.find(hash); it != index_.end()) {
    at = it->second;
  } else {
    if (entries_.size() < capacity_) {
      at = entries_.size();
      entries_.emplace_back();
      totals_.push_back(0);
    } else {
      at = evict_index();
      index_.erase(entries_[at].hash);
      ++evictions_;
    }
    index_.emplace(hash, at);
    query_stat& fresh = entries_[at];
    fresh.hash = hash;
    fresh.fingerprint.assign(fingerprint_text);
    fresh.calls = fresh.errors = fresh.total_us = fresh.max_us = 0;
    fresh.min_us = duration_us;
  }
  query_stat& s = entries_[at];
  ++s.calls;
  if (error) ++s.errors;
  s.total_us += duration_us;
  s.max_us = std::max(s.max_us, duration_us);
  s.min_us = std::min(s.min_us, duration_us);
  s.last_route.assign(cut_utf8(route, max_route_size));
  totals_[at] = s.total_us;
}

// The entry with the least total time (the first of equals): one pass over totals_, only
// when a new fingerprint arrives and the table is full.
std::size_t query_stats::evict_index() const noexcept {
  return static_cast<std::size_t>(std::min_element(totals_.begin(), totals_.end()) -
                                  totals_.begin());
}

std::vector<query_stat> query_stats::snapshot() const {
  return entries_;
}

void query_stats::reset() {
  entries_.clear();
  totals_.clear();
  index_.clear();
  evictions_ = 0;
}

std::vector<query_stat> merge_top(std::vector<std::vector<query_stat>> per_worker, std::size_t n,
                                  sort_key key) {
  std::vector<query_stat> merged;
  std::vector<std::uint64_t> route_calls;  // calls of the worker whose route merged[i] has
  std::unordered_map<std::uint64_t, std::size_t> at;
  for (auto& worker : per_worker) {
    for (auto& s : worker) {
      const auto [it, fresh] = at.try_emplace(s.hash, merged.size());
      if (fresh) {
        route_calls.push_back(s.calls);
        merged.push_back(std::move(s));
        continue;
      }
      query_stat& m = merged[it->second];
      if (s.calls > route_calls[it->second]) {
        m.last_route = std::move(s.last_route);
        route_calls[it->second] = s.calls;
      }
      if (m.calls == 0)
        m.min_us = s.min_us;
      else if (s.calls > 0)
        m.min_us = std::min(m.min_us, s.min_us);
      m.calls += s.calls;
      m.errors += s.errors;
      m.total_us += s.total_us;
      m.max_us = std::max(m.max_us, s.max_us);
    }
  }
  const auto first = [key](const query_stat& a, const query_stat& b) {
    const std::uint64_t va = sort_value(a, key);
    const std::uint64_t vb = sort_value(b, key);
    return va != vb ? va > vb : a.hash < b.hash;
  };
  n = std::min(n, merged.size());
  std::partial_sort(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(n), merged.end(),
                    first);
  merged.resize(n);
  return merged;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto escape_byte = [&](unsigned char c) {
    out += "\\u00";
    out += hex[c >> 4];
    out += hex[c & 15];
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence(text, i);
      if (length == 0) {
        escape_byte(c);
        ++i;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F)
          escape_byte(c);
        else
          out += static_cast<char>(c);
    }
    ++i;
  }
}

std::string to_json(const std::vector<query_stat>& stats) {
  std::string out = "[";
  for (const query_stat& s : stats) {
    if (out.size() > 1) out += ", ";
    out += "{\"fingerprint\": \"";
    append_json_string(out, s.fingerprint);
    out += "\", \"calls\": ";
    append_uint(out, s.calls);
    out += ", \"errors\": ";
    append_uint(out, s.errors);
    out += ", \"total_ms\": ";
    append_ms(out, s.total_us);
    out += ", \"avg_ms\": ";
    append_ms(out, s.calls == 0 ? 0 : (s.total_us + s.calls / 2) / s.calls);
    out += ", \"max_ms\": ";
    append_ms(out, s.max_us);
    out += ", \"last_route\": \"";
    append_json_string(out, s.last_route);
    out += "\"}";
  }
  out += ']';
  return out;
}

}  // namespace shardgate::metrics
