// The router (router.hpp): DDL - on every shard for sharded and broadcast tables, on the
// owning cluster otherwise.
#include <algorithm>

#include "protocol/errors.hpp"
#include "routing/router.hpp"
#include "routing/router_words.hpp"

namespace shardgate::routing {

using sql::statement_kind;
namespace er = protocol::er;

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

}  // namespace shardgate::routing
