// The router: turns one SQL statement into a plan - which clusters run it, with which
// text, and how their replies combine - or a refusal that says why. Pure (no I/O); one
// router per session thread, reused across statements (no per-statement allocation for
// single-shard statements).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/errors.hpp"
#include "routing/parse_cache.hpp"
#include "routing/placement.hpp"
#include "routing/scatter_plan.hpp"
#include "routing/statement_parser.hpp"

namespace shardgate::routing {

struct session_view {
  std::string_view schema;  // the session's current database
  bool ansi_quotes = false;
  bool no_backslash_escapes = false;
};

enum class route_action : std::uint8_t {
  single,   // run the text on clusters[0]
  fan_out,  // run on every cluster of `clusters` (texts[k] or the original text)
  refuse,   // answer `error`
};

enum class route_combine : std::uint8_t {
  none,   // single
  rows,   // concatenate the result rows of every shard (one set of column definitions)
  merge,  // reads merged by ShardGate as `merge` says (texts: the rewritten statement)
  ok,     // writes: sum affected rows; last insert id from the shard that got row 1
  ddl,    // every shard must succeed; a failure names the shards that did and did not
  // A write to a broadcast table: every copy must succeed; the client gets one copy's OK
  // (the first cluster's affected rows, not a sum); a failure names the shards where the
  // write was and was not applied.
  broadcast,
};

const char* route_action_name(route_action a) noexcept;
const char* route_combine_name(route_combine c) noexcept;

struct route_plan {
  route_action action = route_action::single;
  route_combine combine = route_combine::none;
  sql::statement_kind kind = sql::statement_kind::empty;
  bool write = false;
  std::vector<int> clusters;  // indexes into config::clusters
  // fan_out with rewritten texts: texts[k] is the statement for clusters[k]; when
  // `rewritten` is false every cluster runs the original text.
  bool rewritten = false;
  std::vector<std::string> texts;
  int first_row_cluster = -1;  // INSERT: the cluster that got the statement's first row
  // No table decided the cluster (SELECT 1, SET, BEGIN, ...): the session may run it where
  // its transaction is.
  bool tableless = false;
  // A read of broadcast tables only (single, on the first copy): the session may run it on
  // any other cluster holding a copy of each (router::has_broadcast_copies), e.g. where
  // its transaction is open.
  bool broadcast_read = false;
  // A multi-statement text with a transaction statement (BEGIN, COMMIT, SAVEPOINT, ...) or
  // DDL (an implicit COMMIT): it would end a transaction only on the cluster it runs on.
  bool ends_transaction = false;
  bool multi_statement = false;  // the text holds several statements
  protocol::mysql_error error;
  std::string reason;  // why this plan (filled when explaining)
  // The sharded table that decided the route (null: none).
  const config::table_config* table = nullptr;
  // combine == merge: how the shards' rows are merged.
  merge_spec merge;

  void clear();
};

class router {
 public:
  explicit router(std::shared_ptr<const topology> topo) : topo_(std::move(topo)) {}

  // `explain`: also fill plan.reason (for `shardgate route` and logs).
  void route(std::string_view sql, const session_view& session, route_plan& plan,
             bool explain = false);

  // Where a key of `table` lives (for `shardgate route --table T --key V`).
  void route_key(const config::table_config& table, std::string_view key, route_plan& plan);

  // After a plan with broadcast_read: whether `cluster` holds a copy of every broadcast
  // table the statement reads.
  bool has_broadcast_copies(int cluster) const;

  const topology& topo() const noexcept { return *topo_; }
  const parsed_statement& parsed() const noexcept { return parsed_; }
  // The parses it remembers by statement shape (hits and misses, for tests and metrics).
  const parse_cache& parses() const noexcept { return parse_cache_; }

 private:
  // What a statement's table references are, sorted for routing.
  struct table_census {
    const table_ref* nested_sharded = nullptr;  // the first sharded table below the top level
    const table_ref* unsharded = nullptr;       // the first unsharded table
    int unsharded_cluster = -1;                 // its cluster
    bool unsharded_spread = false;              // unsharded tables on different clusters
    std::uint32_t top_sharded = 0;              // sharded tables at the top level
    std::uint32_t first_sharded = 0;            // the first of them (index in parsed_.tables)
    std::uint32_t broadcast_refs = 0;  // broadcast tables: on every shard, they do not route
  };

  void route_one(std::string_view sql, const session_view& session, route_plan& plan, bool explain);
  // Text the parser could not read: the default cluster, unless it names a sharded table.
  void route_unreadable(std::string_view sql, route_plan& plan, int default_cluster, bool explain);
  table_census take_census() const;
  // SELECT / UPDATE / DELETE / EXPLAIN / SHOW on sharded tables (router_sharded.cpp).
  void route_sharded(const session_view& s, route_plan& plan, sql::statement_kind kind,
                     const table_census& t, bool explain);
  void route_sharded_write(const session_view& s, route_plan& plan, sql::statement_kind kind,
                           const table_census& t, bool all, bool explain);
  void route_sharded_read(route_plan& plan, const table_census& t, bool all, bool explain);
  void route_pieces(std::string_view sql, const session_view& session, route_plan& plan,
                    bool explain);
  void refuse(route_plan& plan, std::uint16_t code, const char* state, std::string message);
  // The clusters that may hold rows matching the WHERE for table ref `r`; false: a refusal
  // was written to the plan.
  void key_clusters(std::uint32_t r, std::vector<int>& out, bool& all);
  void route_insert(const session_view& s, route_plan& plan, bool explain);
  void route_ddl(route_plan& plan, bool explain);
  // Statements whose tables are broadcast tables (and unsharded ones, for reads).
  void route_broadcast(route_plan& plan, const table_ref* unsharded, int unsharded_cluster,
                       bool explain);
  // Sharded statements that also read broadcast tables: every cluster in `clusters` (or
  // `fallback` when empty) must hold a copy of each; false: a refusal was written.
  bool broadcast_covers(route_plan& plan, const std::vector<int>& clusters, int fallback);
  bool rewrite_in_lists(std::uint32_t r, route_plan& plan);
  std::string table_name(const table_ref& ref) const;
  // The session schema's configuration and a table's placement, remembered from the last
  // statement (sessions mostly stay in one schema and hit one table).
  const config::schema_config* current_schema(std::string_view name);
  const table_placement& placement(const config::table_config& table);

  std::shared_ptr<const topology> topo_;
  parsed_statement parsed_;
  parse_cache parse_cache_;
  key_value key_;
  key_value key_hi_;
  std::string why_;
  std::string merge_sql_;
  std::vector<int> scratch_;
  std::vector<int> scratch2_;
  std::vector<std::uint8_t> placed_;   // per target cluster, while building rewritten texts
  bool no_backslash_escapes_ = false;  // of the statement being routed
  bool schema_cached_ = false;
  std::string cached_schema_name_;
  const config::schema_config* cached_schema_ = nullptr;
  const config::table_config* cached_table_ = nullptr;
  const table_placement* cached_placement_ = nullptr;
};

}  // namespace shardgate::routing
