#include "backend/health_checker.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <charconv>

namespace shardgate::backend {

using namespace std::chrono_literals;

struct health_checker::probe {
  probe(asio::io_context& ctx, int c, int i, const config::cluster_config& cfg_)
      : cluster(c), index(i), cfg(&cfg_), wake(ctx) {}
  int cluster;
  int index;  // 0: the configured writer, 1..: the readers
  const config::cluster_config* cfg;
  backend_target target;
  std::unique_ptr<backend_connection> conn;
  asio::steady_timer wake;
  bool first = true;
  // What was last published (transitions are logged).
  bool reachable = true;
  bool lag_within = true;
  std::string lag_problem;     // the lag / heartbeat query failed (logged once)
  bool replica_syntax = true;  // SHOW REPLICA STATUS (else SHOW SLAVE STATUS, older servers)
  bool aurora_warned = false;
};

namespace {
bool parse_int(const std::optional<std::string>& v, std::int64_t& out) {
  if (!v) return false;
  const char* b = v->data();
  const char* e = b + v->size();
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && p != b;
}
}  // namespace

health_checker::health_checker(std::shared_ptr<const config::config> cfg,
                               std::shared_ptr<fleet_health> fleet,
                               std::shared_ptr<const net::tls_set> tls)
    : config_(std::move(cfg)),
      fleet_holder_(std::move(fleet)),
      fleet_(*fleet_holder_),
      context_(1) {
  for (std::size_t c = 0; c < config_->clusters.size(); ++c) {
    const auto& cc = config_->clusters[c];
    const auto endpoints = cc.endpoints();
    // A cluster of one endpoint has no writer to find and no reads to place: its pool's
    // circuit breaker alone watches it.
    if (endpoints.size() < 2) continue;
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
      auto p = std::make_unique<probe>(context_, static_cast<int>(c), static_cast<int>(i), cc);
      p->target = {cc.name,
                   endpoints[i],
                   cc.user,
                   cc.password,
                   std::min(cc.connect_timeout_ms, cc.health.timeout_ms),
                   static_cast<int>(c),
                   static_cast<int>(i),
                   cc.tls,
                   tls->clusters[c]};
      probes_.push_back(std::move(p));
    }
  }
  first_round_left_ = static_cast<std::uint32_t>(probes_.size());
  split_brain_logged_.assign(config_->clusters.size(), false);
}

health_checker::~health_checker() {
  stop();
}

void health_checker::start(std::chrono::milliseconds first_round) {
  for (auto& p : probes_)
    asio::co_spawn(context_, probe_loop(*p), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);  // (ends run(): logged and aborted below)
    });
  thread_ = std::thread([this] {
    try {
      context_.run();
    } catch (const std::exception& e) {
      spdlog::critical("health checker stopped by an exception: {}", e.what());
      std::abort();
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + first_round;
  while (first_round_left_.load(std::memory_order_acquire) > 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
}

void health_checker::stop() {
  if (stopped_.exchange(true)) return;
  if (!thread_.joinable()) return;
  asio::post(context_, [this] {
    for (auto& p : probes_) {
      p->wake.cancel();
      if (p->conn) p->conn->quit();
    }
  });
  thread_.join();
}

void health_checker::report_read_only(int cluster, int endpoint) {
  if (stopped_.load(std::memory_order_relaxed)) return;
  asio::post(context_, [this, cluster, endpoint] {
    // (The checks decide: a report alone never moves the writer.)
    spdlog::warn("cluster {}: a write was refused as read-only by {}; checking its topology now",
                 config_->clusters[static_cast<std::size_t>(cluster)].name,
                 config_->clusters[static_cast<std::size_t>(cluster)]
                     .endpoints()[static_cast<std::size_t>(endpoint)]
                     .to_string());
    wake_cluster(cluster);
  });
}

void health_checker::wake_cluster(int cluster) {
  for (auto& p : probes_)
    if (p->cluster == cluster) p->wake.cancel();
}

awaitable<void> health_checker::probe_loop(probe& p) {
  const auto interval = std::chrono::milliseconds(p.cfg->health.interval_ms);
  while (!stopped_.load(std::memory_order_relaxed)) {
    co_await check(p);
    if (stopped_.load(std::memory_order_relaxed)) break;
    p.wake.expires_after(interval);
    co_await p.wake.async_wait(nothrow_awaitable);
  }
  if (p.conn) p.conn->quit();
}

awaitable<void> health_checker::check(probe& p) {
  using namespace asio::experimental::awaitable_operators;
  bool reachable = false, writable = false;
  std::int64_t lag = -1;
  std::string problem;
  asio::steady_timer deadline(co_await asio::this_coro::executor);
  // The check must end in time (connecting first, if needed, has its own timeout on top).
  const bool connecting = !p.conn || p.conn->broken();
  deadline.expires_after(std::chrono::milliseconds(p.cfg->health.timeout_ms) +
                         std::chrono::milliseconds(connecting ? p.target.connect_timeout_ms : 0));
  auto outcome = co_await (check_once(p, reachable, writable, lag, problem) ||
                           deadline.async_wait(asio::use_awaitable));
  if (outcome.index() == 1) {
    reachable = false;
    problem = "no answer within health.timeout_ms=" + std::to_string(p.cfg->health.timeout_ms) +
              (connecting ? " (plus connect_timeout_ms to connect)" : "");
  }
  if (!reachable && p.conn) {
    p.conn->close();
    p.conn.reset();
  }
  checks_.fetch_add(1, std::memory_order_relaxed);

  cluster_health& ch = fleet_[p.cluster];
  endpoint_health& eh = ch.at(p.index);
  eh.checks.fetch_add(1, std::memory_order_relaxed);
  if (!reachable) {
    eh.failed_checks.fetch_add(1, std::memory_order_relaxed);
    eh.failures_in_a_row.fetch_add(1, std::memory_order_relaxed);
  } else {
    eh.failures_in_a_row.store(0, std::memory_order_relaxed);
  }
  eh.reachable.store(reachable, std::memory_order_relaxed);
  eh.writable.store(reachable && writable, std::memory_order_relaxed);
  eh.lag_ms.store(lag, std::memory_order_relaxed);

  const std::string ep = p.target.endpoint.to_string();
  if (p.reachable && !reachable)
    spdlog::warn("cluster {}: endpoint {} is unreachable: {}", p.target.cluster, ep, problem);
  else if (!p.reachable && reachable)
    spdlog::info("cluster {}: endpoint {} is reachable again", p.target.cluster, ep);
  p.reachable = reachable;
  if (ch.max_lag_ms() > 0 && reachable && !writable) {
    const bool within = within_lag_limit(p.lag_within, lag, ch.max_lag_ms());
    eh.lag_ok.store(within, std::memory_order_relaxed);
    if (p.lag_within && !within)
      spdlog::warn(
          "cluster {}: replica {} {} (max_replica_lag_ms {}): reads skip it until it catches up",
          p.target.cluster, ep,
          lag < 0 ? std::string("reports no replication lag (replication stopped?)")
                  : "lags " + std::to_string(lag) + " ms",
          ch.max_lag_ms());
    else if (!p.lag_within && within)
      spdlog::info("cluster {}: replica {} caught up (lag {} ms): it serves reads again",
                   p.target.cluster, ep, lag);
    p.lag_within = within;
  }
  decide_writer(p.cluster);
  if (p.first) {
    p.first = false;
    first_round_left_.fetch_sub(1, std::memory_order_release);
  }
}

awaitable<void> health_checker::check_once(probe& p, bool& reachable, bool& writable,
                                           std::int64_t& lag, std::string& problem) {
  if (!p.conn || p.conn->broken()) {
    p.conn = std::make_unique<backend_connection>(co_await asio::this_coro::executor);
    auto err = co_await p.conn->connect(p.target, 0);
    if (err) {
      problem = err->message;
      p.conn.reset();
      co_return;
    }
  }
  backend_connection& conn = *p.conn;
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::vector<backend_connection::value_column> columns;
  const config::health_config& h = p.cfg->health;

  // Which endpoint writes. (read_only asks with SHOW: it leaves the servers' Com_select alone.)
  if (h.writer_check != config::writer_check_kind::none) {
    const std::string_view q =
        h.writer_check == config::writer_check_kind::read_only
            ? "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('read_only', 'innodb_read_only')"
            : "SELECT SERVER_ID, SESSION_ID, REPLICA_LAG_IN_MILLISECONDS FROM "
              "information_schema.replica_host_status";
    auto err = co_await conn.query_rows(q, rows, columns, 1024);
    if (err) {
      problem = "writer check: " + err->message;
      reachable = !conn.broken();
      co_return;
    }
  }
  switch (h.writer_check) {
    case config::writer_check_kind::none:
      writable = p.index == 0;
      break;
    case config::writer_check_kind::read_only: {
      writable = !rows.empty();
      for (const auto& row : rows)
        if (row.size() < 2 || !row[1] || (*row[1] != "OFF" && *row[1] != "0")) writable = false;
      break;
    }
    case config::writer_check_kind::aurora_replica_status: {
      std::vector<aurora_row> parsed;
      for (const auto& row : rows) {
        if (row.size() < 3 || !row[0] || !row[1]) continue;
        aurora_row r{*row[0], *row[1], -1};
        if (row[2]) {
          try {
            r.lag_ms = std::stod(*row[2]);
          } catch (...) {
          }
        }
        parsed.push_back(std::move(r));
      }
      const auto endpoints = p.cfg->endpoints();
      std::vector<std::int64_t> lags;
      const int w = aurora_topology(parsed, endpoints, lags);
      if (w < 0 && !parsed.empty() && !p.aurora_warned) {
        p.aurora_warned = true;
        spdlog::warn(
            "cluster {}: replica_host_status names no endpoint of this cluster as the writer "
            "(endpoints must be instance endpoints SERVER_ID.<cluster domain>)",
            p.target.cluster);
      }
      reachable = true;
      writable = w == p.index;
      lag = lags[static_cast<std::size_t>(p.index)];
      co_return;
    }
  }
  reachable = true;

  // How far behind the writer a replica is.
  if (writable) {
    lag = 0;
    if (h.lag_check == config::lag_check_kind::heartbeat) {
      const std::string q = "INSERT INTO " + h.heartbeat_table +
                            " (id, ts) VALUES (1, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE ts = "
                            "VALUES(ts)";
      auto err = co_await conn.run_internal(protocol::command::query, q);
      if (err && err->message != p.lag_problem) {
        p.lag_problem = err->message;
        spdlog::warn("cluster {}: heartbeat write on {} failed: {} ({})", p.target.cluster,
                     p.target.endpoint.to_string(), err->message, err->code);
      } else if (!err) {
        p.lag_problem.clear();
      }
      if (err) reachable = !conn.broken();
    }
    co_return;
  }
  std::optional<protocol::mysql_error> err;
  switch (h.lag_check) {
    case config::lag_check_kind::none:
      co_return;
    case config::lag_check_kind::replication_status: {
      err = co_await conn.query_rows(p.replica_syntax ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS",
                                     rows, columns, 4);
      if (err && err->code == 1064 && p.replica_syntax) {  // a server older than the word
        p.replica_syntax = false;
        err = co_await conn.query_rows("SHOW SLAVE STATUS", rows, columns, 4);
      }
      if (err) break;
      std::size_t col = columns.size();
      for (std::size_t i = 0; i < columns.size(); ++i)
        if (columns[i].name == "Seconds_Behind_Master" ||
            columns[i].name == "Seconds_Behind_Source")
          col = i;
      std::int64_t seconds = -1;
      if (rows.size() == 1 && col < rows[0].size() && parse_int(rows[0][col], seconds))
        lag = seconds * 1000;
      break;
    }
    case config::lag_check_kind::heartbeat: {
      const std::string q = "SELECT TIMESTAMPDIFF(MICROSECOND, ts, UTC_TIMESTAMP(6)) FROM " +
                            h.heartbeat_table + " WHERE id = 1";
      err = co_await conn.query_rows(q, rows, columns, 1);
      if (err) break;
      std::int64_t us = -1;
      if (!rows.empty() && !rows[0].empty() && parse_int(rows[0][0], us))
        lag = std::max<std::int64_t>(0, us / 1000);
      break;
    }
  }
  if (err) {
    reachable = !conn.broken();
    if (err->message != p.lag_problem)
      spdlog::warn("cluster {}: replication lag check on {} failed: {} ({}); its lag is unknown",
                   p.target.cluster, p.target.endpoint.to_string(), err->message, err->code);
    p.lag_problem = err->message;
  } else {
    p.lag_problem.clear();
  }
}

void health_checker::decide_writer(int cluster) {
  const auto& cc = config_->clusters[static_cast<std::size_t>(cluster)];
  if (cc.health.writer_check == config::writer_check_kind::none) return;
  cluster_health& ch = fleet_[cluster];
  const int current = ch.writer();
  std::vector<endpoint_observation> obs(ch.size());
  int writable = 0;
  for (std::size_t i = 0; i < ch.size(); ++i) {
    const endpoint_health& e = ch.at(static_cast<int>(i));
    obs[i].reachable = e.reachable.load(std::memory_order_relaxed);
    obs[i].writable = e.writable.load(std::memory_order_relaxed);
    if (obs[i].reachable && obs[i].writable) ++writable;
    // One failed check does not take the writer away (a slow moment is not a failover):
    // it counts as down after two in a row.
    if (static_cast<int>(i) == current && !obs[i].reachable &&
        e.failures_in_a_row.load(std::memory_order_relaxed) < 2) {
      obs[i].reachable = true;
      obs[i].writable = true;
    }
  }
  const bool split = writable > 1;
  auto split_logged = split_brain_logged_[static_cast<std::size_t>(cluster)];
  if (split && !split_logged)
    spdlog::warn(
        "cluster {}: {} endpoints are writable at once; writes stay on {} (make the others "
        "read_only)",
        cc.name, writable, cc.endpoints()[static_cast<std::size_t>(current)].to_string());
  split_logged = split;
  const int next = choose_writer(current, obs);
  if (next == current) return;
  const auto endpoints = cc.endpoints();
  const auto& was = obs[static_cast<std::size_t>(current)];
  spdlog::warn("cluster {}: the writer is now {} (was {}, which is {})", cc.name,
               endpoints[static_cast<std::size_t>(next)].to_string(),
               endpoints[static_cast<std::size_t>(current)].to_string(),
               was.reachable ? "read-only" : "unreachable");
  ch.set_writer(next);
}

}  // namespace shardgate::backend
