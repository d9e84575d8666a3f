#include "transactions/xa_coordinator.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace shardgate::transactions {

xa_coordinator::xa_coordinator(std::string instance, std::unique_ptr<decision_log> log,
                               crash_point crash)
    : instance_(std::move(instance)), crash_(crash), log_(std::move(log)) {
  // Milliseconds since the epoch: a restart gets a new boot id even a moment later.
  boot_ = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  if (log_)
    for (const auto& g : log_->undone_at_open()) decided_.insert(g);
}

std::string xa_coordinator::begin() {
  std::string gtrid = make_gtrid(instance_, boot_, seq_.fetch_add(1) + 1);
  std::lock_guard lock(mutex_);
  in_use_.insert(gtrid);
  return gtrid;
}

awaitable<write_outcome> xa_coordinator::decide_commit(const std::string& gtrid) {
  if (!log_) co_return write_outcome::not_written;
  auto executor = co_await asio::this_coro::executor;
  // The log's thread calls back; the session resumes on its own executor.
  auto initiate = [this, &gtrid, executor](auto handler) {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    log_->record_commit(gtrid, [this, shared, executor, gtrid](write_outcome outcome) {
      if (outcome == write_outcome::written) {
        std::lock_guard lock(mutex_);
        decided_.insert(gtrid);
      }
      asio::post(executor, [shared, outcome]() mutable { std::move (*shared)(outcome); });
    });
  };
  const write_outcome outcome =
      co_await asio::async_initiate<decltype(asio::use_awaitable), void(write_outcome)>(
          initiate, asio::use_awaitable);
  co_return outcome;
}

void xa_coordinator::flush() {
  if (log_) log_->flush();
}

void xa_coordinator::finished(const std::string& gtrid) {
  bool was_decided = false;
  {
    std::lock_guard lock(mutex_);
    in_use_.erase(gtrid);
    was_decided = decided_.erase(gtrid) > 0;
  }
  if (was_decided && log_) log_->record_done(gtrid);
}

void xa_coordinator::abandoned(const std::string& gtrid) {
  std::lock_guard lock(mutex_);
  in_use_.erase(gtrid);
}

void xa_coordinator::handed_over(const std::string& gtrid) {
  {
    std::lock_guard lock(mutex_);
    in_use_.erase(gtrid);
  }
  kick_recovery();
}

void xa_coordinator::left_unresolved(const std::string& gtrid) {
  // Stays in in_use_ for the life of the process.
  spdlog::error(
      "XA transaction {}: its commit decision could not be made durable in {}; its prepared "
      "branches stay prepared until ShardGate restarts and resolves them from the log",
      gtrid, log_ ? log_->path() : std::string("(no log)"));
}

xa_coordinator::verdict xa_coordinator::judge(const xa_branch& branch) const {
  if (!owned_by(branch, instance_)) return verdict::not_ours;
  std::lock_guard lock(mutex_);
  if (in_use_.count(branch.gtrid)) return verdict::in_use;
  return decided_.count(branch.gtrid) ? verdict::commit : verdict::rollback;
}

std::vector<std::string> xa_coordinator::decided_unfinished() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& g : decided_)
    if (!in_use_.count(g)) out.push_back(g);
  return out;
}

void xa_coordinator::forget_decided(const std::string& gtrid) {
  bool was = false;
  {
    std::lock_guard lock(mutex_);
    if (in_use_.count(gtrid)) return;
    was = decided_.erase(gtrid) > 0;
  }
  if (was && log_) log_->record_done(gtrid);
}

void xa_coordinator::set_recovery_kick(std::function<void()> kick) {
  std::lock_guard lock(mutex_);
  kick_ = std::move(kick);
}

void xa_coordinator::kick_recovery() {
  std::function<void()> kick;
  {
    std::lock_guard lock(mutex_);
    kick = kick_;
  }
  if (kick) kick();
}

void xa_coordinator::maybe_crash(crash_point where) const {
  if (crash_ == crash_point::none || crash_ != where) return;
  spdlog::critical("SHARDGATE_TEST_XA_CRASH: killing the process now (test fault injection)");
  spdlog::default_logger()->flush();
  std::raise(SIGKILL);
}

crash_point xa_coordinator::crash_point_from_env() {
  const char* v = std::getenv("SHARDGATE_TEST_XA_CRASH");
  if (!v || !*v) return crash_point::none;
  if (!std::strcmp(v, "after_prepare")) return crash_point::after_prepare;
  if (!std::strcmp(v, "after_decision")) return crash_point::after_decision;
  if (!std::strcmp(v, "after_first_commit")) return crash_point::after_first_commit;
  spdlog::warn("SHARDGATE_TEST_XA_CRASH={}: unknown point, ignored", v);
  return crash_point::none;
}

}  // namespace shardgate::transactions
