#include "limits/limits.hpp"

#include <algorithm>

namespace shardgate::limits {

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
  std::lock_guard lock(throttle_mutex_);
  login_rule_ = cfg.listen.failed_logins;
  error_rule_ = cfg.listen.connect_errors;
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

// ---- login throttling ------------------------------------------------------------------

namespace {

constexpr std::size_t min_sweep = 65536;
// The part of a client-sent user name that tells pairs apart (bounded memory per entry).
constexpr std::size_t max_user_key = 256;

// Frees room in `table` (at `cap` entries): drops the half with the earliest `age` (a
// time_point per entry). O(n), and only when the table is full.
template <typename Table, typename Age>
void drop_oldest_half(Table& table, Age age) {
  if (table.empty()) return;
  std::vector<registry::time_point> times;
  times.reserve(table.size());
  for (const auto& e : table) times.push_back(age(e.second));
  auto middle = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), middle, times.end());
  const registry::time_point pivot = *middle;
  std::erase_if(table, [&](const auto& e) { return age(e.second) <= pivot; });
}

}  // namespace

void registry::set_clock(std::function<time_point()> now) {
  std::lock_guard lock(throttle_mutex_);
  now_ = std::move(now);
}

void registry::set_max_tracked(std::size_t n) {
  std::lock_guard lock(throttle_mutex_);
  max_tracked_ = std::max<std::size_t>(n, 2);
  pairs_sweep_at_ = std::min(pairs_sweep_at_, max_tracked_);
  addresses_sweep_at_ = std::min(addresses_sweep_at_, max_tracked_);
}

std::string registry::pair_key(std::string_view user, const address& ip) {
  // An address never holds a NUL: "ip\0user" is unambiguous.
  std::string key = ip;
  key += '\0';
  key += user.substr(0, max_user_key);
  return key;
}

// Bounded memory under a flood of (user, address) pairs: when the table has doubled,
// pairs past their window go; at the cap, the older half goes too.
void registry::make_room_for_pair(time_point now) {
  if (pairs_.size() < pairs_sweep_at_) return;
  const auto window = std::chrono::seconds(login_rule_.window_s);
  std::erase_if(pairs_, [&](const auto& e) { return now - e.second.last > window; });
  if (pairs_.size() >= max_tracked_)
    drop_oldest_half(pairs_, [](const pair_failures& f) { return f.last; });
  pairs_sweep_at_ = std::min(max_tracked_, std::max(min_sweep, 2 * pairs_.size()));
}

// The same for addresses: those past their window and block go first; at the cap every
// address not blocked, then the blocked half whose blocks end first.
void registry::make_room_for_address(time_point now) {
  if (addresses_.size() < addresses_sweep_at_) return;
  const auto window = std::chrono::seconds(error_rule_.window_s);
  std::erase_if(addresses_, [&](const auto& e) {
    return e.second.blocked_until <= now && now - e.second.window_start > window;
  });
  if (addresses_.size() >= max_tracked_)
    std::erase_if(addresses_, [&](const auto& e) { return e.second.blocked_until <= now; });
  if (addresses_.size() >= max_tracked_)
    drop_oldest_half(addresses_, [](const address_errors& e) { return e.blocked_until; });
  addresses_sweep_at_ = std::min(max_tracked_, std::max(min_sweep, 2 * addresses_.size()));
}

std::chrono::milliseconds registry::login_delay(std::string_view user, const address& ip) {
  if (tracked_pairs_.load(std::memory_order_relaxed) == 0) return {};
  std::lock_guard lock(throttle_mutex_);
  const config::failed_login_config& rule = login_rule_;
  if (rule.threshold == 0) return {};
  auto it = pairs_.find(pair_key(user, ip));
  if (it == pairs_.end()) return {};
  const pair_failures& f = it->second;
  if (f.failures < rule.threshold || now() - f.last > std::chrono::seconds(rule.window_s))
    return {};
  // The first delayed attempt (failures == threshold) waits min_delay_ms, each further
  // failure doubles it, up to max_delay_ms.
  const std::uint32_t doublings = f.failures - rule.threshold;
  std::uint64_t ms = rule.max_delay_ms;
  if (doublings < 32)
    ms = std::min<std::uint64_t>(ms, std::uint64_t{rule.min_delay_ms} << doublings);
  delayed_logins_.fetch_add(1, std::memory_order_relaxed);
  return std::chrono::milliseconds(ms);
}

void registry::login_failed(std::string_view user, const address& ip) {
  failed_logins_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(throttle_mutex_);
  if (login_rule_.threshold == 0) return;
  const time_point t = now();
  std::string key = pair_key(user, ip);
  auto it = pairs_.find(key);
  if (it == pairs_.end()) {
    make_room_for_pair(t);
    it = pairs_.emplace(std::move(key), pair_failures{}).first;
  }
  pair_failures& f = it->second;
  if (t - f.last > std::chrono::seconds(login_rule_.window_s)) f.failures = 0;
  if (f.failures < UINT32_MAX) ++f.failures;
  f.last = t;
  tracked_pairs_.store(pairs_.size(), std::memory_order_relaxed);
}

void registry::login_succeeded(std::string_view user, const address& ip) {
  const bool pairs = tracked_pairs_.load(std::memory_order_relaxed) != 0;
  const bool addresses = tracked_addresses_.load(std::memory_order_relaxed) != 0;
  if (!pairs && !addresses) return;
  std::lock_guard lock(throttle_mutex_);
  if (pairs) {
    pairs_.erase(pair_key(user, ip));
    tracked_pairs_.store(pairs_.size(), std::memory_order_relaxed);
  }
  if (addresses) {
    // (A blocked address cannot log in; should it, the block stays.)
    auto it = addresses_.find(ip);
    if (it != addresses_.end() && it->second.blocked_until <= now()) addresses_.erase(it);
    tracked_addresses_.store(addresses_.size(), std::memory_order_relaxed);
  }
}

bool registry::connect_error(const address& ip) {
  std::lock_guard lock(throttle_mutex_);
  if (error_rule_.max_errors == 0) return false;
  const time_point t = now();
  auto it = addresses_.find(ip);
  if (it == addresses_.end()) {
    make_room_for_address(t);
    it = addresses_.emplace(ip, address_errors{}).first;
  }
  address_errors& e = it->second;
  tracked_addresses_.store(addresses_.size(), std::memory_order_relaxed);
  if (e.blocked_until > t) return false;  // blocked already
  if (e.errors == 0 || t - e.window_start > std::chrono::seconds(error_rule_.window_s)) {
    e.errors = 0;
    e.window_start = t;
  }
  if (++e.errors < error_rule_.max_errors) return false;
  e.errors = 0;
  e.blocked_until = t + std::chrono::seconds(error_rule_.block_s);
  return true;
}

std::chrono::seconds registry::blocked_for(const address& ip) {
  if (tracked_addresses_.load(std::memory_order_relaxed) == 0) return {};
  std::lock_guard lock(throttle_mutex_);
  if (error_rule_.max_errors == 0) return {};  // turned off: blocks are lifted
  auto it = addresses_.find(ip);
  if (it == addresses_.end()) return {};
  const time_point t = now();
  if (it->second.blocked_until <= t) return {};
  blocked_logins_.fetch_add(1, std::memory_order_relaxed);
  const auto left = std::chrono::ceil<std::chrono::seconds>(it->second.blocked_until - t);
  return std::max(left, std::chrono::seconds(1));
}

std::size_t registry::blocked_addresses() {
  if (tracked_addresses_.load(std::memory_order_relaxed) == 0) return 0;
  std::lock_guard lock(throttle_mutex_);
  if (error_rule_.max_errors == 0) return 0;
  const time_point t = now();
  std::size_t n = 0;
  for (const auto& [ip, e] : addresses_) n += e.blocked_until > t;
  return n;
}

std::vector<user_limits*> registry::users() {
  std::lock_guard lock(mutex_);
  std::vector<user_limits*> out;
  for (auto& [name, u] : users_) out.push_back(u.get());
  return out;
}

}  // namespace shardgate::limits
