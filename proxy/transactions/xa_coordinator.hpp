// The process-wide side of two-phase commit (transactions.cross_shard: xa): global
// transaction ids, the decision log, which transactions are still in a session's hands,
// and the verdict recovery gives each prepared branch it finds. Sessions touch it only
// when a cross-shard XA transaction starts or ends - never per statement.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "net/asio.hpp"
#include "transactions/decision_log.hpp"
#include "transactions/xa_ids.hpp"

namespace shardgate::transactions {

// Where a test may have ShardGate kill itself during a two-phase commit
// (SHARDGATE_TEST_XA_CRASH=after_prepare|after_decision|after_first_commit).
enum class crash_point : std::uint8_t { none, after_prepare, after_decision, after_first_commit };

class xa_coordinator {
 public:
  xa_coordinator(std::string instance, std::unique_ptr<decision_log> log,
                 crash_point crash = crash_point::none);

  const std::string& instance() const noexcept { return instance_; }

  // A new gtrid, in a session's hands until finished(), abandoned(), handed_over() or
  // left_unresolved().
  std::string begin();
  // Makes the commit decision durable (written: on disk). The caller resumes on its own
  // executor.
  awaitable<write_outcome> decide_commit(const std::string& gtrid);
  // Waits until the decision log has written everything queued (before shutdown).
  void flush();
  // Every branch committed (decided) or rolled back / never prepared (not decided).
  void finished(const std::string& gtrid);
  void abandoned(const std::string& gtrid);
  // Decided, but some branches could not be committed: recovery commits them.
  void handed_over(const std::string& gtrid);
  // The decision may or may not be on disk (the log failed): nobody in this process may
  // resolve its branches; the next start reads the log and does.
  void left_unresolved(const std::string& gtrid);

  enum class verdict : std::uint8_t { not_ours, in_use, commit, rollback };
  verdict judge(const xa_branch& branch) const;
  // Decided transactions not in a session's hands (recovery's list of what must end up
  // committed everywhere).
  std::vector<std::string> decided_unfinished() const;
  // Recovery found no branch of a decided transaction on any shard.
  void forget_decided(const std::string& gtrid);

  // Asks the recovery loop for a pass soon (set by the loop's owner).
  void set_recovery_kick(std::function<void()> kick);
  void kick_recovery();

  void maybe_crash(crash_point where) const;
  crash_point crash_at() const noexcept { return crash_; }
  static crash_point crash_point_from_env();

 private:
  std::string instance_;
  std::uint64_t boot_;
  std::atomic<std::uint64_t> seq_{0};
  crash_point crash_;

  mutable std::mutex mutex_;
  std::unordered_set<std::string> in_use_;   // in a session's hands (or unresolved)
  std::unordered_set<std::string> decided_;  // decided to commit, not known finished
  std::function<void()> kick_;

  // Last: destroyed first, so its thread's last callbacks still find the sets above.
  std::unique_ptr<decision_log> log_;
};

}  // namespace shardgate::transactions
