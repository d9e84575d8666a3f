// The durable record of two-phase commit decisions (transactions.cross_shard: xa).
//
// Before ShardGate sends the first XA COMMIT of a transaction it appends "C <gtrid>" to
// this file and waits for fdatasync; after every branch committed it appends "D <gtrid>".
// After a crash, a prepared branch whose gtrid has a C record and no D record is committed,
// every other prepared branch of this instance is rolled back. The file is written by a
// thread of its own (never an asio thread), which batches the records of concurrent
// commits into one fdatasync, and rewrites the file with only the undone decisions when it
// grows. A lock file next to it (PATH.lock) keeps a second process from using the same
// log.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace shardgate::transactions {

// What became of a record: on disk (synced); certainly not on disk (the file was cut back
// to before it); or unknown (it may be on disk - only a restart's reading decides).
enum class write_outcome : std::uint8_t { written, not_written, unknown };

class decision_log {
 public:
  // Opens (creating) the log at `path`, locks it, reads it and rewrites it with the undone
  // decisions only. Null, with `error` set ("PATH:LINE: what" for a damaged file), when it
  // cannot.
  static std::unique_ptr<decision_log> open(const std::string& path, std::string& error,
                                            std::size_t compact_at_bytes = 1u << 20);
  ~decision_log();
  decision_log(const decision_log&) = delete;
  decision_log& operator=(const decision_log&) = delete;

  // Commit decisions without a done record, as read at open.
  const std::vector<std::string>& undone_at_open() const noexcept { return undone_at_open_; }

  // Appends a commit decision and makes it durable; `done` runs on the log's thread once
  // it is on disk, or when writing or syncing failed (not_written / unknown).
  void record_commit(std::string gtrid, std::function<void(write_outcome)> done);
  // Appends "every branch committed" (made durable with a later batch; losing it only
  // makes recovery look for branches that are gone).
  void record_done(std::string gtrid);
  // Waits until everything queued so far has been written (tests, shutdown).
  void flush();

  const std::string& path() const noexcept { return path_; }
  // Writes or syncs that failed since open.
  std::uint64_t failures() const;

 private:
  decision_log() = default;
  struct entry {
    bool commit = false;
    std::string gtrid;
    std::function<void(write_outcome)> done;
  };
  void run();
  write_outcome write_batch(std::vector<entry>& batch);
  bool compact();
  bool rewrite(std::string& error);

  std::string path_;
  int fd_ = -1;
  int lock_fd_ = -1;
  std::size_t compact_at_ = 0;
  std::size_t size_ = 0;
  std::size_t compacted_size_ = 0;
  bool broken_ = false;  // a failed write could not be cut off: refuse every record
  std::vector<std::string> undone_at_open_;
  std::unordered_set<std::string> undone_;  // writer thread only (after open)

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::vector<entry> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::uint64_t failures_ = 0;
  std::thread thread_;
};

}  // namespace shardgate::transactions
