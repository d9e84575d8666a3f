#include "routing/placement.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "routing/dates.hpp"
#include "routing/hashing.hpp"
#include "routing/key_pattern.hpp"

namespace shardgate::routing {

std::map<std::string, directory_counts, std::less<>>& directory_stats() noexcept {
  thread_local std::map<std::string, directory_counts, std::less<>> stats;
  return stats;
}

namespace {

bool parse_int(std::string_view text, std::int64_t& v) {
  if (text.empty()) return false;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && p == text.data() + text.size();
}

// Plain decimal digits (no sign) into v; false for anything else or an out-of-range value.
bool parse_digits(std::string_view text, std::int64_t& v) {
  if (text.empty()) return false;
  if (text.size() > 18)
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
           parse_int(text, v);
  std::int64_t n = 0;
  for (const char c : text) {
    const unsigned d = static_cast<unsigned char>(c) - static_cast<unsigned>('0');
    if (d > 9) return false;
    n = n * 10 + d;
  }
  v = n;
  return true;
}

// A decimal integer literal: digits only (no sign, point, exponent or 0x prefix).
bool plain_digits(std::string_view text) {
  if (text.empty()) return false;
  if (text.size() > 1 && text[0] == '0' && (text[1] == 'x' || text[1] == 'b')) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// _ci collations with PAD SPACE: ASCII case and trailing spaces do not matter.
void fold(std::string& s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
}

// Whether order numbers of `pattern` sort as their dates do: a constant prefix of letters
// and digits, then the date as 8 digits (as strings, YYYYMMDD orders like the date).
bool date_leads(const key_pattern& pattern) {
  std::string_view s = pattern.source();
  if (!s.empty() && s[0] == '^') s.remove_prefix(1);
  while (!s.empty() && ((s[0] >= '0' && s[0] <= '9') || (s[0] >= 'A' && s[0] <= 'Z') ||
                        (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
    s.remove_prefix(1);
  return s.starts_with("(?<date>\\d{8})") || s.starts_with("(?P<date>\\d{8})");
}

key_read finish_text(const config::shard_key_config& key, key_value& out) {
  switch (key.kind) {
    case config::key_kind::integer: {
      std::string_view t = out.text;
      const bool negative = !t.empty() && t[0] == '-';
      if (!plain_digits(negative ? t.substr(1) : t)) return key_read::mismatch;
      if (!parse_int(t, out.number)) return key_read::mismatch;
      out.has_number = true;
      char digits[24];
      const auto end = std::to_chars(digits, digits + sizeof digits, out.number).ptr;
      out.text.assign(digits, end);  // canonical: no leading zeros (keeps the capacity)
      return key_read::ok;
    }
    case config::key_kind::string:
      if (!key.case_sensitive) {
        // Real _ci collations also equate letters beyond ASCII (e = é = É, ß = ss) and
        // ignore some control characters: only printable ASCII folds exactly.
        for (const char c : out.text)
          if (static_cast<unsigned char>(c) >= 0x7f || static_cast<unsigned char>(c) < 0x20)
            return key_read::cannot_tell;
        fold(out.text);
      }
      return key_read::ok;
    case config::key_kind::date: {
      auto d = parse_date(out.text);
      if (!d) return key_read::mismatch;
      out.date = *d;
      out.has_date = true;
      out.text = format_date(*d);
      return key_read::ok;
    }
    case config::key_kind::order_number: {
      key_parts parts;
      if (!key.pattern || !key.pattern->match(out.text, parts)) return key_read::mismatch;
      if (key.pattern->has_date()) {
        std::uint64_t date8 = 0;
        const bool memo = parts.date.size() == sizeof date8;
        if (memo) std::memcpy(&date8, parts.date.data(), sizeof date8);
        if (memo && date8 != 0 && date8 == out.memo_date_text) {
          out.date = out.memo_date;
        } else {
          auto d = parse_date(parts.date);
          if (!d) return key_read::mismatch;
          out.date = *d;
          if (memo) {
            out.memo_date_text = date8;
            out.memo_date = *d;
          }
        }
        out.has_date = true;
      }
      if (key.pattern->has_seq()) {
        if (!parse_digits(parts.seq, out.number)) return key_read::mismatch;
        out.has_number = true;
      }
      return key_read::ok;
    }
  }
  return key_read::mismatch;
}

}  // namespace

key_read read_key(const config::shard_key_config& key, sql::token_kind kind,
                  std::string_view token_text, bool negative, bool no_backslash_escapes,
                  key_value& out) {
  out.text.clear();
  out.has_number = out.has_date = false;
  if (kind == sql::token_kind::identifier) return key_read::null_key;  // NULL
  if (kind == sql::token_kind::number) {
    // Numbers compare numerically: only plain integers against integer keys are exact -
    // and DOUBLE literals `<digits>e0` below 2^53 (a prepared statement's integral DOUBLE
    // parameter reads so: every integer key equal to it as a DOUBLE is this one).
    std::string_view digits = token_text;
    if (digits.size() > 2 && digits.size() <= 17 && digits.ends_with("e0")) digits.remove_suffix(2);
    if (key.kind != config::key_kind::integer || !plain_digits(digits))
      return key_read::cannot_tell;
    if (negative) out.text.push_back('-');
    out.text.append(digits);
    const key_read r = finish_text(key, out);
    return r == key_read::mismatch ? key_read::cannot_tell : r;  // out of range
  }
  if (kind == sql::token_kind::hex_string && key.kind != config::key_kind::integer) {
    // X'..' is a binary string, like _binary'..' below: its bytes are the key (prepared
    // statements bind BLOB-typed values, e.g. Node Buffers, Go []byte, so).
    const std::string_view t = token_text;
    if (t.size() < 3 || (t[0] != 'X' && t[0] != 'x') || t[1] != '\'' || t.back() != '\'' ||
        (t.size() - 3) % 2 != 0)
      return key_read::cannot_tell;
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const std::size_t digits_end = t.size() - 1;  // the closing quote
    for (std::size_t i = 2; i < digits_end; i += 2) {
      const int hi = nibble(t[i]), lo = nibble(t[i + 1]);
      if (hi < 0 || lo < 0) return key_read::cannot_tell;
      out.text.push_back(static_cast<char>(hi * 16 + lo));
    }
    return finish_text(key, out);
  }
  if (kind != sql::token_kind::string) return key_read::cannot_tell;
  // A charset introducer other than a UTF-8 / ASCII / Latin-1 one changes the bytes.
  if (!token_text.empty() && token_text[0] == '_') {
    const auto quote = token_text.find_first_of("'\"");
    const std::string_view cs = token_text.substr(0, quote);
    if (cs != "_utf8mb4" && cs != "_utf8" && cs != "_utf8mb3" && cs != "_latin1" &&
        cs != "_ascii" && cs != "_binary")
      return key_read::cannot_tell;
    // _latin1 / _ascii give bytes above 0x7f another meaning than UTF-8 does.
    if (cs == "_latin1" || cs == "_ascii")
      for (const char c : token_text)
        if (static_cast<unsigned char>(c) >= 0x80) return key_read::cannot_tell;
  }
  if (!sql::string_value(token_text, out.text, no_backslash_escapes)) return key_read::cannot_tell;
  return finish_text(key, out);
}

key_read read_key_text(const config::shard_key_config& key, std::string_view text, key_value& out) {
  out.text.assign(text);
  out.has_number = out.has_date = false;
  return finish_text(key, out);
}

// ---- table_placement -------------------------------------------------------------------

table_placement::table_placement(const config::table_config& table, const config::config& cfg)
    : table_(&table) {
  const auto& s = table.strategy;
  auto indexes = [&](const std::vector<std::string>& names) {
    std::vector<int> v;
    for (const auto& n : names) v.push_back(cfg.cluster_index(n));
    return v;
  };
  auto contiguous = [](std::uint32_t buckets, std::size_t shards) {
    std::vector<std::uint32_t> v(buckets);
    for (std::uint32_t i = 0; i < buckets; ++i)
      v[i] = static_cast<std::uint32_t>(std::uint64_t(i) * shards / buckets);
    return v;
  };
  if (table.broadcast) {
    // A copy on each cluster; no key places anything.
    all_ = indexes(table.copies);
    first_copy_ = all_.empty() ? -1 : all_.front();
    std::sort(all_.begin(), all_.end());
    return;
  }
  switch (s.kind) {
    case config::strategy_kind::hash: {
      generation base;
      base.shards = indexes(s.shards);
      base.bucket_shard = s.bucket_shard;
      generations_.push_back(std::move(base));
      for (const auto& g : table.generations) {
        generation gen;
        gen.since = g.since;
        gen.shards = indexes(g.shards);
        if (s.buckets) gen.bucket_shard = contiguous(s.buckets, gen.shards.size());
        generations_.push_back(std::move(gen));
      }
      for (const auto& g : generations_) all_.insert(all_.end(), g.shards.begin(), g.shards.end());
      break;
    }
    case config::strategy_kind::range:
      for (const auto& r : s.ranges) {
        ranges_.emplace_back(cfg.cluster_index(r.cluster), r);
        all_.push_back(cfg.cluster_index(r.cluster));
      }
      break;
    case config::strategy_kind::directory:
      if (const auto* l = cfg.find_lookup(s.lookup)) {
        key_value kv;
        for (const auto& [k, cluster] : l->entries) {
          const int c = cfg.cluster_index(cluster);
          // Entries that are not keys of this table's kind can never be looked up.
          if (read_key_text(table.key, k, kv) == key_read::ok) directory_[kv.text] = c;
          all_.push_back(c);
        }
      }
      break;
  }
  std::sort(all_.begin(), all_.end());
  all_.erase(std::unique(all_.begin(), all_.end()), all_.end());
}

const table_placement::generation& table_placement::generation_for(const key_value& key) const {
  if (generations_.size() > 1 && key.has_date) {
    for (std::size_t g = generations_.size(); g-- > 1;)
      if (key.date >= generations_[g].since) return generations_[g];
  }
  return generations_[0];
}

std::uint64_t table_placement::hash_of(const key_value& key, bool& ok) const {
  ok = true;
  switch (table_->strategy.function) {
    case config::hash_function::modulo:
      if (!key.has_number) {
        ok = false;
        return 0;
      }
      // Negative keys use their absolute value.
      return key.number < 0 ? 0 - static_cast<std::uint64_t>(key.number)
                            : static_cast<std::uint64_t>(key.number);
    case config::hash_function::crc32:
      return crc32(key.text);
    case config::hash_function::xxhash64:
      return xxhash64(key.text);
  }
  ok = false;
  return 0;
}

int table_placement::place(const key_value& key, std::string& why) const {
  const auto& s = table_->strategy;
  if (table_->broadcast) {
    why = "table " + table_->name + " is a broadcast table (a copy on each of its clusters)";
    return -1;
  }
  switch (s.kind) {
    case config::strategy_kind::hash: {
      if (generations_.size() > 1 && !key.has_date) {
        why = "the key carries no date, so its generation is unknown";
        return -1;
      }
      const generation& g = generation_for(key);
      bool ok = false;
      const std::uint64_t h = hash_of(key, ok);
      if (!ok) {
        why = "modulo needs an integer key";
        return -1;
      }
      if (!g.bucket_shard.empty()) return g.shards[g.bucket_shard[h % g.bucket_shard.size()]];
      return g.shards[h % g.shards.size()];
    }
    case config::strategy_kind::range:
      for (const auto& [cluster, r] : ranges_) {
        if (r.unbounded) return cluster;
        if (table_->key.kind == config::key_kind::string) {
          if (key.text < r.below_text) return cluster;
        } else if (table_->key.kind == config::key_kind::integer) {
          if (key.number < r.below_int) return cluster;
        } else {
          if (!key.has_date) {
            why = "the key carries no date";
            return -1;
          }
          if (key.date < r.below_int) return cluster;
        }
      }
      why = "no range holds the key (the last range has a below bound; add an open range)";
      return -1;
    case config::strategy_kind::directory: {
      auto& stats = directory_stats();
      auto counts = stats.find(std::string_view(s.lookup));
      if (counts == stats.end()) counts = stats.emplace(s.lookup, directory_counts{}).first;
      auto it = directory_.find(key.text);
      if (it == directory_.end()) {
        ++counts->second.misses;
        why = "the key is not in directory '" + s.lookup + "'";
        return -1;
      }
      ++counts->second.hits;
      return it->second;
    }
  }
  why = "unknown strategy";
  return -1;
}

void table_placement::place_span(const key_value& lo, const key_value& hi,
                                 std::vector<int>& out) const {
  const auto& s = table_->strategy;
  auto add = [&](int c) {
    if (c >= 0 && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  auto add_all = [&] {
    for (int c : all_) add(c);
  };
  if (table_->broadcast) return add_all();
  if (s.kind == config::strategy_kind::range) {
    const auto kind = table_->key.kind;
    const bool text = kind == config::key_kind::string;
    if ((!text && kind == config::key_kind::integer && (!lo.has_number || !hi.has_number)) ||
        (!text && kind != config::key_kind::integer && (!lo.has_date || !hi.has_date)))
      return add_all();
    // A span of strings is compared in collation order, which is not byte order (the
    // collation sorts punctuation elsewhere): its keys may sit in any range. So may those
    // of a span of order numbers unless a constant prefix leads to the date.
    if (text && lo.text != hi.text) return add_all();
    if (kind == config::key_kind::order_number && lo.text != hi.text &&
        (!table_->key.pattern || !date_leads(*table_->key.pattern)))
      return add_all();
    // Ranges [previous below, below) overlapping [lo, hi].
    bool have_prev = false;
    std::int64_t prev_int = 0;
    std::string_view prev_text;
    const std::int64_t lo_v = kind == config::key_kind::integer ? lo.number : lo.date;
    const std::int64_t hi_v = kind == config::key_kind::integer ? hi.number : hi.date;
    for (const auto& [cluster, r] : ranges_) {
      bool starts_after_hi = false, ends_before_lo = false;
      if (text) {
        starts_after_hi = have_prev && prev_text > hi.text;
        ends_before_lo = !r.unbounded && r.below_text <= lo.text;
      } else {
        starts_after_hi = have_prev && prev_int > hi_v;
        ends_before_lo = !r.unbounded && r.below_int <= lo_v;
      }
      if (!starts_after_hi && !ends_before_lo) add(cluster);
      have_prev = true;
      prev_int = r.below_int;
      prev_text = r.below_text;
    }
    return;
  }
  if (s.kind == config::strategy_kind::hash && s.function == config::hash_function::modulo &&
      table_->key.kind == config::key_kind::integer && lo.has_number && hi.has_number &&
      generations_.size() == 1) {
    if (hi.number < lo.number) return;  // an empty span
    if (static_cast<std::uint64_t>(hi.number) - static_cast<std::uint64_t>(lo.number) < 256) {
      key_value k;
      std::string why;
      for (std::int64_t v = lo.number;; ++v) {
        k.number = v;
        k.has_number = true;
        add(place(k, why));
        if (v == hi.number) break;
      }
      return;
    }
  }
  add_all();
}

std::string table_placement::explain(const key_value& key) const {
  const auto& s = table_->strategy;
  if (table_->broadcast) return "broadcast (a copy on each of its clusters)";
  std::string out = config::strategy_kind_name(s.kind);
  if (s.kind == config::strategy_kind::hash) {
    out += std::string(" ") + config::hash_function_name(s.function);
    bool ok = false;
    const std::uint64_t h = hash_of(key, ok);
    if (s.function == config::hash_function::modulo) {
      out += table_->key.kind == config::key_kind::order_number ? " of seq " : " of ";
      out += std::to_string(key.number);
    } else {
      out += " of '" + key.text + "' = " + std::to_string(h);
    }
    const generation& g = generation_for(key);
    if (generations_.size() > 1)
      out += g.since == INT32_MIN
                 ? ", first generation (dated before " + format_date(generations_[1].since) + ")"
                 : ", generation since " + format_date(g.since);
    if (!g.bucket_shard.empty())
      out += ", bucket " + std::to_string(h % g.bucket_shard.size()) + " of " +
             std::to_string(g.bucket_shard.size());
    else
      out += " % " + std::to_string(g.shards.size()) +
             " shards = " + std::to_string(ok ? h % g.shards.size() : 0);
  } else if (s.kind == config::strategy_kind::range) {
    out += table_->key.kind == config::key_kind::order_number ? " on the date part" : "";
  } else {
    out += " '" + s.lookup + "'";
  }
  return out;
}

// ---- topology --------------------------------------------------------------------------

topology::topology(std::shared_ptr<const config::config> cfg) : cfg_(std::move(cfg)) {
  for (const auto& schema : cfg_->schemas)
    for (const auto& t : schema.tables)
      placements_.emplace(&t, std::make_unique<table_placement>(t, *cfg_));
}

const table_placement& topology::placement(const config::table_config& t) const {
  return *placements_.at(&t);
}

int topology::default_cluster(const config::schema_config* schema) const {
  return cfg_->cluster_index(schema ? schema->default_cluster : cfg_->default_cluster);
}

}  // namespace shardgate::routing
