#include "routing/router.hpp"

#include <algorithm>

#include "protocol/errors.hpp"

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

namespace {

bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

const char* kind_word(statement_kind k) {
  switch (k) {
    case statement_kind::insert:
      return "INSERT";
    case statement_kind::replace:
      return "REPLACE";
    case statement_kind::update:
      return "UPDATE";
    case statement_kind::delete_:
      return "DELETE";
    case statement_kind::select:
      return "SELECT";
    default:
      return "statement";
  }
}

}  // namespace

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
  parse_statement(sql, topo_->config(), options, parsed_);
  plan.kind = parsed_.kind;
  const auto& cfg = topo_->config();
  const config::schema_config* current = options.current_schema_config;
  const int default_cluster = topo_->default_cluster(current);

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

  if (!parsed_.readable) {
    // Text ShardGate cannot read: harmless on the default cluster (which reports the
    // syntax error) unless it names a sharded table.
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
    return;
  }

  const statement_kind kind =
      parsed_.kind == statement_kind::show && parsed_.explained != statement_kind::empty
          ? parsed_.explained
          : parsed_.kind;
  plan.write = kind == statement_kind::insert || kind == statement_kind::replace ||
               kind == statement_kind::update || kind == statement_kind::delete_;
  if (parsed_.kind == statement_kind::show) plan.write = false;

  // Sort the tables: sharded top-level, sharded nested, unsharded.
  const table_ref* nested_sharded = nullptr;
  const table_ref* unsharded = nullptr;
  int unsharded_cluster = -1;
  bool unsharded_spread = false;
  std::uint32_t top_sharded = 0, first_sharded = 0;
  std::uint32_t broadcast_refs = 0;  // broadcast tables: on every shard, they do not route
  for (std::uint32_t r = 0; r < parsed_.tables.size(); ++r) {
    const table_ref& ref = parsed_.tables[r];
    if (ref.name.empty()) continue;  // a CTE
    if (ref.table && ref.table->broadcast) {
      ++broadcast_refs;
      continue;
    }
    if (ref.table) {
      if (ref.nested) {
        if (!nested_sharded) nested_sharded = &ref;
      } else {
        if (top_sharded++ == 0) first_sharded = r;
      }
      continue;
    }
    const int c = topo_->default_cluster(ref.schema_config);
    if (!unsharded) {
      unsharded = &ref;
      unsharded_cluster = c;
    } else if (c != unsharded_cluster) {
      unsharded_spread = true;
    }
  }

  if (parsed_.kind == statement_kind::ddl) return route_ddl(plan, explain);
  if (parsed_.kind == statement_kind::other && !cfg.schemas.empty()) {
    // SQL-level PREPARE hides its statement in a string: it could run anywhere.
    if (parsed_.is_keyword(0, sql::keyword_id("PREPARE")) ||
        parsed_.is_keyword(0, sql::keyword_id("EXECUTE")))
      return refuse(plan, er::not_supported_yet, "42000",
                    "SQL-level PREPARE / EXECUTE cannot be routed by shard key yet; use "
                    "client-side or protocol-level prepared statements");
  }

  if (nested_sharded)
    return refuse(plan, er::not_supported_yet, "42000",
                  std::string("sharded table ") + table_name(*nested_sharded) +
                      " is used in a subquery, derived table, CTE, UNION branch, or a statement "
                      "kind ShardGate cannot route by key; that is not supported yet");
  if (broadcast_refs > 0 && top_sharded == 0 && !unsharded_spread)
    return route_broadcast(plan, unsharded, unsharded_cluster, explain);
  if (broadcast_refs > 0 && top_sharded > 0 && plan.write) {
    for (const auto& ref : parsed_.tables)
      if (ref.table && ref.table->broadcast && !ref.nested)
        return refuse(plan, er::not_supported_yet, "42000",
                      std::string(kind_word(kind)) + " names broadcast table " + table_name(ref) +
                          " and sharded table " + table_name(parsed_.tables[first_sharded]) +
                          ": ShardGate cannot tell which one it writes, and a write to the "
                          "broadcast table on the sharded table's shards only would make its "
                          "copies diverge; write the broadcast table on its own");
  }
  if (top_sharded == 0) {
    if (unsharded_spread)
      return refuse(plan, er::not_supported_yet, "42000",
                    "the statement uses unsharded tables that live on different clusters");
    plan.clusters.push_back(unsharded ? unsharded_cluster : default_cluster);
    plan.tableless = !unsharded;
    if (explain)
      plan.reason = unsharded ? "unsharded table " + table_name(*unsharded) + " -> " +
                                    cfg.clusters[plan.clusters[0]].name
                              : std::string("no table -> default cluster ") +
                                    cfg.clusters[plan.clusters[0]].name;
    return;
  }
  if (unsharded)
    return refuse(plan, er::not_supported_yet, "42000",
                  "the statement combines sharded table " +
                      table_name(parsed_.tables[first_sharded]) + " with unsharded table " +
                      table_name(*unsharded) + " (which lives only on cluster " +
                      cfg.clusters[unsharded_cluster].name + ")");

  if (kind == statement_kind::insert || kind == statement_kind::replace) {
    route_insert(s, plan, explain);
    if (broadcast_refs > 0 && plan.action != route_action::refuse &&
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

  // SELECT / UPDATE / DELETE / SHOW / EXPLAIN / CALL / SET ... on sharded tables.
  const table_ref& lead = parsed_.tables[first_sharded];
  plan.table = lead.table;
  if (kind != statement_kind::select && kind != statement_kind::update &&
      kind != statement_kind::delete_ && parsed_.kind != statement_kind::show)
    return refuse(plan, er::not_supported_yet, "42000",
                  std::string("this kind of statement (") + sql::statement_kind_name(parsed_.kind) +
                      ") cannot name sharded table " + table_name(lead) + " yet");

  // Every sharded table must share the placement of the first one, and the tables must be
  // joined on their shard keys (or all be pinned to the same one shard).
  bool all = false;
  key_clusters(first_sharded, plan.clusters, all);
  // Some table's own key matches no row (key = NULL): then no row of the statement can.
  bool nothing_matches = plan.clusters.empty();
  if (top_sharded > 1) {
    std::vector<bool> joined(parsed_.tables.size(), false);
    joined[first_sharded] = true;
    for (bool grew = true; grew;) {
      grew = false;
      for (auto [a, b] : parsed_.key_joins) {
        if (joined[a] != joined[b]) {
          joined[a] = joined[b] = true;
          grew = true;
        }
      }
    }
    bool connected = true;
    for (std::uint32_t r = 0; r < parsed_.tables.size(); ++r) {
      const table_ref& ref = parsed_.tables[r];
      if (!ref.table || ref.nested || ref.table->broadcast || r == first_sharded) continue;
      if (ref.table->colocation != lead.table->colocation)
        return refuse(plan, er::not_supported_yet, "42000",
                      "tables " + table_name(lead) + " and " + table_name(ref) +
                          " are sharded independently; joining them across shards is not "
                          "supported yet (co-locate them with same_as)");
      bool ref_all = false;
      key_clusters(r, scratch_, ref_all);
      if (scratch_.empty()) nothing_matches = true;
      if (!joined[r]) connected = false;
      // Both restrict the rows: only the clusters in both can hold matching rows.
      scratch2_.clear();
      for (int c : plan.clusters)
        if (contains(scratch_, c)) scratch2_.push_back(c);
      plan.clusters.swap(scratch2_);
      all = all && ref_all;
    }
    // Not joined on their keys and each pinned to other shards (a.k = 'x' AND b.k = 'y'):
    // the rows pair across shards, so no one shard can answer.
    if (!connected && (plan.clusters.size() > 1 || (plan.clusters.empty() && !nothing_matches)))
      return refuse(plan, er::not_supported_yet, "42000",
                    "the sharded tables of this statement are not joined on their shard keys, "
                    "so matching rows may sit on different shards");
    if (!connected && plan.clusters.size() == 1) {
      // Pinned to one shard: every table's own key must pin it there.
      for (std::uint32_t r = 0; r < parsed_.tables.size(); ++r) {
        const table_ref& ref = parsed_.tables[r];
        if (!ref.table || ref.nested || ref.table->broadcast) continue;
        bool ref_all = false;
        key_clusters(r, scratch_, ref_all);
        if (ref_all || scratch_.size() != 1)
          return refuse(plan, er::not_supported_yet, "42000",
                        "the sharded tables of this statement are not joined on their shard "
                        "keys, so matching rows may sit on different shards");
      }
    }
  }
  // Broadcast tables read along: each shard the statement runs on needs a copy.
  if (broadcast_refs > 0 &&
      !broadcast_covers(plan, plan.clusters, placement(*lead.table).clusters().front()))
    return;
  if (plan.clusters.empty()) {
    // No row can match (key = NULL, IN of NULLs): any one shard answers correctly.
    plan.clusters.push_back(placement(*lead.table).clusters().front());
    if (explain) plan.reason = "no key can match; one shard answers";
    return;
  }

  const char* key_text = lead.table->shard_key.c_str();
  if (parsed_.kind == statement_kind::show) {
    // EXPLAIN / DESCRIBE: one shard shows the plan or the table.
    plan.clusters.erase(plan.clusters.begin() + 1, plan.clusters.end());  // non-empty here
    if (explain) plan.reason = "EXPLAIN / SHOW on one shard of " + table_name(lead);
    return;
  }

  if (plan.write) {
    if (parsed_.assigns_key) {
      // Only a no-op "change" to the key's current value (ORMs write every column) is fine.
      bool same = false;
      if (parsed_.assigned_key_literal && plan.clusters.size() == 1 && !all) {
        const auto& tok = parsed_.tokens[parsed_.assigned_key.token];
        if (read_key(lead.table->key, tok.kind, tok.text(parsed_.text),
                     parsed_.assigned_key.negative, s.no_backslash_escapes, key_) == key_read::ok)
          same = placement(*lead.table).place(key_, why_) == plan.clusters[0];
      }
      if (!same)
        return refuse(plan, er::not_supported_yet, "42000",
                      std::string(kind_word(kind)) + " would change shard key " + key_text +
                          " of table " + table_name(lead) +
                          "; moving rows between shards is not supported (delete and insert "
                          "the row instead)");
    }
    if (all && plan.clusters.size() > 1 && lead.table->keyless == config::keyless_writes::reject)
      return refuse(plan, er::not_supported_yet, "42000",
                    std::string(kind_word(kind)) + " on sharded table " + table_name(lead) +
                        " needs its shard key " + key_text +
                        " in the WHERE clause (=, IN or BETWEEN with literal values); to run "
                        "it on every shard set keyless_writes: all_shards for the table");
    if (parsed_.order_or_limit && plan.clusters.size() > 1)
      return refuse(plan, er::not_supported_yet, "42000",
                    std::string(kind_word(kind)) +
                        " with ORDER BY or LIMIT across several shards is not supported");
    const char* blocker = parsed_.scatter_blocker ? parsed_.scatter_blocker : parsed_.merge_needed;
    if (blocker && plan.clusters.size() > 1)
      return refuse(plan, er::not_supported_yet, "42000",
                    std::string(kind_word(kind)) + " with " + blocker +
                        " across several shards is not supported yet");
    if (plan.clusters.size() > 1) {
      plan.action = route_action::fan_out;
      plan.combine = route_combine::ok;
      if (top_sharded == 1) rewrite_in_lists(first_sharded, plan);
    }
    if (explain) {
      plan.reason = std::string(kind_word(kind)) + " on " + table_name(lead) +
                    (all ? " without a usable key: every shard (keyless_writes: all_shards)"
                         : " by key " + std::string(key_text));
    }
    return;
  }

  // Reads.
  if (plan.clusters.size() > 1) {
    if (parsed_.scatter_blocker)
      return refuse(plan, er::not_supported_yet, "42000",
                    std::string("this SELECT reads sharded table ") + table_name(lead) +
                        (all ? " without a usable shard key" : " on several shards") +
                        " and uses " + parsed_.scatter_blocker +
                        "; merging that across shards is not supported");
    plan.action = route_action::fan_out;
    plan.combine = route_combine::rows;
    if (parsed_.merge_needed) {
      // ORDER BY, LIMIT, aggregates, GROUP BY, HAVING, DISTINCT: the shards run a rewritten
      // statement and ShardGate merges their rows.
      if (!plan_scatter_merge(parsed_, plan.merge, merge_sql_, why_))
        return refuse(plan, er::not_supported_yet, "42000",
                      std::string("this SELECT reads sharded table ") + table_name(lead) +
                          (all ? " without a usable shard key" : " on several shards") +
                          " and uses " + why_ + ", which cannot be merged across shards exactly");
      plan.combine = route_combine::merge;
      plan.rewritten = true;
      if (plan.texts.size() < plan.clusters.size()) plan.texts.resize(plan.clusters.size());
      for (std::size_t k = 0; k < plan.clusters.size(); ++k) plan.texts[k] = merge_sql_;
    } else if (top_sharded == 1) {
      rewrite_in_lists(first_sharded, plan);
    }
  }
  if (explain) {
    plan.reason =
        "SELECT on " + table_name(lead) +
        (all ? " without a usable key " + std::string(key_text) + ": every shard"
             : " by key " + std::string(key_text)) +
        (plan.rewritten && plan.combine == route_combine::rows ? " (IN-list split per shard)" : "");
    if (plan.combine == route_combine::merge)
      plan.reason += std::string("; merged by ShardGate (") + merge_mode_name(plan.merge.mode) +
                     (plan.merge.has_limit ? ", limit" : "") +
                     (plan.merge.distinct ? ", distinct" : "") +
                     (plan.merge.having_root >= 0 ? ", having" : "") + ")";
  }
}

void router::route_insert(const session_view& s, route_plan& plan, bool explain) {
  const table_ref& target = parsed_.tables[0];
  const config::table_config& t = *target.table;
  plan.table = &t;
  const table_placement& p = placement(t);
  auto name = [&] { return table_name(target); };
  const char* verb = kind_word(parsed_.kind);
  if (parsed_.insert_select)
    return refuse(
        plan, er::not_supported_yet, "42000",
        std::string(verb) + " ... SELECT into sharded table " + name() + " is not supported yet");
  if (parsed_.assigns_key)
    return refuse(
        plan, er::not_supported_yet, "42000",
        "ON DUPLICATE KEY UPDATE would change shard key " + t.shard_key + " of table " + name());
  if (parsed_.insert_values && parsed_.key_column < 0)
    return refuse(plan, er::no_default_for_field, "HY000",
                  "Field '" + t.shard_key + "' doesn't have a default value: " + verb +
                      " into sharded table " + name() +
                      (parsed_.insert_has_columns ? " must give its shard key column"
                                                  : " needs a column list naming its shard key"));
  if (parsed_.rows.empty())
    return refuse(plan, er::no_default_for_field, "HY000",
                  "Field '" + t.shard_key + "' doesn't have a default value: " + verb +
                      " into sharded table " + name() + " must set its shard key");
  // Place every row.
  plan.clusters.clear();
  scratch_.clear();  // cluster of each row
  for (std::size_t i = 0; i < parsed_.rows.size(); ++i) {
    const insert_row& row = parsed_.rows[i];
    // Error texts are built only when a row is refused.
    auto row_no = [&] {
      return parsed_.rows.size() > 1 ? " (row " + std::to_string(i + 1) + ")" : std::string();
    };
    if (!row.key_is_literal)
      return refuse(plan, er::wrong_value, "HY000",
                    "the shard key " + t.shard_key + " of " + name() + row_no() +
                        " must be a literal value, not an expression");
    const auto& tok = parsed_.tokens[row.key.token];
    const key_read r = read_key(t.key, tok.kind, tok.text(parsed_.text), row.key.negative,
                                s.no_backslash_escapes, key_);
    if (r == key_read::null_key)
      return refuse(plan, er::bad_null, "23000",
                    "Column '" + t.shard_key + "' cannot be null: it is the shard key of " +
                        name() + row_no());
    if (r != key_read::ok) {
      std::string what = config::key_kind_name(t.key.kind);
      if (t.key.pattern) what += " matching " + t.key.pattern->source();
      return refuse(plan, er::wrong_value, "HY000",
                    "Incorrect shard key value " + std::string(tok.text(parsed_.text)) +
                        " for column " + t.shard_key + " of table " + name() + row_no() +
                        ": expected " + (r == key_read::cannot_tell ? "a literal " : "") + what);
    }
    const int c = p.place(key_, why_);
    if (c < 0)
      return refuse(
          plan, er::unknown_error, "HY000",
          "cannot place shard key " + key_.text + " of table " + name() + row_no() + ": " + why_);
    scratch_.push_back(c);
    if (!contains(plan.clusters, c)) plan.clusters.push_back(c);
  }
  plan.first_row_cluster = scratch_[0];
  const char* blocker = parsed_.scatter_blocker ? parsed_.scatter_blocker : parsed_.merge_needed;
  if (blocker && plan.clusters.size() > 1)
    return refuse(plan, er::not_supported_yet, "42000",
                  std::string(verb) + " with " + blocker +
                      " whose rows go to several shards is not supported yet");
  if (plan.clusters.size() > 1) {
    plan.action = route_action::fan_out;
    plan.combine = route_combine::ok;
    plan.rewritten = true;
    if (plan.texts.size() < plan.clusters.size()) plan.texts.resize(plan.clusters.size());
    const std::string_view text = parsed_.text;
    const std::string_view prefix = text.substr(0, parsed_.rows_start);
    const std::string_view suffix = text.substr(parsed_.rows_end);
    for (std::size_t k = 0; k < plan.clusters.size(); ++k) plan.texts[k].assign(prefix);
    placed_.assign(plan.clusters.size(), 0);
    for (std::size_t i = 0; i < parsed_.rows.size(); ++i) {
      const std::size_t k = static_cast<std::size_t>(
          std::find(plan.clusters.begin(), plan.clusters.end(), scratch_[i]) -
          plan.clusters.begin());
      const auto& row = parsed_.rows[i];
      const std::uint32_t b = parsed_.tokens[row.open].offset;
      const std::uint32_t e = parsed_.tokens[row.close].offset + 1;
      if (placed_[k]) plan.texts[k] += ',';
      placed_[k] = true;
      plan.texts[k].append(text.substr(b, e - b));
    }
    for (std::size_t k = 0; k < plan.clusters.size(); ++k) plan.texts[k].append(suffix);
  }
  if (explain) {
    plan.reason = std::string(verb) + " into " + name() + ": " +
                  std::to_string(parsed_.rows.size()) + " row(s) by " + t.shard_key + " (" +
                  p.explain(key_) + " for the last row)";
  }
}

void router::route_ddl(route_plan& plan, bool explain) {
  const auto& cfg = topo_->config();
  plan.write = true;
  plan.combine = route_combine::ddl;
  if (!parsed_.ddl_database.empty()) {
    // CREATE / ALTER / DROP DATABASE: every cluster the schema uses.
    const config::schema_config* schema = cfg.find_schema(parsed_.ddl_database);
    plan.clusters.push_back(topo_->default_cluster(schema));
    if (schema)
      for (const auto& t : schema->tables)
        for (int c : placement(t).clusters())
          if (!contains(plan.clusters, c)) plan.clusters.push_back(c);
    if (plan.clusters.size() > 1) plan.action = route_action::fan_out;
    if (explain) plan.reason = "database DDL on every cluster of schema " + parsed_.ddl_database;
    return;
  }
  bool first = true;
  const table_ref* first_ref = nullptr;
  for (const auto& ref : parsed_.tables) {
    if (ref.name.empty()) continue;
    if (ref.nested && ref.table && ref.table->broadcast)
      return refuse(plan, er::not_supported_yet, "42000",
                    "this DDL reads broadcast table " + table_name(ref) +
                        " (a view, routine, trigger or CREATE ... SELECT over it would exist on "
                        "one cluster only); create it on each cluster with a routing hint");
    if (ref.nested && ref.table)
      return refuse(plan, er::not_supported_yet, "42000",
                    "this DDL reads sharded table " + table_name(ref) +
                        " (a view, routine, trigger or CREATE ... SELECT over a sharded table "
                        "would see one shard only)");
    if (ref.nested) continue;
    scratch_.clear();
    if (ref.table) {
      scratch_ = placement(*ref.table).clusters();
    } else {
      scratch_.push_back(topo_->default_cluster(ref.schema_config));
    }
    if (first) {
      plan.clusters = scratch_;
      first_ref = &ref;
      if (ref.table) plan.table = ref.table;
      first = false;
    } else {
      std::vector<int> a = plan.clusters, b = scratch_;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      if (a != b)
        return refuse(plan, er::not_supported_yet, "42000",
                      "this DDL names tables " + table_name(*first_ref) + " and " +
                          table_name(ref) +
                          " that live on different clusters; run it once per table");
    }
  }
  if (plan.clusters.empty()) {
    plan.clusters.push_back(topo_->default_cluster(nullptr));
  }
  if (plan.clusters.size() > 1) plan.action = route_action::fan_out;
  if (explain) {
    plan.reason = first_ref ? "DDL on " + table_name(*first_ref) + ": " +
                                  std::to_string(plan.clusters.size()) + " cluster(s)"
                            : "DDL without a table: default cluster";
  }
}

// ---- broadcast tables ------------------------------------------------------------------

bool router::has_broadcast_copies(int cluster) const {
  for (const auto& ref : parsed_.tables)
    if (!ref.name.empty() && ref.table && ref.table->broadcast &&
        !contains(topo_->placement(*ref.table).clusters(), cluster))
      return false;
  return true;
}

bool router::broadcast_covers(route_plan& plan, const std::vector<int>& clusters, int fallback) {
  const auto& cfg = topo_->config();
  for (const auto& ref : parsed_.tables) {
    if (ref.name.empty() || !ref.table || !ref.table->broadcast) continue;
    const auto& copies = placement(*ref.table).clusters();
    int missing = -1;
    for (int c : clusters)
      if (!contains(copies, c)) missing = c;
    if (clusters.empty() && fallback >= 0 && !contains(copies, fallback)) missing = fallback;
    if (missing < 0) continue;
    std::string message = "broadcast table " + table_name(ref) + " has no copy on shard " +
                          cfg.clusters[missing].name + ", which this statement needs" +
                          (plan.table ? " for sharded table " + plan.table->name : std::string()) +
                          "; add " + cfg.clusters[missing].name + " to the clusters of " +
                          ref.table->name;
    refuse(plan, er::not_supported_yet, "42000", std::move(message));
    return false;
  }
  return true;
}

void router::route_broadcast(route_plan& plan, const table_ref* unsharded, int unsharded_cluster,
                             bool explain) {
  const auto& cfg = topo_->config();
  // The broadcast table that leads: the first at the top level (the one written), else
  // the first named.
  const table_ref* lead = nullptr;
  for (const auto& ref : parsed_.tables) {
    if (ref.name.empty() || !ref.table || !ref.table->broadcast) continue;
    if (!lead || (lead->nested && !ref.nested)) lead = &ref;
  }
  const table_placement& lead_p = placement(*lead->table);
  plan.table = lead->table;
  const statement_kind kind =
      parsed_.kind == statement_kind::show && parsed_.explained != statement_kind::empty
          ? parsed_.explained
          : parsed_.kind;
  const bool read = parsed_.kind == statement_kind::select || parsed_.kind == statement_kind::show;
  bool load = false;
  if (!read && !plan.write) {
    // Statements ShardGate does not parse (their tables were found by name): only LOAD
    // DATA / LOAD XML, a write of the table's rows, can be sent to every copy.
    load =
        word_is(parsed_, 0, "LOAD") && (word_is(parsed_, 1, "DATA") || word_is(parsed_, 1, "XML"));
    if (!load)
      return refuse(plan, er::not_supported_yet, "42000",
                    std::string("this kind of statement (") +
                        sql::statement_kind_name(parsed_.kind) + ") cannot name broadcast table " +
                        table_name(*lead) + " yet");
    for (std::size_t i = 2; i < parsed_.tokens.size() && !word_is(parsed_, i, "INFILE"); ++i)
      if (word_is(parsed_, i, "LOCAL"))
        return refuse(plan, er::not_supported_yet, "42000",
                      "LOAD ... LOCAL INFILE into broadcast table " + table_name(*lead) +
                          " is not supported (the client's file would have to reach every "
                          "copy); load it with INSERT statements");
    plan.write = true;
  }

  // A write of an unsharded table that only reads broadcast tables (in a subquery) runs
  // where the unsharded table is, like a read.
  if (plan.write && (!lead->nested || load || !unsharded)) {
    // A write: every copy runs it. Another broadcast table written along (multi-table
    // UPDATE / DELETE) must have the same copies; one only read (a subquery) a copy on
    // each of them.
    const auto& copies = lead_p.clusters();
    for (const auto& ref : parsed_.tables) {
      if (ref.name.empty() || !ref.table || !ref.table->broadcast || &ref == lead) continue;
      const auto& other = placement(*ref.table).clusters();
      const bool fits = ref.nested ? std::all_of(copies.begin(), copies.end(),
                                                 [&](int c) { return contains(other, c); })
                                   : other == copies;
      if (!fits)
        return refuse(plan, er::not_supported_yet, "42000",
                      std::string(kind_word(kind)) + " names broadcast tables " +
                          table_name(*lead) + " and " + table_name(ref) +
                          ", which are copied to different clusters; every copy of " +
                          table_name(*lead) + " must be able to run it");
    }
    if (unsharded)
      return refuse(plan, er::not_supported_yet, "42000",
                    std::string(kind_word(kind)) + " on broadcast table " + table_name(*lead) +
                        " names unsharded table " + table_name(*unsharded) +
                        ", which lives only on cluster " + cfg.clusters[unsharded_cluster].name +
                        "; every copy runs the write, so its copies would diverge");
    if (copies.size() > 1) {
      if (parsed_.order_or_limit)
        return refuse(plan, er::not_supported_yet, "42000",
                      std::string(kind_word(kind)) + " with ORDER BY or LIMIT on broadcast table " +
                          table_name(*lead) +
                          " is not supported: the copies could pick different rows");
      if (parsed_.scatter_blocker)
        return refuse(plan, er::not_supported_yet, "42000",
                      std::string(kind_word(kind)) + " with " + parsed_.scatter_blocker +
                          " on broadcast table " + table_name(*lead) +
                          " is not supported: it runs on every copy, which would answer (or "
                          "write) differently");
      // Functions whose value differs from one server or connection to the next.
      static constexpr std::string_view varying[] = {
          "LAST_INSERT_ID", "FOUND_ROWS", "ROW_COUNT",  "CONNECTION_ID", "NEXTVAL", "LASTVAL",
          "RAND",           "UUID",       "UUID_SHORT", "SYS_GUID",      "SYSDATE"};
      for (std::size_t i = 0; i + 1 < parsed_.tokens.size(); ++i) {
        if (parsed_.tokens[i + 1].kind != sql::token_kind::lparen) continue;
        for (const auto word : varying)
          if (word_is(parsed_, i, word))
            return refuse(plan, er::not_supported_yet, "42000",
                          std::string(kind_word(kind)) + " with " + std::string(word) +
                              "() on broadcast table " + table_name(*lead) +
                              " is not supported: every copy would compute its own value, so "
                              "the copies would diverge; compute it in the application");
      }
      plan.action = route_action::fan_out;
      plan.combine = route_combine::broadcast;
    }
    plan.clusters = copies;
    if (explain)
      plan.reason = std::string(kind_word(kind)) + " on broadcast table " + table_name(*lead) +
                    ": every copy (" + std::to_string(copies.size()) + " cluster(s))";
    return;
  }

  // A read (or a write of an unsharded table): one cluster holding a copy of every
  // broadcast table named.
  scratch_.assign(lead_p.clusters().begin(), lead_p.clusters().end());
  for (const auto& ref : parsed_.tables) {
    if (ref.name.empty() || !ref.table || !ref.table->broadcast || &ref == lead) continue;
    const auto& other = placement(*ref.table).clusters();
    std::erase_if(scratch_, [&](int c) { return !contains(other, c); });
    if (scratch_.empty())
      return refuse(plan, er::not_supported_yet, "42000",
                    "broadcast tables " + table_name(*lead) + " and " + table_name(ref) +
                        " have no cluster in common, so no one shard can answer");
  }
  if (unsharded) {
    // Where the unsharded table is, if a copy is there too.
    if (!contains(scratch_, unsharded_cluster))
      return refuse(plan, er::not_supported_yet, "42000",
                    "the statement combines broadcast table " + table_name(*lead) +
                        " with unsharded table " + table_name(*unsharded) +
                        ", which lives on cluster " + cfg.clusters[unsharded_cluster].name +
                        " where " + lead->table->name + " has no copy");
    plan.clusters.push_back(unsharded_cluster);
    if (explain)
      plan.reason = "broadcast table " + table_name(*lead) + " with unsharded table " +
                    table_name(*unsharded) + " -> " + cfg.clusters[unsharded_cluster].name;
    return;
  }
  const int first = lead_p.first_copy();
  plan.clusters.push_back(contains(scratch_, first) ? first : scratch_.front());
  plan.broadcast_read = true;
  if (explain)
    plan.reason = "read of broadcast table " + table_name(*lead) + ": one copy, " +
                  cfg.clusters[plan.clusters[0]].name;
}

}  // namespace shardgate::routing
