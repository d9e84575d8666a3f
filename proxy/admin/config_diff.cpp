#include "admin/config_diff.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <unordered_set>

#include "config/diff.hpp"
#include "routing/dates.hpp"
#include "routing/router.hpp"
#include "routing/statement_parser.hpp"

namespace shardgate::admin {

namespace {

constexpr int sample_count = 1000;
constexpr std::int32_t boundary_days = 3;  // sampled on each side of a generation's start

std::int32_t system_today() {
  using namespace std::chrono;
  return static_cast<std::int32_t>(floor<days>(system_clock::now()).time_since_epoch().count());
}

std::string compact_date(std::int32_t days) {
  std::string d = routing::format_date(days);
  d.erase(std::remove(d.begin(), d.end(), '-'), d.end());
  return d;
}

// Keys in first-seen order, without repeats.
class key_list {
 public:
  void add(std::string key) {
    if (seen_.insert(key).second) keys_.push_back(std::move(key));
  }
  void add_all(const std::vector<std::string>& keys) {
    for (const auto& k : keys) add(k);
  }
  std::vector<std::string>& keys() { return keys_; }

 private:
  std::vector<std::string> keys_;
  std::unordered_set<std::string> seen_;
};

// The days where placement changes (generation starts, date range bounds), each +-3, and
// today; ascending.
std::vector<std::int32_t> boundary_dates(const config::table_config& t, std::int32_t today) {
  std::set<std::int32_t> days{today};
  auto around = [&](std::int32_t d) {
    for (std::int32_t k = -boundary_days; k <= boundary_days; ++k) days.insert(d + k);
  };
  for (const auto& g : t.generations) around(g.since);
  if (t.key.kind != config::key_kind::integer && t.key.kind != config::key_kind::string)
    for (const auto& r : t.strategy.ranges)
      if (!r.unbounded) around(static_cast<std::int32_t>(r.below_int));
  return {days.begin(), days.end()};
}

void order_number_keys(const config::table_config& t, std::int32_t today, key_list& out,
                       std::string& note) {
  const routing::key_pattern& p = *t.key.pattern;
  std::vector<std::int32_t> dates;
  if (!p.has_date()) {
    dates.push_back(today);
  } else if (!p.has_seq()) {
    const std::int32_t first = routing::days_from_civil(2020, 1, 1);
    for (int d = 0; d < sample_count; ++d) dates.push_back(first + d);
    for (std::int32_t d : boundary_dates(t, today)) dates.push_back(d);
  } else {
    dates = boundary_dates(t, today);
  }
  const std::uint64_t seqs =
      !p.has_seq()
          ? 1
          : std::max<std::uint64_t>(100, sample_count / std::max<std::size_t>(1, dates.size()));
  for (std::int32_t d : dates) {
    const std::string date = compact_date(d);
    for (std::uint64_t s = 0; s < seqs; ++s) {
      auto key = p.sample(date, s);
      if (!key) {
        note = "cannot build sample keys from pattern '" + p.source() + "'";
        return;
      }
      out.add(std::move(*key));
    }
  }
}

// The route of `key` as cluster names ("(refused)" when it cannot be placed).
std::string route_of(routing::router& r, const config::table_config& t, const std::string& key,
                     routing::route_plan& plan) {
  r.route_key(t, key, plan);
  if (plan.action == routing::route_action::refuse) return "(refused)";
  const auto& clusters = r.topo().config().clusters;
  std::string out;
  for (int c : plan.clusters) out += (out.empty() ? "" : ", ") + clusters[c].name;
  return out;
}

std::string quoted(const std::string& key) {
  std::string out = "'";
  for (char c : key) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// "schema.table key" -> (schema, table, key); false if malformed.
bool parse_extra_key(const std::string& line, const config::config& neu, std::string& schema,
                     std::string& table, std::string& key) {
  const auto space = line.find_first_of(" \t");
  if (space == std::string::npos) return false;
  const std::string name = line.substr(0, space);
  const auto start = line.find_first_not_of(" \t", space);
  if (start == std::string::npos) return false;
  key = line.substr(start);
  const auto dot = name.find('.');
  if (dot == std::string::npos) {
    if (neu.schemas.size() != 1) return false;
    schema = neu.schemas.front().name;
    table = routing::identifier_lower(name);
  } else {
    schema = routing::identifier_lower(name.substr(0, dot));
    table = routing::identifier_lower(name.substr(dot + 1));
  }
  return !table.empty() && !schema.empty();
}

struct extra_key {
  std::string schema, table, key;
};

// Routes sample keys of each table through both configurations.
class route_comparison {
 public:
  route_comparison(const config::config& old, const config::config& neu,
                   const reload_diff_options& options)
      : old_(old),
        neu_(neu),
        today_(options.today ? *options.today : system_today()),
        // Non-owning: the topologies live only as long as this object.
        old_router_(std::make_shared<const routing::topology>(
            std::shared_ptr<const config::config>(std::shared_ptr<void>(), &old))),
        new_router_(std::make_shared<const routing::topology>(
            std::shared_ptr<const config::config>(std::shared_ptr<void>(), &neu))) {
    read_extra_keys(options.extra_keys);
  }

  // One table configured in both (`ot` in the old configuration, `t` in the new).
  void table(const std::string& name, const config::table_config& ot,
             const config::table_config& t) {
    if (ot.broadcast != t.broadcast) {
      out_.push_back("table " + name + ": " +
                     (t.broadcast ? "now a broadcast table (was sharded)"
                                  : "now sharded (was a broadcast table)") +
                     "; rows are placed differently");
      return;
    }
    if (t.broadcast) return;
    std::string old_note, new_note;
    key_list keys;
    keys.add_all(sample_keys(old_, ot, today_, old_note));
    keys.add_all(sample_keys(neu_, t, today_, new_note));
    const std::string note = new_note.empty() ? old_note : new_note;
    std::vector<std::string> chosen;
    for (const auto& k : extras_)
      if (k.schema + "." + k.table == name) {
        chosen.push_back(k.key);
        keys.add(k.key);
      }
    if (keys.keys().empty()) {
      out_.push_back("table " + name + ": not compared (" + note + ")");
      return;
    }
    ++compared_;
    std::size_t moved = 0;
    std::string example;
    for (const auto& key : keys.keys()) {
      const std::string from = route_of(old_router_, ot, key, plan_);
      const std::string to = route_of(new_router_, t, key, plan_);
      if (from != to && moved++ == 0) example = quoted(key) + ": " + from + " -> " + to;
    }
    for (const auto& key : chosen) {
      const std::string from = route_of(old_router_, ot, key, plan_);
      const std::string to = route_of(new_router_, t, key, plan_);
      key_lines_.push_back("key " + name + " " + quoted(key) + ": " +
                           (from == to ? to + " (unchanged)" : from + " -> " + to));
    }
    const std::string of = std::to_string(keys.keys().size());
    const std::string partial = note.empty() ? "" : " (" + note + ")";
    if (moved) {
      ++differing_;
      out_.push_back("table " + name + ": " + std::to_string(moved) + " of " + of +
                     " sample keys route differently, e.g. " + example + partial);
    } else if (!partial.empty()) {
      out_.push_back("table " + name + ": all " + of + " sample keys route the same" + partial);
    }
  }

  // The table lines, the extra keys' lines, and a summary.
  std::vector<std::string> finish() {
    std::vector<std::string> out = std::move(out_);
    out.insert(out.end(), key_lines_.begin(), key_lines_.end());
    if (compared_ > 0)
      out.push_back(
          "= routing: " + std::to_string(compared_) + " sharded table" +
          (compared_ == 1 ? "" : "s") + " compared with sample keys, " +
          (differing_ ? std::to_string(differing_) + " route differently" : "all route the same"));
    return out;
  }

 private:
  void read_extra_keys(const std::vector<std::string>& lines) {
    for (const auto& raw : lines) {
      std::string line = raw;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.pop_back();
      line.erase(0, line.find_first_not_of(" \t"));
      if (line.empty() || line.front() == '#') continue;
      extra_key k;
      if (!parse_extra_key(line, neu_, k.schema, k.table, k.key)) {
        key_lines_.push_back("? key '" + line + "': expected 'schema.table key'");
      } else if (!sharded_in_both(k.schema, k.table)) {
        key_lines_.push_back("? key " + quoted(k.key) + ": " + k.schema + "." + k.table +
                             " is not a sharded table in both configurations");
      } else {
        extras_.push_back(std::move(k));
      }
    }
  }

  bool sharded_in_both(const std::string& schema, const std::string& table) const {
    for (const config::config* cfg : {&old_, &neu_}) {
      const auto* sc = cfg->find_schema(schema);
      const auto* t = sc ? sc->find_table(table) : nullptr;
      if (!t || t->broadcast) return false;
    }
    return true;
  }

  const config::config& old_;
  const config::config& neu_;
  std::int32_t today_;
  routing::router old_router_;
  routing::router new_router_;
  routing::route_plan plan_;
  std::vector<extra_key> extras_;
  std::vector<std::string> out_;        // per table
  std::vector<std::string> key_lines_;  // per extra key
  std::size_t compared_ = 0;
  std::size_t differing_ = 0;
};

}  // namespace

std::vector<std::string> sample_keys(const config::config& cfg, const config::table_config& t,
                                     std::int32_t today, std::string& note) {
  key_list out;
  note.clear();
  switch (t.key.kind) {
    case config::key_kind::integer:
      for (int i = 0; i < sample_count; ++i) out.add(std::to_string(i));
      for (std::uint64_t i = 1; i <= sample_count; ++i)
        out.add(std::to_string((i * 7919 * 1000003) % (std::uint64_t{1} << 40)));
      for (const auto& r : t.strategy.ranges)
        if (!r.unbounded) {
          out.add(std::to_string(r.below_int - 1));
          out.add(std::to_string(r.below_int));
        }
      break;
    case config::key_kind::string:
      for (int i = 0; i < sample_count; ++i) out.add("key" + std::to_string(i));
      for (const auto& r : t.strategy.ranges)
        if (!r.unbounded) out.add(r.below_text);
      break;
    case config::key_kind::date: {
      const std::int32_t first = routing::days_from_civil(2020, 1, 1);
      for (int d = 0; d < sample_count; ++d) out.add(routing::format_date(first + d));
      for (std::int32_t d : boundary_dates(t, today)) out.add(routing::format_date(d));
      break;
    }
    case config::key_kind::order_number:
      order_number_keys(t, today, out, note);
      if (!note.empty()) return {};
      break;
  }
  if (t.strategy.kind == config::strategy_kind::directory)
    if (const auto* l = cfg.find_lookup(t.strategy.lookup))
      for (const auto& e : l->entries) out.add(e.first);
  return std::move(out.keys());
}

std::vector<std::string> routing_differences(const config::config& old, const config::config& neu,
                                             const reload_diff_options& options) {
  route_comparison cmp(old, neu, options);
  for (const auto& sc : neu.schemas) {
    const auto* old_schema = old.find_schema(sc.name);
    for (const auto& t : sc.tables)
      if (const auto* ot = old_schema ? old_schema->find_table(t.name) : nullptr)
        cmp.table(sc.name + "." + t.name, *ot, t);  // new tables: in the YAML differences
  }
  return cmp.finish();
}

std::string describe_reload(const config::config& old, const config::config& neu,
                            const reload_diff_options& options) {
  const auto changes = config::yaml_differences(old.source_text, neu.source_text);
  if (changes.empty()) return "no changes\n";
  std::string out;
  for (const auto& line : changes) out += line + "\n";
  for (const auto& setting : config::restart_only_changes(old, neu))
    out += "! " + setting + " changes only on restart\n";
  for (const auto& line : routing_differences(old, neu, options)) out += line + "\n";
  return out;
}

}  // namespace shardgate::admin
