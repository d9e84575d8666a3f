#include "transactions/decision_log.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string_view>

#include <spdlog/spdlog.h>

namespace shardgate::transactions {

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool sync_directory(const std::string& path) {
  const int dfd = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return false;
  const bool ok = ::fsync(dfd) == 0;
  ::close(dfd);
  return ok;
}

}  // namespace

std::unique_ptr<decision_log> decision_log::open(const std::string& path, std::string& error,
                                                 std::size_t compact_at_bytes) {
  std::unique_ptr<decision_log> log(new decision_log());
  log->path_ = path;
  log->compact_at_ = compact_at_bytes;
  const std::string lock_path = path + ".lock";
  log->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (log->lock_fd_ < 0) {
    error = "cannot open the XA decision log lock " + lock_path + ": " + errno_text();
    return nullptr;
  }
  if (::flock(log->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    error = errno == EWOULDBLOCK
                ? "the XA decision log " + path +
                      " is in use by another process (a second ShardGate with the same "
                      "transactions.xa_log?); every instance needs its own log and xa_name"
                : "cannot lock " + lock_path + ": " + errno_text();
    return nullptr;
  }

  // Read the records: C <gtrid> (decided to commit), D <gtrid> (finished).
  std::vector<std::string> order;
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::size_t pos = 0;
      int line = 0;
      while (pos < content.size()) {
        ++line;
        const auto nl = content.find('\n', pos);
        if (nl == std::string::npos) break;  // a torn last record: it was never synced
        const std::string_view rec(content.data() + pos, nl - pos);
        pos = nl + 1;
        if (rec.size() < 3 || (rec[0] != 'C' && rec[0] != 'D') || rec[1] != ' ' ||
            rec.size() > 2 + 64) {
          error = path + ":" + std::to_string(line) +
                  ": not an XA decision record (expected 'C <gtrid>' or 'D <gtrid>'); the file "
                  "is damaged - restore it, or move it away only after resolving every "
                  "prepared XA branch by hand (XA RECOVER on each shard)";
          return nullptr;
        }
        std::string gtrid(rec.substr(2));
        if (rec[0] == 'C') {
          if (log->undone_.insert(gtrid).second) order.push_back(std::move(gtrid));
        } else {
          log->undone_.erase(gtrid);
        }
      }
    } else if (errno != ENOENT) {
      error = "cannot read the XA decision log " + path + ": " + errno_text();
      return nullptr;
    }
  }
  for (auto& g : order)
    if (log->undone_.count(g)) log->undone_at_open_.push_back(g);
  if (!log->rewrite(error)) return nullptr;
  log->thread_ = std::thread([l = log.get()] { l->run(); });
  return log;
}

// Replaces the file by one holding only the undone decisions (atomically: a temporary
// file, synced, renamed over it, the directory synced) and appends to the new file from
// then on. A failure before the rename changes nothing; one after it (the new name may not
// be durable) breaks the log: later decisions are refused rather than written where a
// restart might not find them.
bool decision_log::rewrite(std::string& error) {
  std::string content;
  for (const auto& g : undone_) content += "C " + g + "\n";
  const std::string tmp = path_ + ".tmp";
  const int tfd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (tfd < 0) {
    error = "cannot create " + tmp + ": " + errno_text();
    return false;
  }
  if (!write_all(tfd, content) || ::fdatasync(tfd) != 0) {
    error = "cannot write " + tmp + ": " + errno_text();
    ::close(tfd);
    return false;
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    error = "cannot replace " + path_ + ": " + errno_text();
    ::close(tfd);
    return false;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = tfd;
  size_ = content.size();
  compacted_size_ = size_;
  if (!sync_directory(path_)) {
    error = "cannot sync the directory of " + path_ + ": " + errno_text();
    broken_ = true;
    return false;
  }
  return true;
}

decision_log::~decision_log() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) {
    (void)::fdatasync(fd_);
    ::close(fd_);
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);  // (releases the lock)
}

void decision_log::record_commit(std::string gtrid, std::function<void(write_outcome)> done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(entry{true, std::move(gtrid), std::move(done)});
  }
  wake_.notify_one();
}

void decision_log::record_done(std::string gtrid) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(entry{false, std::move(gtrid), {}});
  }
  wake_.notify_one();
}

void decision_log::flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

std::uint64_t decision_log::failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

void decision_log::run() {
  std::vector<entry> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      busy_ = false;
      idle_.notify_all();
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      batch.swap(queue_);
      busy_ = true;
    }
    const write_outcome outcome = write_batch(batch);
    if (outcome != write_outcome::written) {
      std::lock_guard lock(mutex_);
      ++failures_;
    }
    for (auto& e : batch)
      if (e.done) e.done(outcome);
    batch.clear();
  }
}

write_outcome decision_log::write_batch(std::vector<entry>& batch) {
  std::string text;
  bool must_sync = false;
  for (const auto& e : batch) {
    text += e.commit ? "C " : "D ";
    text += e.gtrid;
    text += '\n';
    must_sync = must_sync || e.commit;
  }
  if (broken_) return write_outcome::not_written;
  bool ok = write_all(fd_, text);
  if (ok && must_sync) ok = ::fdatasync(fd_) == 0;
  if (!ok) {
    // Cut a partly written record off, or a later record would be glued to it. If even
    // that fails, the records may or may not be on disk, and every later decision is
    // refused (nothing is ever acknowledged that a restart could misread).
    if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0 || ::fdatasync(fd_) != 0) {
      broken_ = true;
      return write_outcome::unknown;
    }
    return write_outcome::not_written;
  }
  size_ += text.size();
  for (const auto& e : batch) {
    if (e.commit)
      undone_.insert(e.gtrid);
    else
      undone_.erase(e.gtrid);
  }
  // (Compacting only once the file doubled keeps a large backlog from being rewritten
  // after every batch.)
  if (size_ >= compact_at_ && size_ >= 2 * compacted_size_) (void)compact();
  return write_outcome::written;
}

bool decision_log::compact() {
  std::string error;
  if (rewrite(error)) return true;
  spdlog::error("XA decision log: compaction failed: {}{}", error,
                broken_ ? "; two-phase commits are refused until ShardGate restarts" : "");
  return false;
}

}  // namespace shardgate::transactions
