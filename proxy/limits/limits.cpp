#include "limits/limits.hpp"

namespace shardgate::limits {

using clock = std::chrono::steady_clock;

const char* limit_kind_name(limit_kind k) noexcept {
  switch (k) {
    case limit_kind::user_rate:
      return "rate_limit";
    case limit_kind::client_ip_rate:
      return "client_ip_rate_limit";
    case limit_kind::connections:
      return "max_connections";
    case limit_kind::connection_rate:
      return "connection_rate_limit";
  }
  return "?";
}

registry::registry(const config::config& cfg) {
  update(cfg);
}

void registry::apply(user_limits& u, const config::user_config& c) {
  u.queries.configure(c.rate_limit.per_second, c.rate_limit.burst);
  u.max_wait_ms.store(c.rate_limit.max_wait_ms, std::memory_order_relaxed);
  u.ip_per_second.store(c.client_ip_rate_limit.per_second, std::memory_order_relaxed);
  u.ip_burst.store(c.client_ip_rate_limit.burst, std::memory_order_relaxed);
  u.ip_max_wait_ms.store(c.client_ip_rate_limit.max_wait_ms, std::memory_order_relaxed);
  u.logins.configure(c.connection_rate_limit.per_second, c.connection_rate_limit.burst);
  u.max_connections.store(c.max_connections, std::memory_order_relaxed);
}

void registry::update(const config::config& cfg) {
  {
    std::lock_guard lock(mutex_);
    for (const auto& c : cfg.users) {
      auto& slot = users_[c.name];
      if (!slot) {
        slot = std::make_unique<user_limits>();
        slot->name = c.name;
      }
      apply(*slot, c);
    }
    // Users no longer configured lose their limits (their sessions go on; new logins fail).
    for (auto& [name, u] : users_)
      if (!cfg.find_user(name)) {
        config::user_config none;
        apply(*u, none);
      }
    for (auto& [key, weak] : ip_buckets_)
      if (auto b = weak.lock())
        b->queries.configure(b->user->ip_per_second.load(std::memory_order_relaxed),
                             b->user->ip_burst.load(std::memory_order_relaxed));
  }
  std::lock_guard lock(failures_mutex_);
  failure_rule_ = cfg.listen.failed_logins;
}

user_limits* registry::user(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second.get();
}

std::shared_ptr<client_ip_limits> registry::client_ip(user_limits& user, const std::string& ip) {
  if (user.ip_per_second.load(std::memory_order_relaxed) <= 0) return nullptr;
  std::string key = user.name;
  key += '\n';
  key += ip;
  std::lock_guard lock(mutex_);
  auto& weak = ip_buckets_[key];
  auto bucket = weak.lock();
  if (!bucket) {
    bucket = std::make_shared<client_ip_limits>();
    bucket->user = &user;
    bucket->queries.configure(user.ip_per_second.load(std::memory_order_relaxed),
                              user.ip_burst.load(std::memory_order_relaxed));
    weak = bucket;
    // Forget the buckets no session holds any more (amortised: when the map has doubled).
    if (ip_buckets_.size() >= ip_sweep_at_) {
      std::erase_if(ip_buckets_, [](const auto& e) { return e.second.expired(); });
      ip_sweep_at_ = std::max<std::size_t>(1024, 2 * ip_buckets_.size());
    }
  }
  return bucket;
}

admission registry::admit_statement(user_limits& user, client_ip_limits* ip) noexcept {
  admission a;
  const bool user_limited = user.queries.limited();
  if (!user_limited && !ip) return a;
  std::int64_t wait = 0;
  if (ip) {
    const std::int64_t max_wait =
        std::int64_t{user.ip_max_wait_ms.load(std::memory_order_relaxed)} * 1'000'000;
    wait = ip->queries.take(max_wait);
    if (wait == token_bucket::refused) {
      user.counter(limit_kind::client_ip_rate).rejected.fetch_add(1, std::memory_order_relaxed);
      a.what = admission::verdict::refuse;
      a.limit = limit_kind::client_ip_rate;
      return a;
    }
    a.limit = limit_kind::client_ip_rate;
  }
  if (user_limited) {
    const std::int64_t max_wait =
        std::int64_t{user.max_wait_ms.load(std::memory_order_relaxed)} * 1'000'000;
    // The user's token is taken for the time the IP bucket lets the statement go.
    const std::int64_t w = user.queries.take(max_wait, wait);
    if (w == token_bucket::refused) {
      // (an IP token reserved above is spent: the client asked for it)
      user.counter(limit_kind::user_rate).rejected.fetch_add(1, std::memory_order_relaxed);
      a.what = admission::verdict::refuse;
      a.limit = limit_kind::user_rate;
      return a;
    }
    if (w > 0) a.limit = limit_kind::user_rate;
    wait += w;
  }
  if (wait > 0) {
    user.counter(a.limit).delayed.fetch_add(1, std::memory_order_relaxed);
    a.what = admission::verdict::wait;
    a.wait = std::chrono::nanoseconds(wait);
  }
  return a;
}

admission registry::admit_connection(user_limits& user) noexcept {
  admission a;
  const std::uint32_t max = user.max_connections.load(std::memory_order_relaxed);
  const std::uint32_t before = user.connected.fetch_add(1, std::memory_order_relaxed);
  if (max != 0 && before >= max) {
    user.connected.fetch_sub(1, std::memory_order_relaxed);
    user.counter(limit_kind::connections).rejected.fetch_add(1, std::memory_order_relaxed);
    a.what = admission::verdict::refuse;
    a.limit = limit_kind::connections;
    return a;
  }
  if (user.logins.limited() && user.logins.take() == token_bucket::refused) {
    user.connected.fetch_sub(1, std::memory_order_relaxed);
    user.counter(limit_kind::connection_rate).rejected.fetch_add(1, std::memory_order_relaxed);
    a.what = admission::verdict::refuse;
    a.limit = limit_kind::connection_rate;
  }
  return a;
}

std::uint32_t registry::blocked_for(const std::string& ip) {
  if (tracked_failures_.load(std::memory_order_relaxed) == 0) return 0;
  std::lock_guard lock(failures_mutex_);
  auto it = failures_.find(ip);
  if (it == failures_.end()) return 0;
  const auto now = clock::now();
  if (it->second.blocked_until <= now) return 0;
  blocked_logins_.fetch_add(1, std::memory_order_relaxed);
  const auto left = std::chrono::ceil<std::chrono::seconds>(it->second.blocked_until - now);
  return static_cast<std::uint32_t>(std::max<std::int64_t>(1, left.count()));
}

bool registry::login_failed(const std::string& ip) {
  failed_logins_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(failures_mutex_);
  if (failure_rule_.max_failures == 0) return false;
  const auto now = clock::now();
  // Bounded memory under a flood of addresses: when the table has doubled, entries past
  // their window and block go; past a hard cap, every address not blocked is forgotten.
  if (failures_.size() >= failures_sweep_at_) {
    std::erase_if(failures_, [&](const auto& e) {
      return e.second.blocked_until <= now &&
             now - e.second.window_start > std::chrono::seconds(failure_rule_.window_s);
    });
    if (failures_.size() >= max_tracked_addresses)
      std::erase_if(failures_, [&](const auto& e) { return e.second.blocked_until <= now; });
    failures_sweep_at_ = std::max<std::size_t>(65536, 2 * failures_.size());
  }
  ip_failures& f = failures_[ip];
  if (f.failures == 0 || now - f.window_start > std::chrono::seconds(failure_rule_.window_s)) {
    f.failures = 0;
    f.window_start = now;
  }
  ++f.failures;
  tracked_failures_.store(failures_.size(), std::memory_order_relaxed);
  if (f.failures >= failure_rule_.max_failures) {
    f.blocked_until = now + std::chrono::seconds(failure_rule_.block_s);
    f.failures = 0;
    return true;
  }
  return false;
}

void registry::login_succeeded(const std::string& ip) {
  if (tracked_failures_.load(std::memory_order_relaxed) == 0) return;
  std::lock_guard lock(failures_mutex_);
  auto it = failures_.find(ip);
  if (it != failures_.end() && it->second.blocked_until <= clock::now()) failures_.erase(it);
  tracked_failures_.store(failures_.size(), std::memory_order_relaxed);
}

std::size_t registry::blocked_addresses() {
  std::lock_guard lock(failures_mutex_);
  const auto now = clock::now();
  std::size_t n = 0;
  for (const auto& [ip, f] : failures_) n += f.blocked_until > now;
  return n;
}

std::vector<user_limits*> registry::users() {
  std::lock_guard lock(mutex_);
  std::vector<user_limits*> out;
  for (auto& [name, u] : users_) out.push_back(u.get());
  return out;
}

}  // namespace shardgate::limits
