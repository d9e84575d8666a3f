// The router (router.hpp): broadcast tables (a copy on every shard) - reads from one
// shard, writes to all of them.
#include <algorithm>

#include "protocol/errors.hpp"
#include "routing/router.hpp"
#include "routing/router_words.hpp"

namespace shardgate::routing {

using sql::statement_kind;
namespace er = protocol::er;

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
