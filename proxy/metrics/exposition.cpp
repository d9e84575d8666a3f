#include "metrics/exposition.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <deque>
#include <limits>
#include <sstream>

#include "build_info/version.hpp"

namespace shardgate::metrics {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

const char* route_kind_name(route_kind k) noexcept {
  switch (k) {
    case route_kind::single:
      return "single";
    case route_kind::multi:
      return "multi";
    case route_kind::scatter:
      return "scatter";
    case route_kind::broadcast:
      return "broadcast";
    case route_kind::local:
      return "local";
  }
  return "?";
}

void totals::add(const worker_metrics& w) {
  for (std::size_t k = 0; k < statement_kinds; ++k)
    for (std::size_t r = 0; r < route_kinds; ++r) statements[k][r] += w.statements[k][r];
  for (std::size_t r = 0; r < route_kinds; ++r) fan_out_latency[r].add(w.fan_out_latency[r]);
  for (std::size_t i = 0; i < fan_out_shards.size(); ++i) fan_out_shards[i] += w.fan_out_shards[i];
  fan_out_count += w.fan_out_count;
  fan_out_sum += w.fan_out_sum;
  for (std::size_t c = 0; c < w.errors.size(); ++c)
    if (w.errors[c]) errors[static_cast<std::uint16_t>(c)] += w.errors[c];
  connections += w.connections;
  statements_killed += w.statements_killed;
  slow_statements += w.slow_statements;
  for (const auto& [name, c] : w.clusters) clusters[name].add(*c);
}

namespace {

struct family_builder {
  std::deque<MetricFamily> families;  // (stable references while families are added)

  MetricFamily& family(const char* name, const char* help, MetricType type) {
    families.push_back({name, help, type, {}});
    return families.back();
  }
  static ClientMetric& sample(MetricFamily& f, std::vector<ClientMetric::Label> labels) {
    f.metric.emplace_back();
    f.metric.back().label = std::move(labels);
    return f.metric.back();
  }
  static void counter(MetricFamily& f, std::vector<ClientMetric::Label> labels, double v) {
    sample(f, std::move(labels)).counter.value = v;
  }
  static void gauge(MetricFamily& f, std::vector<ClientMetric::Label> labels, double v) {
    sample(f, std::move(labels)).gauge.value = v;
  }
  // Buckets `counts` (not cumulative, one more than `bounds` for +Inf) with upper bounds
  // `bounds` / `divisor`.
  template <typename Bounds, typename Counts>
  static void fill(ClientMetric::Histogram& h, const Bounds& bounds, const Counts& counts,
                   double divisor) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      cumulative += counts[i];
      h.bucket.push_back({cumulative, static_cast<double>(bounds[i]) / divisor});
    }
    cumulative += counts[bounds.size()];
    h.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  }
  static void histogram(MetricFamily& f, std::vector<ClientMetric::Label> labels,
                        const metrics::histogram& h) {
    auto& m = sample(f, std::move(labels));
    m.histogram.sample_count = h.count;
    m.histogram.sample_sum = static_cast<double>(h.sum_us) / 1e6;
    fill(m.histogram, latency_bounds_us, h.buckets, 1e6);
  }
};

}  // namespace

std::string render(const scrape& s) {
  family_builder b;
  using F = family_builder;
  const auto& w = s.workers;

  {
    auto& f = b.family("shardgate_build_info", "ShardGate's version", MetricType::Gauge);
    F::gauge(f, {{"version", build_info::version()}, {"revision", build_info::git_revision()}}, 1);
    auto& t = b.family("shardgate_start_time_seconds", "When the process started (unix time)",
                       MetricType::Gauge);
    F::gauge(t, {}, s.start_time);
  }
  {
    auto& f = b.family("shardgate_statements_total",
                       "Statements (COM_QUERY and prepared executions) by kind and route",
                       MetricType::Counter);
    for (std::size_t k = 0; k < statement_kinds; ++k)
      for (std::size_t r = 0; r < route_kinds; ++r)
        if (w.statements[k][r])
          F::counter(f,
                     {{"type", sql::statement_kind_name(static_cast<sql::statement_kind>(k))},
                      {"route", route_kind_name(static_cast<route_kind>(r))}},
                     static_cast<double>(w.statements[k][r]));
  }
  {
    auto& f = b.family("shardgate_statement_duration_seconds",
                       "Statement latency as the client sees it (first byte in to last byte "
                       "out), by cluster for single-shard statements and by route (cluster "
                       "\"(several)\": multi-shard statements, \"(none)\": answered by "
                       "ShardGate)",
                       MetricType::Histogram);
    for (const auto& [name, c] : w.clusters)
      for (std::size_t r = 0; r < route_kinds; ++r)
        if (c.latency[r].count)
          F::histogram(f,
                       {{"cluster", name}, {"route", route_kind_name(static_cast<route_kind>(r))}},
                       c.latency[r]);
    for (std::size_t r = 0; r < route_kinds; ++r)
      if (w.fan_out_latency[r].count) {
        const auto route = static_cast<route_kind>(r);
        F::histogram(f,
                     {{"cluster", route == route_kind::local ? "(none)" : "(several)"},
                      {"route", route_kind_name(route)}},
                     w.fan_out_latency[r]);
      }
  }
  {
    auto& f = b.family("shardgate_fan_out_shards", "Shards one multi-shard statement ran on",
                       MetricType::Histogram);
    auto& m = F::sample(f, {});
    m.histogram.sample_count = w.fan_out_count;
    m.histogram.sample_sum = static_cast<double>(w.fan_out_sum);
    F::fill(m.histogram, fan_out_bounds, w.fan_out_shards, 1);
  }
  {
    auto& f = b.family("shardgate_cluster_statements_total",
                       "Statements (and legs of multi-shard statements) run on a cluster",
                       MetricType::Counter);
    auto& reads = b.family("shardgate_reader_statements_total",
                           "Autocommit reads a cluster's reader answered", MetricType::Counter);
    auto& retries = b.family("shardgate_writer_retries_total",
                             "Writes refused as read-only by a demoted writer and run again on "
                             "the new one",
                             MetricType::Counter);
    for (const auto& [name, c] : w.clusters) {
      std::uint64_t n = 0;
      for (const auto& h : c.latency) n += h.count;
      F::counter(f, {{"cluster", name}}, static_cast<double>(n + c.fan_out_legs));
      F::counter(reads, {{"cluster", name}}, static_cast<double>(c.reads_on_readers));
      F::counter(retries, {{"cluster", name}}, static_cast<double>(c.writer_retries));
    }
  }
  {
    auto& f = b.family("shardgate_errors_total",
                       "Error replies sent to clients, by MySQL error code", MetricType::Counter);
    for (const auto& [code, n] : w.errors)
      F::counter(f, {{"code", code ? std::to_string(code) : std::string("other")}},
                 static_cast<double>(n));
  }
  {
    auto& cc =
        b.family("shardgate_client_connections", "Client connections open now", MetricType::Gauge);
    F::gauge(cc, {}, s.client_connections);
    auto& mx = b.family("shardgate_client_connections_max", "listen.max_client_connections",
                        MetricType::Gauge);
    F::gauge(mx, {}, s.max_client_connections);
    auto& acc = b.family("shardgate_client_connections_total", "Client connections accepted",
                         MetricType::Counter);
    F::counter(acc, {}, static_cast<double>(w.connections));
    auto& fl = b.family("shardgate_client_logins_failed_total",
                        "Logins refused for a wrong user or password", MetricType::Counter);
    F::counter(fl, {}, static_cast<double>(s.failed_logins));
    auto& ld = b.family("shardgate_login_delays_total",
                        "Login attempts answered only after a delay: the (user, address) pair "
                        "failed too often (listen.failed_logins)",
                        MetricType::Counter);
    F::counter(ld, {}, static_cast<double>(s.delayed_logins));
    auto& bl = b.family("shardgate_client_logins_blocked_total",
                        "Connections refused because the client address is blocked after "
                        "connect errors (listen.connect_errors)",
                        MetricType::Counter);
    F::counter(bl, {}, static_cast<double>(s.blocked_logins));
    auto& ba = b.family("shardgate_client_addresses_blocked",
                        "Client addresses blocked now after connect errors", MetricType::Gauge);
    F::gauge(ba, {}, static_cast<double>(s.blocked_addresses));
    auto& bi = b.family("shardgate_client_bytes_received_total", "Bytes received from clients",
                        MetricType::Counter);
    F::counter(bi, {}, static_cast<double>(w.bytes_in));
    auto& bo =
        b.family("shardgate_client_bytes_sent_total", "Bytes sent to clients", MetricType::Counter);
    F::counter(bo, {}, static_cast<double>(w.bytes_out));
  }
  {
    auto& in_use = b.family("shardgate_backend_connections_in_use",
                            "Backend connections borrowed by statements or pinned sessions",
                            MetricType::Gauge);
    auto& idle = b.family("shardgate_backend_connections_idle",
                          "Backend connections idle in the pool", MetricType::Gauge);
    auto& waiting = b.family("shardgate_backend_connection_waiters",
                             "Statements waiting for a backend connection", MetricType::Gauge);
    auto& max = b.family("shardgate_backend_connections_max", "clusters.NAME.pool.max_connections",
                         MetricType::Gauge);
    auto& connects = b.family("shardgate_backend_connects_total", "Backend logins attempted",
                              MetricType::Counter);
    auto& connect_failures = b.family("shardgate_backend_connect_failures_total",
                                      "Backend logins that failed", MetricType::Counter);
    auto& timeouts =
        b.family("shardgate_backend_acquire_timeouts_total",
                 "Statements that found no free backend connection in time", MetricType::Counter);
    auto& breaker = b.family("shardgate_circuit_breaker_state",
                             "Circuit breaker: 0 closed, 1 half-open, 2 open (the worst over the "
                             "worker threads)",
                             MetricType::Gauge);
    auto& trips = b.family("shardgate_circuit_breaker_trips_total", "Times a breaker opened",
                           MetricType::Counter);
    auto& rejections = b.family("shardgate_circuit_breaker_rejections_total",
                                "Statements failed fast by an open breaker", MetricType::Counter);
    auto& up = b.family("shardgate_backend_up",
                        "The last health check reached the endpoint (clusters with readers)",
                        MetricType::Gauge);
    auto& writer = b.family("shardgate_backend_writer", "1 for the cluster's writer endpoint",
                            MetricType::Gauge);
    auto& lag =
        b.family("shardgate_replica_lag_seconds",
                 "Replication lag of a reader (-1: unknown or not replicating)", MetricType::Gauge);
    auto& checks =
        b.family("shardgate_health_checks_total", "Health checks run", MetricType::Counter);
    auto& failed = b.family("shardgate_health_check_failures_total", "Health checks that failed",
                            MetricType::Counter);
    for (const auto& e : s.endpoints) {
      std::vector<ClientMetric::Label> l{{"cluster", e.cluster}, {"endpoint", e.endpoint}};
      F::gauge(in_use, l, e.open - e.idle);
      F::gauge(idle, l, e.idle);
      F::gauge(waiting, l, e.waiting);
      F::gauge(max, l, e.max);
      F::counter(connects, l, static_cast<double>(e.connects));
      F::counter(connect_failures, l, static_cast<double>(e.connect_failures));
      F::counter(timeouts, l, static_cast<double>(e.acquire_timeouts));
      F::gauge(breaker, l, e.breaker);
      F::counter(trips, l, static_cast<double>(e.breaker_trips));
      F::counter(rejections, l, static_cast<double>(e.breaker_rejections));
      F::gauge(writer, l, e.writer ? 1 : 0);
      if (e.checked) {
        F::gauge(up, l, e.reachable ? 1 : 0);
        if (!e.writer) F::gauge(lag, l, e.lag_ms < 0 ? -1.0 : static_cast<double>(e.lag_ms) / 1000);
        F::counter(checks, l, static_cast<double>(e.checks));
        F::counter(failed, l, static_cast<double>(e.failed_checks));
      }
    }
    auto& changes = b.family("shardgate_writer_changes_total",
                             "Times the health checker found a new writer", MetricType::Counter);
    for (const auto& [cluster, n] : s.writer_changes)
      F::counter(changes, {{"cluster", cluster}}, static_cast<double>(n));
  }
  {
    auto& delayed =
        b.family("shardgate_rate_limited_delayed_total",
                 "Statements that waited for a rate limit's token", MetricType::Counter);
    auto& rejected = b.family("shardgate_rate_limited_rejected_total",
                              "Statements (rate limits) or logins (connection limits) refused "
                              "with error 1226",
                              MetricType::Counter);
    for (const auto& l : s.limits) {
      F::counter(delayed, {{"user", l.user}, {"limit", l.limit}}, static_cast<double>(l.delayed));
      F::counter(rejected, {{"user", l.user}, {"limit", l.limit}}, static_cast<double>(l.rejected));
    }
  }
  {
    auto& lookups = b.family("shardgate_lookup_requests_total",
                             "Directory lookups (strategy: directory) by lookup and result: hit "
                             "(the key is in the directory) or miss",
                             MetricType::Counter);
    for (const auto& [name, counts] : s.directory) {
      F::counter(lookups, {{"lookup", name}, {"result", "hit"}}, static_cast<double>(counts.first));
      F::counter(lookups, {{"lookup", name}, {"result", "miss"}},
                 static_cast<double>(counts.second));
    }
  }
  {
    auto& reloads = b.family("shardgate_config_reloads_total", "Configuration reloads by result",
                             MetricType::Counter);
    F::counter(reloads, {{"result", "ok"}}, static_cast<double>(s.reloads_ok));
    F::counter(reloads, {{"result", "failed"}}, static_cast<double>(s.reloads_failed));
    auto& info = b.family("shardgate_config_info",
                          "The configuration in use: its SHA-256 and generation (1 at start, +1 "
                          "per reload)",
                          MetricType::Gauge);
    F::gauge(info, {{"checksum", s.config_checksum}, {"generation", std::to_string(s.generation)}},
             1);
    auto& at = b.family("shardgate_config_loaded_time_seconds",
                        "When the configuration in use was loaded (unix time)", MetricType::Gauge);
    F::gauge(at, {}, s.config_loaded_at);
  }
  {
    auto& killed = b.family("shardgate_statements_killed_total",
                            "Statements killed on their server (max_execution_ms, "
                            "read_timeout_ms)",
                            MetricType::Counter);
    F::counter(killed, {}, static_cast<double>(w.statements_killed));
    auto& slow = b.family("shardgate_slow_statements_total",
                          "Statements over logging.slow_query_ms", MetricType::Counter);
    F::counter(slow, {}, static_cast<double>(w.slow_statements));
    auto& xa = b.family("shardgate_cross_shard_commit_failures_total",
                        "best_effort cross-shard COMMITs that committed on some shards only",
                        MetricType::Counter);
    F::counter(xa, {}, static_cast<double>(s.cross_shard_commit_failures));
    auto& sessions = b.family("shardgate_sessions", "Client sessions running (logged in or not)",
                              MetricType::Gauge);
    F::gauge(sessions, {}, static_cast<double>(w.sessions));
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(
      out, std::vector<MetricFamily>(std::make_move_iterator(b.families.begin()),
                                     std::make_move_iterator(b.families.end())));
  return out.str();
}

}  // namespace shardgate::metrics
