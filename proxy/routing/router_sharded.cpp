// The router (router.hpp): statements on sharded tables other than INSERT - SELECT,
// UPDATE, DELETE, EXPLAIN / SHOW - from the tables' key conditions to one shard, a fan-out,
// a merge, or a refusal that says why.
#include <algorithm>

#include "protocol/errors.hpp"
#include "routing/router.hpp"
#include "routing/router_words.hpp"

namespace shardgate::routing {

using sql::statement_kind;
namespace er = protocol::er;

void router::route_sharded(const session_view& s, route_plan& plan, statement_kind kind,
                           const table_census& t, bool explain) {
  // SELECT / UPDATE / DELETE / SHOW / EXPLAIN / CALL / SET ... on sharded tables.
  const table_ref& lead = parsed_.tables[t.first_sharded];
  plan.table = lead.table;
  if (kind != statement_kind::select && kind != statement_kind::update &&
      kind != statement_kind::delete_ && parsed_.kind != statement_kind::show)
    return refuse(plan, er::not_supported_yet, "42000",
                  std::string("this kind of statement (") + sql::statement_kind_name(parsed_.kind) +
                      ") cannot name sharded table " + table_name(lead) + " yet");

  // Every sharded table must share the placement of the first one, and the tables must be
  // joined on their shard keys (or all be pinned to the same one shard).
  bool all = false;
  key_clusters(t.first_sharded, plan.clusters, all);
  // Some table's own key matches no row (key = NULL): then no row of the statement can.
  bool nothing_matches = plan.clusters.empty();
  if (t.top_sharded > 1) {
    std::vector<bool> joined(parsed_.tables.size(), false);
    joined[t.first_sharded] = true;
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
      if (!ref.table || ref.nested || ref.table->broadcast || r == t.first_sharded) continue;
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
  if (t.broadcast_refs > 0 &&
      !broadcast_covers(plan, plan.clusters, placement(*lead.table).clusters().front()))
    return;
  if (plan.clusters.empty()) {
    // No row can match (key = NULL, IN of NULLs): any one shard answers correctly.
    plan.clusters.push_back(placement(*lead.table).clusters().front());
    if (explain) plan.reason = "no key can match; one shard answers";
    return;
  }

  if (parsed_.kind == statement_kind::show) {
    // EXPLAIN / DESCRIBE: one shard shows the plan or the table.
    plan.clusters.erase(plan.clusters.begin() + 1, plan.clusters.end());  // non-empty here
    if (explain) plan.reason = "EXPLAIN / SHOW on one shard of " + table_name(lead);
    return;
  }

  if (plan.write) return route_sharded_write(s, plan, kind, t, all, explain);
  route_sharded_read(plan, t, all, explain);
}

void router::route_sharded_write(const session_view& s, route_plan& plan, statement_kind kind,
                                 const table_census& t, bool all, bool explain) {
  const table_ref& lead = parsed_.tables[t.first_sharded];
  const char* key_text = lead.table->shard_key.c_str();
  if (parsed_.assigns_key) {
    // Only a no-op "change" to the key's current value (ORMs write every column) is fine.
    bool same = false;
    if (parsed_.assigned_key_literal && plan.clusters.size() == 1 && !all) {
      const auto& tok = parsed_.tokens[parsed_.assigned_key.token];
      if (read_key(lead.table->key, tok.kind, tok.text(parsed_.text), parsed_.assigned_key.negative,
                   s.no_backslash_escapes, key_) == key_read::ok)
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
    if (t.top_sharded == 1) rewrite_in_lists(t.first_sharded, plan);
  }
  if (explain) {
    plan.reason = std::string(kind_word(kind)) + " on " + table_name(lead) +
                  (all ? " without a usable key: every shard (keyless_writes: all_shards)"
                       : " by key " + std::string(key_text));
  }
}

void router::route_sharded_read(route_plan& plan, const table_census& t, bool all, bool explain) {
  const table_ref& lead = parsed_.tables[t.first_sharded];
  const char* key_text = lead.table->shard_key.c_str();
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
    } else if (t.top_sharded == 1) {
      rewrite_in_lists(t.first_sharded, plan);
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

}  // namespace shardgate::routing
