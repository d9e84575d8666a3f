// What a statement leaves behind once its reply is out: the per-worker and per-cluster
// metrics (statements by kind and route, latency, fan-out, kills), the query statistics
// (by fingerprint) and the slow log.
#pragma once

#include <cstdint>
#include <string>

#include "metrics/query_stats.hpp"
#include "metrics/worker_metrics.hpp"
#include "server/client_channel.hpp"
#include "session/session_data.hpp"

namespace shardgate::server {

class worker;

class statement_accounting {
 public:
  statement_accounting(worker& owner, session::session_data& s, client_channel& client)
      : worker_(owner), s_(s), client_(client) {}

  // COM_QUERY / COM_STMT_EXECUTE (`cmd`, `statement_id`) took `micros`; `stats` (may be
  // null) are the query statistics, `slow_ms` the slow-log threshold (0: none), `killed`:
  // max_execution_ms killed it.
  void account(std::uint8_t cmd, std::uint32_t statement_id, std::uint64_t micros, bool metrics_on,
               std::uint32_t slow_ms, metrics::query_stats* stats, bool killed);

 private:
  metrics::route_kind route_kind() const;
  // "single shard0", "scatter shard0,shard1,..." (for the slow log and query statistics).
  const std::string& route_text(metrics::route_kind route);

  worker& worker_;
  session::session_data& s_;
  client_channel& client_;
  std::string route_text_;  // (scratch of route_text)
};

}  // namespace shardgate::server
