#include "routing/router.hpp"

#include <algorithm>

#include "protocol/errors.hpp"
#include "routing/router_words.hpp"

namespace shardgate::routing {

using sql::statement_kind;
namespace er = protocol::er;

const char* route_action_name(route_action a) noexcept {
  switch (a) {
    case route_action::single:
      return "single";
    case route_action::fan_out:
      return "fan_out";
    case route_action::refuse:
      return "refuse";
  }
  return "?";
}

const char* route_combine_name(route_combine c) noexcept {
  switch (c) {
    case route_combine::none:
      return "none";
    case route_combine::rows:
      return "rows";
    case route_combine::merge:
      return "merge";
    case route_combine::ok:
      return "ok";
    case route_combine::ddl:
      return "ddl";
    case route_combine::broadcast:
      return "broadcast";
  }
  return "?";
}

void route_plan::clear() {
  action = route_action::single;
  combine = route_combine::none;
  kind = statement_kind::empty;
  write = false;
  clusters.clear();
  rewritten = false;
  for (auto& t : texts) t.clear();
  first_row_cluster = -1;
  tableless = false;
  broadcast_read = false;
  ends_transaction = false;
  error = {};
  reason.clear();
  table = nullptr;
}

void router::refuse(route_plan& plan, std::uint16_t code, const char* state, std::string message) {
  plan.action = route_action::refuse;
  plan.clusters.clear();
  plan.rewritten = false;  // a piece of a multi-statement text may have been rewritten
  plan.combine = route_combine::none;
  plan.error = protocol::mysql_error{code, state, "ShardGate: " + message};
  plan.reason = plan.error.message;
}

const config::schema_config* router::current_schema(std::string_view name) {
  if (!schema_cached_ || name != cached_schema_name_) {
    cached_schema_ = topo_->config().find_schema_ci(name);
    cached_schema_name_.assign(name);
    schema_cached_ = true;
  }
  return cached_schema_;
}

const table_placement& router::placement(const config::table_config& table) {
  if (&table != cached_table_) {
    cached_placement_ = &topo_->placement(table);
    cached_table_ = &table;
  }
  return *cached_placement_;
}

std::string router::table_name(const table_ref& ref) const {
  if (ref.schema.empty()) return ref.name;
  return ref.schema + "." + ref.name;
}

void router::key_clusters(std::uint32_t r, std::vector<int>& out, bool& all) {
  const table_ref& ref = parsed_.tables[r];
  const table_placement& p = placement(*ref.table);
  out.clear();
  all = false;
  if (ref.keys.any) {
    out = p.clusters();
    all = true;
    return;
  }
  const auto& key = ref.table->key;
  for (const key_term& t : parsed_.terms(ref.keys)) {
    const auto& lo = parsed_.tokens[t.lo.token];
    const key_read a =
        read_key(key, lo.kind, lo.text(parsed_.text), t.lo.negative, no_backslash_escapes_, key_);
    if (a == key_read::null_key) continue;  // = NULL matches no row
    if (a != key_read::ok) {
      out = p.clusters();
      all = true;
      return;
    }
    if (!t.range) {
      const int c = p.place(key_, why_);
      if (c < 0) {
        out = p.clusters();
        all = true;
        return;
      }
      if (!contains(out, c)) out.push_back(c);
      continue;
    }
    const auto& hi = parsed_.tokens[t.hi.token];
    const key_read b = read_key(key, hi.kind, hi.text(parsed_.text), t.hi.negative,
                                no_backslash_escapes_, key_hi_);
    if (b == key_read::null_key) continue;
    if (b != key_read::ok) {
      out = p.clusters();
      all = true;
      return;
    }
    p.place_span(key_, key_hi_, out);
  }
  std::sort(out.begin(), out.end());
}

bool router::rewrite_in_lists(std::uint32_t r, route_plan& plan) {
  const table_ref& ref = parsed_.tables[r];
  if (!ref.keys.from_in_list || ref.keys.any) return false;
  const table_placement& p = placement(*ref.table);
  const std::string_view text = parsed_.text;
  const std::uint32_t open_end = parsed_.tokens[ref.keys.in_open].offset + 1;
  const std::uint32_t close_begin = parsed_.tokens[ref.keys.in_close].offset;
  if (plan.texts.size() < plan.clusters.size()) plan.texts.resize(plan.clusters.size());
  // placed_[k]: a key was written into texts[k] (a ", " goes before the next one).
  placed_.assign(plan.clusters.size(), 0);
  for (std::size_t k = 0; k < plan.clusters.size(); ++k) {
    plan.texts[k].assign(text.substr(0, open_end));
  }
  for (const key_term& t : parsed_.terms(ref.keys)) {
    if (t.range) return false;
    const auto& tok = parsed_.tokens[t.lo.token];
    const key_read a = read_key(ref.table->key, tok.kind, tok.text(text), t.lo.negative,
                                no_backslash_escapes_, key_);
    if (a == key_read::null_key) continue;
    if (a != key_read::ok) return false;
    const int c = p.place(key_, why_);
    if (c < 0) return false;
    auto it = std::find(plan.clusters.begin(), plan.clusters.end(), c);
    if (it == plan.clusters.end()) return false;
    const std::size_t k = static_cast<std::size_t>(it - plan.clusters.begin());
    std::string& out = plan.texts[k];
    if (placed_[k]) out += ", ";
    placed_[k] = true;
    const auto& lit = parsed_.tokens[t.lo.token];
    if (t.lo.negative) out += '-';
    out.append(text.substr(lit.offset, lit.length));
  }
  for (std::size_t k = 0; k < plan.clusters.size(); ++k) {
    if (!placed_[k]) return false;  // cannot happen: clusters came from these keys
    plan.texts[k].append(text.substr(close_begin));
  }
  plan.rewritten = true;
  return true;
}

void router::route_key(const config::table_config& table, std::string_view key, route_plan& plan) {
  plan.clear();
  plan.table = &table;
  const table_placement& p = placement(table);
  if (table.broadcast) {
    // No key places rows: every row is on every copy.
    plan.clusters = p.clusters();
    if (plan.clusters.size() > 1) {
      plan.action = route_action::fan_out;
      plan.combine = route_combine::broadcast;
    }
    const auto& cfg = topo_->config();
    std::string copies;
    for (int c : plan.clusters) copies += (copies.empty() ? "" : ", ") + cfg.clusters[c].name;
    plan.reason = "table " + table.name +
                  " is a broadcast table: every row (any key) has a copy on each of its "
                  "clusters (" +
                  copies + "); reads go to " + cfg.clusters[p.first_copy()].name +
                  ", writes to every copy";
    return;
  }
  const key_read r = read_key_text(table.key, key, key_);
  if (r != key_read::ok) {
    std::string what = config::key_kind_name(table.key.kind);
    if (table.key.pattern) what += " (pattern " + table.key.pattern->source() + ")";
    return refuse(
        plan, er::wrong_value, "HY000",
        "'" + std::string(key) + "' is not a valid " + what + " key of table " + table.name);
  }
  const int c = p.place(key_, why_);
  if (c < 0) return refuse(plan, er::unknown_error, "HY000", "cannot place key: " + why_);
  plan.clusters.push_back(c);
  plan.reason = "table " + table.name + ", key '" + key_.text + "': " + p.explain(key_) + " -> " +
                topo_->config().clusters[c].name;
}

void router::route(std::string_view sql, const session_view& s, route_plan& plan, bool explain) {
  route_one(sql, s, plan, explain);
  const bool multiple = parsed_.multiple;
  if (multiple && parsed_.readable) route_pieces(sql, s, plan, explain);
  plan.multi_statement = multiple;
}

// A multi-statement text runs as one on one cluster: every statement that names tables
// must route to that same single cluster; statements without tables (SET, BEGIN, COMMIT,
// SELECT 1, ...) follow it.
void router::route_pieces(std::string_view sql, const session_view& s, route_plan& plan,
                          bool explain) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pieces;
  std::uint32_t start = 0;
  for (const auto& t : parsed_.tokens) {
    if (t.kind == sql::token_kind::semicolon || t.kind == sql::token_kind::end) {
      if (t.offset > start) pieces.emplace_back(start, t.offset);
      start = t.offset + t.length;
    }
  }
  int cluster = -1;
  bool write = false;
  bool ends_transaction = false;
  statement_kind kind = statement_kind::other;
  std::string first_reason;
  // USE db changes the current schema of the statements after it.
  session_view session = s;
  std::string schema;
  for (auto [b, e] : pieces) {
    route_one(sql.substr(b, e - b), session, plan, explain);
    if (plan.action == route_action::refuse) return;
    if (plan.kind == statement_kind::use && parsed_.tokens.size() > 1 &&
        (parsed_.tokens[1].kind == sql::token_kind::identifier ||
         parsed_.tokens[1].kind == sql::token_kind::quoted_identifier)) {
      schema = sql::identifier_value(parsed_.token_text(1));
      session.schema = schema;
    }
    write = write || plan.write;
    if (plan.kind == statement_kind::transaction || plan.kind == statement_kind::ddl)
      ends_transaction = true;
    if (plan.tableless) continue;
    if (plan.action != route_action::single)
      return refuse(plan, er::not_supported_yet, "42000",
                    "a statement of this multi-statement text needs several shards; send it on "
                    "its own");
    // A read of broadcast tables can run on any cluster with their copies.
    if (plan.broadcast_read && cluster >= 0 && has_broadcast_copies(cluster)) continue;
    if (cluster >= 0 && plan.clusters[0] != cluster)
      return refuse(plan, er::not_supported_yet, "42000",
                    "the statements of this multi-statement text go to different shards (" +
                        topo_->config().clusters[cluster].name + " and " +
                        topo_->config().clusters[plan.clusters[0]].name +
                        "); send them one by one");
    if (cluster < 0) {
      kind = plan.kind;
      first_reason = plan.reason;
    }
    cluster = plan.clusters[0];
  }
  const bool tableless = cluster < 0;
  if (tableless) cluster = plan.clusters.empty() ? 0 : plan.clusters[0];
  plan.clear();
  plan.kind = kind;
  plan.write = write;
  plan.tableless = tableless;
  plan.ends_transaction = ends_transaction;
  plan.clusters.push_back(cluster);
  if (explain) plan.reason = "multi-statement text, one cluster: " + first_reason;
}

void router::route_one(std::string_view sql, const session_view& s, route_plan& plan,
                       bool explain) {
  plan.clear();
  no_backslash_escapes_ = s.no_backslash_escapes;
  parse_options options;
  options.current_schema = s.schema;
  options.current_schema_config = current_schema(s.schema);
  options.current_schema_resolved = true;
  options.ansi_quotes = s.ansi_quotes;
  options.no_backslash_escapes = s.no_backslash_escapes;
  parse_cache_.parse(sql, topo_->config(), options, parsed_);
  plan.kind = parsed_.kind;
  const auto& cfg = topo_->config();
  const int default_cluster = topo_->default_cluster(options.current_schema_config);

  // An operator's hint decides.
  if (!parsed_.hint_shard.empty()) {
    const int c = cfg.cluster_index(parsed_.hint_shard);
    if (c < 0)
      return refuse(plan, er::unknown_error, "HY000",
                    "the hint names shard '" + std::string(parsed_.hint_shard) +
                        "', which is not a cluster of this configuration");
    plan.clusters.push_back(c);
    if (explain) plan.reason = "routing hint shard=" + std::string(parsed_.hint_shard);
    return;
  }
  if (!parsed_.readable) return route_unreadable(sql, plan, default_cluster, explain);

  const statement_kind kind =
      parsed_.kind == statement_kind::show && parsed_.explained != statement_kind::empty
          ? parsed_.explained
          : parsed_.kind;
  plan.write = kind == statement_kind::insert || kind == statement_kind::replace ||
               kind == statement_kind::update || kind == statement_kind::delete_;
  if (parsed_.kind == statement_kind::show) plan.write = false;

  const table_census t = take_census();
  if (parsed_.kind == statement_kind::ddl) return route_ddl(plan, explain);
  if (parsed_.kind == statement_kind::other && !cfg.schemas.empty()) {
    // SQL-level PREPARE hides its statement in a string: it could run anywhere.
    if (parsed_.is_keyword(0, sql::keyword_id("PREPARE")) ||
        parsed_.is_keyword(0, sql::keyword_id("EXECUTE")))
      return refuse(plan, er::not_supported_yet, "42000",
                    "SQL-level PREPARE / EXECUTE cannot be routed by shard key yet; use "
                    "client-side or protocol-level prepared statements");
  }

  if (t.nested_sharded)
    return refuse(plan, er::not_supported_yet, "42000",
                  std::string("sharded table ") + table_name(*t.nested_sharded) +
                      " is used in a subquery, derived table, CTE, UNION branch, or a statement "
                      "kind ShardGate cannot route by key; that is not supported yet");
  if (t.broadcast_refs > 0 && t.top_sharded == 0 && !t.unsharded_spread)
    return route_broadcast(plan, t.unsharded, t.unsharded_cluster, explain);
  if (t.broadcast_refs > 0 && t.top_sharded > 0 && plan.write) {
    for (const auto& ref : parsed_.tables)
      if (ref.table && ref.table->broadcast && !ref.nested)
        return refuse(plan, er::not_supported_yet, "42000",
                      std::string(kind_word(kind)) + " names broadcast table " + table_name(ref) +
                          " and sharded table " + table_name(parsed_.tables[t.first_sharded]) +
                          ": ShardGate cannot tell which one it writes, and a write to the "
                          "broadcast table on the sharded table's shards only would make its "
                          "copies diverge; write the broadcast table on its own");
  }
  if (t.top_sharded == 0) {
    if (t.unsharded_spread)
      return refuse(plan, er::not_supported_yet, "42000",
                    "the statement uses unsharded tables that live on different clusters");
    plan.clusters.push_back(t.unsharded ? t.unsharded_cluster : default_cluster);
    plan.tableless = !t.unsharded;
    if (explain)
      plan.reason = t.unsharded ? "unsharded table " + table_name(*t.unsharded) + " -> " +
                                      cfg.clusters[plan.clusters[0]].name
                                : std::string("no table -> default cluster ") +
                                      cfg.clusters[plan.clusters[0]].name;
    return;
  }
  if (t.unsharded)
    return refuse(plan, er::not_supported_yet, "42000",
                  "the statement combines sharded table " +
                      table_name(parsed_.tables[t.first_sharded]) + " with unsharded table " +
                      table_name(*t.unsharded) + " (which lives only on cluster " +
                      cfg.clusters[t.unsharded_cluster].name + ")");

  if (kind == statement_kind::insert || kind == statement_kind::replace) {
    route_insert(s, plan, explain);
    if (t.broadcast_refs > 0 && plan.action != route_action::refuse &&
        !broadcast_covers(plan, plan.clusters, -1))
      return;
    if (parsed_.kind == statement_kind::show && plan.action == route_action::fan_out) {
      // EXPLAIN INSERT returns a plan (rows), not an OK to add up: one shard shows it.
      plan.action = route_action::single;
      plan.combine = route_combine::none;
      plan.rewritten = false;
      plan.clusters.resize(1);
    }
    return;
  }
  route_sharded(s, plan, kind, t, explain);
}

void router::route_unreadable(std::string_view sql, route_plan& plan, int default_cluster,
                              bool explain) {
  // Text ShardGate cannot read: harmless on the default cluster (which reports the syntax
  // error) unless it names a sharded table.
  const auto& cfg = topo_->config();
  for (const auto& schema : cfg.schemas) {
    for (const auto& t : schema.tables) {
      std::string_view rest = sql;
      // A case-insensitive search for the table name as a word.
      for (std::size_t pos = 0; pos + t.name.size() <= rest.size(); ++pos) {
        bool match = true;
        for (std::size_t k = 0; k < t.name.size() && match; ++k) {
          char c = rest[pos + k];
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
          match = c == t.name[k];
        }
        if (!match) continue;
        auto word = [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
        };
        const bool before = pos > 0 && word(rest[pos - 1]);
        const bool after = pos + t.name.size() < rest.size() && word(rest[pos + t.name.size()]);
        if (!before && !after)
          return refuse(plan, er::not_supported_yet, "42000",
                        std::string("cannot route this statement: it names ") +
                            (t.broadcast ? "broadcast table " : "sharded table ") + t.name +
                            " but " + parsed_.unreadable);
      }
    }
  }
  plan.clusters.push_back(default_cluster);
  plan.tableless = true;
  if (explain)
    plan.reason = std::string("unreadable (") + parsed_.unreadable +
                  "), no sharded table named: default cluster";
}

router::table_census router::take_census() const {
  // Sort the tables: sharded top-level, sharded nested, unsharded.
  table_census t;
  for (std::uint32_t r = 0; r < parsed_.tables.size(); ++r) {
    const table_ref& ref = parsed_.tables[r];
    if (ref.name.empty()) continue;  // a CTE
    if (ref.table && ref.table->broadcast) {
      ++t.broadcast_refs;
      continue;
    }
    if (ref.table) {
      if (ref.nested) {
        if (!t.nested_sharded) t.nested_sharded = &ref;
      } else {
        if (t.top_sharded++ == 0) t.first_sharded = r;
      }
      continue;
    }
    const int c = topo_->default_cluster(ref.schema_config);
    if (!t.unsharded) {
      t.unsharded = &ref;
      t.unsharded_cluster = c;
    } else if (c != t.unsharded_cluster) {
      t.unsharded_spread = true;
    }
  }

  return t;
}

}  // namespace shardgate::routing
