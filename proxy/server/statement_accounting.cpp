#include "server/statement_accounting.hpp"

#include <spdlog/spdlog.h>

#include "protocol/constants.hpp"
#include "server/generation.hpp"
#include "server/worker.hpp"
#include "sql/fingerprint.hpp"

namespace shardgate::server {

using namespace protocol;

metrics::route_kind statement_accounting::route_kind() const {
  if (!s_.routed || s_.plan.action == routing::route_action::refuse || s_.plan.clusters.empty())
    return metrics::route_kind::local;
  if (s_.plan.action == routing::route_action::single) return metrics::route_kind::single;
  if (s_.plan.combine == routing::route_combine::broadcast) return metrics::route_kind::broadcast;
  if (s_.plan.table &&
      s_.plan.clusters.size() < s_.gen->topology()->placement(*s_.plan.table).clusters().size())
    return metrics::route_kind::multi;
  return metrics::route_kind::scatter;
}

const std::string& statement_accounting::route_text(metrics::route_kind route) {
  route_text_ = metrics::route_kind_name(route);
  if (route == metrics::route_kind::local) return route_text_;
  for (std::size_t k = 0; k < s_.plan.clusters.size(); ++k) {
    if (k == 8) {
      route_text_ += ",... (" + std::to_string(s_.plan.clusters.size()) + ")";
      break;
    }
    route_text_ += k ? ',' : ' ';
    route_text_ += s_.config->clusters[static_cast<std::size_t>(s_.plan.clusters[k])].name;
  }
  return route_text_;
}

void statement_accounting::account(std::uint8_t cmd, std::uint32_t statement_id,
                                   std::uint64_t micros, bool metrics_on, std::uint32_t slow_ms,
                                   metrics::query_stats* stats, bool killed) {
  const metrics::route_kind route = route_kind();
  if (metrics_on) {
    metrics::worker_metrics& m = worker_.metrics();
    const auto r = static_cast<std::size_t>(route);
    const auto kind = s_.routed ? s_.plan.kind : sql::statement_kind::other;
    ++m.statements[static_cast<std::size_t>(kind)][r];
    if (route == metrics::route_kind::single) {
      s_.gen->cluster_metrics(s_.plan.clusters[0]).latency[r].observe(micros);
    } else {
      m.fan_out_latency[r].observe(micros);
      if (route != metrics::route_kind::local) {
        m.fan_out(s_.plan.clusters.size());
        for (int c : s_.plan.clusters) ++s_.gen->cluster_metrics(c).fan_out_legs;
      }
    }
    if (killed) ++m.statements_killed;
  }
  const bool slow = slow_ms != 0 && micros >= std::uint64_t{slow_ms} * 1000;
  if (!stats && !slow) return;
  std::string_view text;
  std::string_view fp;
  std::uint64_t hash = 0;
  session::client_statement* st = nullptr;
  if (cmd == static_cast<std::uint8_t>(command::stmt_execute))
    st = s_.statements.find(statement_id);
  if (st) {
    // A prepared statement's fingerprint is computed once.
    text = st->sql;
    if (st->fingerprint.empty())
      st->fingerprint_hash = sql::fingerprint(text, st->fingerprint, s_.modes.no_backslash_escapes);
    fp = st->fingerprint;
    hash = st->fingerprint_hash;
  } else {
    if (!client_.payload.empty() && client_.payload[0] == static_cast<std::uint8_t>(command::query))
      text = as_string_view(byte_span(client_.payload).subspan(1));
    std::string& scratch = worker_.fingerprint_scratch();
    hash = sql::fingerprint(text, scratch, s_.modes.no_backslash_escapes);
    fp = scratch;
  }
  const std::string& route_shards = route_text(route);
  if (stats) stats->record(hash, fp, route_shards, micros, client_.reply_error != 0);
  if (!slow) return;
  if (metrics_on) ++worker_.metrics().slow_statements;
  constexpr std::size_t max_text = 4096;
  const std::string_view shown = text.substr(0, max_text);
  const char* more = text.size() > max_text ? "..." : "";
  const std::string error =
      client_.reply_error ? ", error " + std::to_string(client_.reply_error) : "";
  if (auto log = worker_.shared().slow_log())
    log->info("{:.3f} ms user {}@{} schema '{}' route {}{} fingerprint {:016x} | {} | {}{}",
              micros / 1000.0, s_.user, s_.peer, s_.state.schema, route_shards, error, hash, fp,
              shown, more);
  else
    spdlog::warn(
        "slow statement: {:.3f} ms, client {} {}@{}, schema '{}', route {}{}; fingerprint "
        "{:016x}: {}; statement: {}{}",
        micros / 1000.0, s_.id, s_.user, s_.peer, s_.state.schema, route_shards, error, hash, fp,
        shown, more);
}

}  // namespace shardgate::server
