#include "server/server.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <thread>

#include "admin/config_diff.hpp"
#include "admin/route_explain.hpp"
#include "build_info/version.hpp"
#include "config/diff.hpp"
#include "config/loader.hpp"
#include "config/redact.hpp"
#include "metrics/query_stats.hpp"
#include "net/packet_io.hpp"
#include "transactions/decision_log.hpp"
#include "transactions/xa_recovery.hpp"

namespace shardgate::server {

using namespace std::chrono_literals;

namespace {

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// Endpoints a reload adds (cluster name + address not configured before).
bool adds_endpoints(const config::config& old, const config::config& neu) {
  for (const auto& c : neu.clusters) {
    const auto* before = old.find_cluster(c.name);
    if (!before) return true;
    const auto was = before->endpoints();
    for (const auto& e : c.endpoints())
      if (std::find(was.begin(), was.end(), e) == was.end()) return true;
  }
  return false;
}

// caching_sha2_password's RSA pair: from listen.rsa_private_key, else the one generated at
// start (kept across reloads), else a new one.
std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::shared_ptr<const protocol::rsa_key> login_rsa_key(
    const config::config& cfg, const config::config* old_cfg,
    const std::shared_ptr<const protocol::rsa_key>& previous, std::string& error) {
  const std::string& path = cfg.listen.rsa_private_key;
  if (path.empty()) {
    if (previous && old_cfg && old_cfg->listen.rsa_private_key.empty()) return previous;
    auto key = protocol::rsa_key::generate(error);
    if (key)
      spdlog::info(
          "caching_sha2_password: generated a 2048-bit RSA key pair for logins over plain TCP "
          "(set listen.rsa_private_key / rsa_public_key to keep one across restarts)");
    return key;
  }
  auto key = protocol::rsa_key::from_private_pem(read_whole(path), error);
  if (!key) {
    error = "listen.rsa_private_key " + path + ": " + error;
    return nullptr;
  }
  if (const std::string& pub_path = cfg.listen.rsa_public_key; !pub_path.empty()) {
    auto pub = protocol::rsa_key::from_public_pem(read_whole(pub_path), error);
    if (!pub || pub->public_pem() != key->public_pem()) {
      error =
          "listen.rsa_public_key " + pub_path +
          (pub ? std::string(" is not the public half of listen.rsa_private_key") : ": " + error);
      return nullptr;
    }
  }
  if (previous && previous->public_pem() == key->public_pem()) return previous;
  return key;
}

// The secrets as loaded (password_file and password_env contents included): a reload whose
// YAML is unchanged still applies a password file that was rewritten.
std::string secrets_of(const config::config& cfg) {
  std::string out;
  for (const auto& c : cfg.clusters) {
    out += c.password;
    out.push_back('\0');
  }
  for (const auto& u : cfg.users) {
    if (u.password_stage2) out.append(u.password_stage2->begin(), u.password_stage2->end());
    out.push_back('\0');
    out += u.password_sha256;
    out.push_back('\0');
  }
  return out;
}

std::uint32_t first_round_ms(const config::config& cfg) {
  std::uint32_t ms = 0;
  for (const auto& c : cfg.clusters) ms = std::max(ms, c.connect_timeout_ms + c.health.timeout_ms);
  return ms + 200;
}

}  // namespace

server::server(std::shared_ptr<const config::config> cfg) : initial_(std::move(cfg)) {
  unsigned n = initial_->listen.workers;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  limits_ = std::make_unique<limits::registry>(*initial_);
  shared_.limits = limits_.get();
  fleet_.number = 1;
  fleet_.config = initial_;
  fleet_.topology = std::make_shared<const routing::topology>(initial_);
  fleet_.health = std::make_shared<backend::fleet_health>(*initial_);
  std::string error;
  fleet_.tls = net::make_tls_set(*initial_, error);
  if (!fleet_.tls) throw std::runtime_error(error);
  fleet_.rsa = login_rsa_key(*initial_, nullptr, nullptr, error);
  if (!fleet_.rsa) throw std::runtime_error(error);
  fleet_.checker = std::make_shared<backend::health_checker>(initial_, fleet_.health, fleet_.tls);
  for (unsigned i = 0; i < n; ++i) {
    workers_.push_back(std::make_unique<worker>(i, n, shared_));
    workers_.back()->install(fleet_);
  }
  apply_live_settings(*initial_);
  started_at_ = loaded_at_ = std::chrono::system_clock::now();
}

server::~server() {
  for (auto& w : workers_) w->join();
  if (control_thread_.joinable()) {
    control_.stop();
    control_thread_.join();
  }
  current_fleet().checker->stop();
  for (auto& c : retired_checkers_) c->stop();
}

fleet_snapshot server::current_fleet() const {
  std::lock_guard lock(fleet_mutex_);
  return fleet_;
}

void server::apply_live_settings(const config::config& cfg) {
  shared_.max_clients.store(cfg.listen.max_client_connections, std::memory_order_relaxed);
  shared_.slow_query_ms.store(cfg.logging.slow_query_ms, std::memory_order_relaxed);
  shared_.metrics_on.store(cfg.admin.metrics, std::memory_order_relaxed);
  spdlog::set_level(spdlog::level::from_str(cfg.logging.level));
  std::shared_ptr<spdlog::logger> slow;
  if (!cfg.logging.slow_log.empty()) {
    try {
      slow = std::make_shared<spdlog::logger>(
          "slow", std::make_shared<spdlog::sinks::basic_file_sink_mt>(cfg.logging.slow_log));
      slow->set_pattern("%Y-%m-%dT%H:%M:%S.%e %v");
      slow->flush_on(spdlog::level::info);
    } catch (const std::exception& e) {
      spdlog::error("logging.slow_log: cannot open {}: {}; slow statements go to the main log",
                    cfg.logging.slow_log, e.what());
      slow.reset();
    }
  }
  shared_.set_slow_log(std::move(slow));
}

// Clients see the backend's version (plus "-ShardGate"): drivers pick SQL dialect and
// features from it, and a MySQL 8 version in front of MariaDB would mislead them.
void server::learn_server_version() {
  if (!initial_->listen.server_version.empty()) {
    shared_.set_server_version(initial_->listen.server_version);
    return;
  }
  worker& w = *workers_.front();
  // The promise is shared with the probe: if the wait below gives up, a late answer
  // still has somewhere to go.
  auto answer = std::make_shared<std::promise<std::string>>();
  auto version_future = answer->get_future();
  asio::co_spawn(
      w.context(),
      [&w]() -> awaitable<std::string> {
        auto gen = w.current();
        backend::connection_pool& pool = gen->pool(gen->default_cluster());
        auto got = co_await pool.acquire({});
        if (!got.conn) co_return std::string();
        std::string v = got.conn->server_version();
        pool.release(std::move(got.conn));
        co_return v;
      },
      [answer](std::exception_ptr e, std::string v) { answer->set_value(e ? std::string() : v); });
  const auto& cluster = *initial_->find_cluster(initial_->default_cluster);
  std::string version;
  if (version_future.wait_for(std::chrono::milliseconds(cluster.connect_timeout_ms) + 1s) ==
      std::future_status::ready)
    version = version_future.get();
  if (version.empty()) {
    version = shared_state::fallback_server_version;
    spdlog::warn(
        "default cluster {} ({}) is not reachable at start; advertising version {} "
        "until it is (set listen.server_version to pin one)",
        cluster.name, cluster.writer.to_string(), version);
  }  // (a successful login publishes the version through the pool's on_login)
}

awaitable<void> server::accept_loop() {
  for (;;) {
    worker& target = *workers_[next_worker_];
    next_worker_ = (next_worker_ + 1) % workers_.size();
    // The socket belongs to the target worker's io_context from the start.
    auto [ec, socket] = co_await acceptor_->async_accept(target.context(), nothrow_awaitable);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
        asio::steady_timer pause(acceptor_->get_executor(), 100ms);
        co_await pause.async_wait(nothrow_awaitable);
      }
      continue;
    }
    asio::post(target.context(),
               [&target, s = std::move(socket)]() mutable { target.start_session(std::move(s)); });
  }
}

// transactions.cross_shard: xa (or a decision log left from it): open the decision log and
// run recovery on the first worker - now, periodically, and when a session asks.
bool server::start_xa() {
  const auto& tx = initial_->transactions;
  if (tx.xa_log.empty()) return true;
  std::string error;
  auto log = transactions::decision_log::open(tx.xa_log, error);
  if (!log) {
    spdlog::error("transactions.xa_log: {}", error);
    return false;
  }
  if (!log->undone_at_open().empty())
    spdlog::warn(
        "XA decision log {}: {} committed transactions may still have prepared "
        "branches; recovery finishes them",
        tx.xa_log, log->undone_at_open().size());
  const auto crash = transactions::xa_coordinator::crash_point_from_env();
  if (crash != transactions::crash_point::none)
    spdlog::warn(
        "SHARDGATE_TEST_XA_CRASH is set: this process kills itself during a "
        "two-phase commit (test fault injection)");
  xa_ = std::make_unique<transactions::xa_coordinator>(tx.xa_name, std::move(log), crash);
  shared_.xa = xa_.get();
  worker& first = *workers_.front();
  // Each pass asks the first worker's current generation (a reload may change clusters).
  auto targets = [&first]() {
    std::vector<transactions::recovery_target> out;
    const std::shared_ptr<generation> gen = first.current();
    for (std::size_t c = 0; c < gen->config()->clusters.size(); ++c)
      out.push_back({gen->config()->clusters[c].name,
                     [gen, c] { return gen->pool_shared(static_cast<int>(c)); }});
    return out;
  };
  asio::co_spawn(first.context(),
                 transactions::recovery_loop(*xa_, std::move(targets),
                                             std::chrono::seconds(tx.xa_recovery_interval_s)),
                 asio::detached);
  spdlog::info(
      "two-phase commit on (transactions.cross_shard: {}); decision log {}, XA ids "
      "{}-*, recovery every {} s",
      tx.cross_shard == config::cross_shard_mode::xa ? "xa" : "not xa", tx.xa_log, tx.xa_name,
      tx.xa_recovery_interval_s);
  return true;
}

reload_outcome server::reload(const char* trigger) {
  std::lock_guard lock(reload_mutex_);
  reload_outcome out;
  try {
    out = reload_locked(trigger);
  } catch (const std::exception& e) {
    out = reload_outcome{};
    out.error = std::string("reload failed: ") + e.what();
  }
  if (!out.ok) {
    reloads_failed_.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("config reload ({}) failed; the running configuration is unchanged: {}", trigger,
                  out.error);
  } else {
    reloads_ok_.fetch_add(1, std::memory_order_relaxed);
  }
  return out;
}

// Why `cfg` cannot replace `old` while the process runs (empty: it can).
std::string server::refuse_reload(const config::config& old, const config::config& cfg) const {
  const bool xa_now = cfg.transactions.cross_shard == config::cross_shard_mode::xa;
  if (xa_now && !xa_)
    return "transactions.cross_shard: xa needs the XA decision log, which is opened at start: "
           "restart ShardGate to turn two-phase commit on";
  if (xa_) {
    // Committed XA transactions whose branches recovery has not finished need every
    // cluster they touched: a cluster may not go before recovery is done with it.
    const auto undone = xa_->decided_unfinished();
    if (!undone.empty())
      for (const auto& c : old.clusters)
        if (!cfg.find_cluster(c.name))
          return "cluster " + c.name + " cannot be removed while " + std::to_string(undone.size()) +
                 " committed XA transactions are still being finished by recovery; retry "
                 "when the log says they are done";
  }
  return {};
}

reload_outcome server::reload_locked(const char* trigger) {
  reload_outcome out;
  const fleet_snapshot old = current_fleet();
  const std::string& path = old.config->source_path;
  auto loaded = config::load_file(path);
  if (auto* err = std::get_if<config::load_error>(&loaded)) {
    out.error = err->to_string();
    return out;
  }
  auto cfg = std::get<std::shared_ptr<const config::config>>(loaded);
  // Certificate and key files are read again at every reload (renewed ones take effect).
  std::string tls_error;
  auto tls = net::make_tls_set(*cfg, tls_error);
  if (!tls) {
    out.error = path + ": " + tls_error;
    return out;
  }
  auto rsa = login_rsa_key(*cfg, old.config.get(), old.rsa, tls_error);
  if (!rsa) {
    out.error = path + ": " + tls_error;
    return out;
  }
  out.changed = cfg->checksum != old.config->checksum || tls->files != old.tls->files ||
                rsa != old.rsa || secrets_of(*cfg) != secrets_of(*old.config);
  if (!out.changed) {
    out.ok = true;
    out.generation = old.number;
    out.summary = "no changes";
    spdlog::info("config reload ({}): {} is unchanged (generation {})", trigger, path, old.number);
    return out;
  }
  if (std::string why = refuse_reload(*old.config, *cfg); !why.empty()) {
    out.error = path + ": " + why;
    return out;
  }
  out.restart_only = config::restart_only_changes(*old.config, *cfg);
  try {
    out.summary = admin::describe_reload(*old.config, *cfg);
  } catch (const std::exception& e) {
    out.summary = std::string("(cannot describe the changes: ") + e.what() + ")";
  }

  fleet_snapshot next;
  next.number = old.number + 1;
  next.config = cfg;
  next.topology = std::make_shared<const routing::topology>(cfg);
  next.health = std::make_shared<backend::fleet_health>(*cfg, *old.config, *old.health);
  next.tls = std::move(tls);
  next.rsa = std::move(rsa);
  next.checker = std::make_shared<backend::health_checker>(cfg, next.health, next.tls);
  // New endpoints are checked once before statements can go to them (bounded).
  next.checker->start(adds_endpoints(*old.config, *cfg)
                          ? std::chrono::milliseconds(first_round_ms(*cfg))
                          : std::chrono::milliseconds(0));
  // Limits first: a user the new file adds has them when it logs in on the new generation.
  limits_->update(*cfg);
  std::vector<std::future<void>> installed;
  for (auto& w : workers_) {
    auto done = std::make_shared<std::promise<void>>();
    installed.push_back(done->get_future());
    asio::post(w->context(), [&w = *w, &next, done] {
      try {
        w.install(next);
        done->set_value();
      } catch (...) {
        done->set_exception(std::current_exception());
      }
    });
  }
  // (Every worker is waited for even if one failed: `next` is referenced by the posts.)
  std::exception_ptr failed;
  for (auto& f : installed) try {
      f.get();
    } catch (...) {
      failed = std::current_exception();
    }
  {
    std::lock_guard fleet_lock(fleet_mutex_);
    fleet_ = next;
    loaded_at_ = std::chrono::system_clock::now();
  }
  // Sessions still on older generations (a transaction, a pinned connection) keep their
  // health checker running; it stops when none uses it any more.
  retired_checkers_.push_back(old.checker);
  retire_unused_checkers();
  apply_live_settings(*cfg);
  if (failed) std::rethrow_exception(failed);
  out.ok = true;
  out.generation = next.number;
  spdlog::info("config reload ({}): {} is generation {} (sha256 {:.12})", trigger, path,
               next.number, cfg->checksum);
  for (const auto& line : out.restart_only)
    spdlog::warn("config reload: {} changed, but it takes effect only on restart", line);
  return out;
}

void server::retire_unused_checkers() {
  std::erase_if(retired_checkers_, [](const std::shared_ptr<backend::health_checker>& c) {
    if (c.use_count() > 1) return false;  // a generation still uses it
    c->stop();
    return true;
  });
}

// reload.watch: the file is polled; a change is applied once it has stayed the same for
// one interval (an editor's write is finished), and only once per content.
awaitable<void> server::watch_config() {
  asio::steady_timer timer(control_);
  auto identity = [](const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::string("missing");
    return std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  };
  std::string seen = identity(initial_->source_path);
  bool pending = false;
  for (;;) {
    timer.expires_after(std::chrono::milliseconds(current_fleet().config->reload.interval_ms));
    auto [ec] = co_await timer.async_wait(nothrow_awaitable);
    if (ec) co_return;
    retire_unused_checkers();
    const auto cfg = current_fleet().config;  // (a reload may have turned watching on or off)
    if (!cfg->reload.watch) {
      pending = false;
      seen = identity(cfg->source_path);
      continue;
    }
    const std::string now = identity(cfg->source_path);
    if (now != seen) {
      seen = now;
      pending = true;
      continue;
    }
    if (!pending) continue;
    pending = false;
    reload("file changed");
  }
}

template <typename F>
awaitable<void> server::on_each_worker(F f) {
  for (auto& w : workers_)
    co_await asio::co_spawn(
        w->context(),
        [&w = *w, &f]() -> awaitable<void> {
          f(w);
          co_return;
        },
        asio::use_awaitable);
}

awaitable<std::string> server::scrape_metrics() {
  const fleet_snapshot fleet = current_fleet();
  metrics::scrape s;
  // Endpoints of the current configuration, summed over the workers.
  std::vector<std::vector<std::size_t>> where;  // [cluster][endpoint] -> index in s.endpoints
  for (std::size_t c = 0; c < fleet.config->clusters.size(); ++c) {
    const auto& cc = fleet.config->clusters[c];
    const auto endpoints = cc.endpoints();
    auto& row = where.emplace_back();
    const backend::cluster_health& h = (*fleet.health)[static_cast<int>(c)];
    s.writer_changes[cc.name] = h.writer_changes();
    for (std::size_t e = 0; e < endpoints.size(); ++e) {
      row.push_back(s.endpoints.size());
      metrics::endpoint_sample& sample = s.endpoints.emplace_back();
      sample.cluster = cc.name;
      sample.endpoint = endpoints[e].to_string();
      sample.writer = h.writer() == static_cast<int>(e);
      sample.checked = endpoints.size() > 1;
      const backend::endpoint_health& eh = h.at(static_cast<int>(e));
      sample.reachable = eh.reachable.load(std::memory_order_relaxed);
      sample.lag_ms = eh.lag_ms.load(std::memory_order_relaxed);
      sample.checks = eh.checks.load(std::memory_order_relaxed);
      sample.failed_checks = eh.failed_checks.load(std::memory_order_relaxed);
    }
  }
  co_await on_each_worker([&](worker& w) {
    s.workers.bytes_in += net::traffic.in;  // (this worker thread's)
    s.workers.bytes_out += net::traffic.out;
    s.workers.add(w.metrics());
    for (const auto& [name, counts] : routing::directory_stats()) {  // (this worker thread's)
      s.directory[name].first += counts.hits;
      s.directory[name].second += counts.misses;
    }
    s.workers.sessions += w.session_count();
    const auto& gen = w.current();
    if (gen->number() != fleet.number) return;  // (a reload is being installed)
    const auto& pools = gen->pools();
    for (std::size_t c = 0; c < pools.size() && c < where.size(); ++c)
      for (std::size_t e = 0; e < pools[c].size() && e < where[c].size(); ++e) {
        const backend::pool_stats st = pools[c][e]->stats();
        metrics::endpoint_sample& sample = s.endpoints[where[c][e]];
        sample.open += st.open;
        sample.idle += st.idle;
        sample.waiting += st.waiting;
        sample.max += pools[c][e]->limits().max_connections;
        sample.connects += st.connects;
        sample.connect_failures += st.connect_failures;
        sample.acquire_timeouts += st.acquire_timeouts;
        const int state = st.breaker == backend::breaker_state::open        ? 2
                          : st.breaker == backend::breaker_state::half_open ? 1
                                                                            : 0;
        sample.breaker = std::max(sample.breaker, state);
        sample.breaker_trips += st.breaker_trips;
        sample.breaker_rejections += st.breaker_rejections;
      }
  });
  s.client_connections = shared_.clients.load(std::memory_order_relaxed);
  s.max_client_connections = shared_.max_clients.load(std::memory_order_relaxed);
  for (limits::user_limits* u : limits_->users())
    for (std::size_t k = 0; k < limits::limit_kinds; ++k) {
      const auto& c = u->counters[k];
      s.limits.push_back({u->name, limits::limit_kind_name(static_cast<limits::limit_kind>(k)),
                          c.delayed.load(std::memory_order_relaxed),
                          c.rejected.load(std::memory_order_relaxed)});
    }
  s.failed_logins = limits_->failed_logins();
  s.blocked_logins = limits_->blocked_logins();
  s.delayed_logins = limits_->delayed_logins();
  s.blocked_addresses = limits_->blocked_addresses();
  s.reloads_ok = reloads_ok_.load(std::memory_order_relaxed);
  s.reloads_failed = reloads_failed_.load(std::memory_order_relaxed);
  s.generation = fleet.number;
  s.config_checksum = fleet.config->checksum;
  {
    std::lock_guard lock(fleet_mutex_);
    s.config_loaded_at = unix_seconds(loaded_at_);
  }
  s.start_time = unix_seconds(started_at_);
  s.cross_shard_commit_failures =
      shared_.cross_shard_commit_failures.load(std::memory_order_relaxed);
  co_return metrics::render(s);
}

awaitable<admin::http_reply> server::query_stats(std::string_view query) {
  bool ok = true;
  const auto params = admin::parse_query(query, ok);
  std::size_t n = 20;
  metrics::sort_key key = metrics::sort_key::total_time;
  if (ok)
    for (const auto& [name, value] : params) {
      if (name == "n") {
        char* end = nullptr;
        const unsigned long v = std::strtoul(value.c_str(), &end, 10);
        if (value.empty() || *end || v == 0 || v > 10000) ok = false;
        n = v;
      } else if (name == "sort") {
        if (value == "total")
          key = metrics::sort_key::total_time;
        else if (value == "calls")
          key = metrics::sort_key::calls;
        else if (value == "max")
          key = metrics::sort_key::max_time;
        else
          ok = false;
      } else {
        ok = false;
      }
    }
  admin::http_reply reply;
  reply.type = "application/json";
  if (!ok) {
    reply.status = 400;
    reply.body = "{\"error\": \"parameters: n=1..10000, sort=total|calls|max\"}\n";
    co_return reply;
  }
  std::vector<std::vector<metrics::query_stat>> per_worker;
  co_await on_each_worker([&](worker& w) {
    if (auto* qs = w.query_stats()) per_worker.push_back(qs->snapshot());
  });
  reply.body = metrics::to_json(metrics::merge_top(std::move(per_worker), n, key));
  co_return reply;
}

// Ready: a configuration is loaded and every cluster has a writer - the health checker
// found one (clusters with readers), and its circuit breaker is not open on every worker.
awaitable<admin::http_reply> server::readiness() {
  const fleet_snapshot fleet = current_fleet();
  const std::size_t clusters = fleet.config->clusters.size();
  std::vector<unsigned> open_on(clusters, 0);
  co_await on_each_worker([&](worker& w) {
    const auto& gen = w.current();
    if (gen->number() != fleet.number) return;
    for (std::size_t c = 0; c < clusters; ++c)
      if (gen->pool(static_cast<int>(c)).failing_fast()) ++open_on[c];
  });
  std::string problems;
  for (std::size_t c = 0; c < clusters; ++c) {
    const auto& cc = fleet.config->clusters[c];
    const backend::cluster_health& h = (*fleet.health)[static_cast<int>(c)];
    const int writer = h.writer();
    const auto endpoints = cc.endpoints();
    const std::string address = endpoints[static_cast<std::size_t>(writer)].to_string();
    if (endpoints.size() > 1) {
      const auto& e = h.at(writer);
      if (!e.reachable.load(std::memory_order_relaxed))
        problems += "cluster " + cc.name + ": writer " + address + " is not reachable\n";
      else if (!e.writable.load(std::memory_order_relaxed) &&
               cc.health.writer_check != config::writer_check_kind::none)
        problems +=
            "cluster " + cc.name + ": no writable endpoint (" + address + " is read-only)\n";
    }
    if (open_on[c] == workers_.size())
      problems += "cluster " + cc.name + ": circuit breaker open for " + address + "\n";
  }
  admin::http_reply reply;
  if (!problems.empty()) {
    reply.status = 503;
    reply.body = "not ready\n" + problems;
  } else {
    reply.body = "ready (generation " + std::to_string(fleet.number) + ", " +
                 std::to_string(clusters) + " clusters have a writer)\n";
  }
  co_return reply;
}

admin::admin_services server::admin_services() {
  admin::admin_services s;
  s.metrics = [this]() -> awaitable<std::string> {
    std::string text = "# metrics are off (admin.metrics: false)\n";
    const bool on = current_fleet().config->admin.metrics;
    if (on) text = co_await scrape_metrics();
    co_return text;
  };
  s.ready = [this] { return readiness(); };
  s.config = [this] {
    const auto fleet = current_fleet();
    std::string body = "# " + fleet.config->source_path + " (generation " +
                       std::to_string(fleet.number) + ", sha256 " + fleet.config->checksum +
                       "), secrets redacted\n";
    body += config::redacted_yaml(fleet.config->source_text);
    if (!body.ends_with('\n')) body += '\n';
    return admin::http_reply{200, std::move(body), "application/yaml; charset=utf-8"};
  };
  s.reload = [this] {
    const reload_outcome r = reload("POST /reload");
    std::string body = "{\"result\": \"";
    body += r.ok ? "ok" : "failed";
    body += "\", \"changed\": ";
    body += r.changed ? "true" : "false";
    if (r.ok) {
      body += ", \"generation\": " + std::to_string(r.generation) + ", \"changes\": \"" +
              admin::json_escape(r.summary) + "\", \"restart_needed\": [";
      for (std::size_t i = 0; i < r.restart_only.size(); ++i)
        body += (i ? ", \"" : "\"") + admin::json_escape(r.restart_only[i]) + "\"";
      body += "]";
    } else {
      body += ", \"error\": \"" + admin::json_escape(r.error) + "\"";
    }
    body += "}\n";
    return admin::http_reply{r.ok ? 200 : 422, std::move(body), "application/json"};
  };
  s.query_stats = [this](std::string_view q) { return query_stats(q); };
  s.topology = [this] { return current_fleet().topology; };
  return s;
}

int server::run() {
  // Each cluster's writer is known before the first client arrives (bounded wait).
  fleet_.checker->start(std::chrono::milliseconds(first_round_ms(*initial_)));
  for (auto& w : workers_) w->start_thread();
  if (!start_xa()) {
    stop_workers();
    return 1;
  }
  learn_server_version();

  worker& first = *workers_.front();
  const auto& listen = initial_->listen;
  error_code ec;
  tcp::endpoint ep(asio::ip::make_address(listen.address, ec), listen.port);
  acceptor_ = std::make_unique<tcp::acceptor>(first.context());
  if (!ec) acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::error("cannot listen on {}:{}: {}", listen.address, listen.port, ec.message());
    stop_workers();
    return 1;
  }

  auto control_work = asio::make_work_guard(control_);
  control_thread_ = std::thread([this] {
    try {
      control_.run();
    } catch (const std::exception& e) {
      spdlog::critical("control thread stopped by an exception: {}", e.what());
      std::abort();
    }
  });
  if (initial_->admin.enabled) {
    admin_ = std::make_unique<admin::admin_server>(control_, initial_->admin, admin_services());
    std::promise<std::string> started;
    asio::post(control_, [&] { started.set_value(admin_->start()); });
    if (std::string err = started.get_future().get(); !err.empty()) {
      spdlog::error("{}", err);
      asio::post(first.context(), [&] { acceptor_->close(ec); });
      control_work.reset();
      control_.stop();
      control_thread_.join();
      stop_workers();
      return 1;
    }
  }

  std::promise<int> stop_signal;
  asio::signal_set stop_signals(control_, SIGINT, SIGTERM);
  stop_signals.async_wait([&](error_code e, int sig) {
    if (!e) stop_signal.set_value(sig);
  });
  asio::signal_set hangup(control_, SIGHUP);
  std::function<void(error_code, int)> on_hangup = [&](error_code e, int) {
    if (e) return;
    reload("SIGHUP");
    hangup.async_wait(on_hangup);
  };
  hangup.async_wait(on_hangup);
  asio::co_spawn(control_, watch_config(), asio::detached);
  asio::co_spawn(first.context(), accept_loop(), asio::detached);

  const auto& cluster = *initial_->find_cluster(initial_->default_cluster);
  spdlog::info("ShardGate {} listening on {}:{} with {} workers; default cluster {} ({})",
               build_info::version(), listen.address, listen.port, workers_.size(), cluster.name,
               cluster.writer.to_string());
  if (admin_)
    spdlog::info("admin endpoint on http://{}:{}/ (metrics, readyz, config, route, reload)",
                 initial_->admin.address, initial_->admin.port);

  const int sig = stop_signal.get_future().get();
  spdlog::info("received signal {}: draining (up to {} s)", sig,
               current_fleet().config->listen.shutdown_timeout_s);
  asio::post(first.context(), [&] {
    error_code ignored;
    acceptor_->close(ignored);
  });
  {
    // The control thread stops: no reload can start while the workers drain.
    std::promise<void> closed;
    asio::post(control_, [&] {
      if (admin_) admin_->stop();
      error_code ignored;
      stop_signals.cancel(ignored);
      hangup.cancel(ignored);
      closed.set_value();
    });
    closed.get_future().wait();
    control_work.reset();
    control_.stop();
    control_thread_.join();
  }
  drain_and_stop();
  spdlog::info("ShardGate stopped");
  return 0;
}

void server::drain_and_stop() {
  for (auto& w : workers_) asio::post(w->context(), [&w = *w] { w.begin_drain(); });
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::seconds(current_fleet().config->listen.shutdown_timeout_s);
  while (shared_.live_sessions.load(std::memory_order_acquire) > 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  if (std::uint32_t left = shared_.live_sessions.load(); left > 0)
    spdlog::warn("shutdown timeout: closing {} sessions that are still running statements", left);
  stop_workers();
}

void server::stop_workers() {
  current_fleet().checker->stop();
  for (auto& c : retired_checkers_) c->stop();
  // Decisions still being written reach their sessions while the workers' contexts exist.
  if (xa_) xa_->flush();
  for (auto& w : workers_) asio::post(w->context(), [&w = *w] { w.stop(); });
  for (auto& w : workers_) w->join();
}

}  // namespace shardgate::server
