// The XA decision log on a real file: durability order, reopening, damage, the lock and
// compaction.
#include "transactions/decision_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

namespace shardgate::transactions {
namespace {

namespace fs = std::filesystem;

class decision_log_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sg-decision-log-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "xa.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<decision_log> open_ok(std::size_t compact_at = 1u << 20) {
    std::string error;
    auto log = decision_log::open(path_, error, compact_at);
    EXPECT_TRUE(log) << error;
    return log;
  }
  static bool commit(decision_log& log, const std::string& gtrid) {
    std::promise<bool> written;
    log.record_commit(gtrid,
                      [&](write_outcome o) { written.set_value(o == write_outcome::written); });
    return written.get_future().get();
  }
  std::string content() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(decision_log_test, commit_is_on_disk_when_acknowledged) {
  auto log = open_ok();
  ASSERT_TRUE(log);
  EXPECT_TRUE(log->undone_at_open().empty());
  EXPECT_TRUE(commit(*log, "g-1-1"));
  // Acknowledged means written: another reader sees it at once.
  EXPECT_EQ(content(), "C g-1-1\n");
  log->record_done("g-1-1");
  log->flush();
  EXPECT_EQ(content(), "C g-1-1\nD g-1-1\n");
  EXPECT_EQ(log->failures(), 0u);
}

TEST_F(decision_log_test, reopening_lists_undone_decisions_and_compacts) {
  {
    auto log = open_ok();
    ASSERT_TRUE(log);
    EXPECT_TRUE(commit(*log, "g-1-1"));
    EXPECT_TRUE(commit(*log, "g-1-2"));
    EXPECT_TRUE(commit(*log, "g-1-3"));
    log->record_done("g-1-2");
  }
  auto log = open_ok();
  ASSERT_TRUE(log);
  EXPECT_EQ(log->undone_at_open(), (std::vector<std::string>{"g-1-1", "g-1-3"}));
  // Rewritten with the undone decisions only.
  const std::string c = content();
  EXPECT_EQ(c.find("g-1-2"), std::string::npos) << c;
  EXPECT_NE(c.find("C g-1-1\n"), std::string::npos) << c;
  EXPECT_NE(c.find("C g-1-3\n"), std::string::npos) << c;
}

TEST_F(decision_log_test, torn_last_record_was_never_acknowledged) {
  {
    std::ofstream out(path_);
    out << "C g-1-1\nD g-1-1\nC g-1-2\nC g-1-";  // a crash in the middle of a write
  }
  auto log = open_ok();
  ASSERT_TRUE(log);
  EXPECT_EQ(log->undone_at_open(), (std::vector<std::string>{"g-1-2"}));
}

TEST_F(decision_log_test, damaged_file_names_the_line) {
  {
    std::ofstream out(path_);
    out << "C g-1-1\nX what\n";
  }
  std::string error;
  EXPECT_FALSE(decision_log::open(path_, error));
  EXPECT_NE(error.find(path_ + ":2: not an XA decision record"), std::string::npos) << error;
}

TEST_F(decision_log_test, second_process_is_locked_out) {
  auto first = open_ok();
  ASSERT_TRUE(first);
  std::string error;
  EXPECT_FALSE(decision_log::open(path_, error));
  EXPECT_NE(error.find("in use by another process"), std::string::npos) << error;
  first.reset();
  EXPECT_TRUE(open_ok());
}

TEST_F(decision_log_test, unwritable_directory_is_reported) {
  path_ = (dir_ / "missing" / "xa.log").string();
  std::string error;
  EXPECT_FALSE(decision_log::open(path_, error));
  EXPECT_NE(error.find("missing"), std::string::npos) << error;
}

TEST_F(decision_log_test, compaction_keeps_undone_decisions) {
  auto log = open_ok(/*compact_at=*/256);
  ASSERT_TRUE(log);
  for (int i = 0; i < 200; ++i) {
    const std::string g = "g-1-" + std::to_string(i);
    EXPECT_TRUE(commit(*log, g));
    if (i != 7 && i != 150) log->record_done(g);
  }
  log->flush();
  EXPECT_LT(content().size(), 2000u);  // 200 commits + 198 done records would be ~4 KB
  log.reset();
  auto reopened = open_ok();
  ASSERT_TRUE(reopened);
  auto undone = reopened->undone_at_open();
  std::sort(undone.begin(), undone.end());
  EXPECT_EQ(undone, (std::vector<std::string>{"g-1-150", "g-1-7"}));
}

TEST_F(decision_log_test, concurrent_commits_share_syncs) {
  auto log = open_ok();
  ASSERT_TRUE(log);
  constexpr int n = 64;
  std::vector<std::promise<bool>> done(n);
  for (int i = 0; i < n; ++i)
    log->record_commit("g-2-" + std::to_string(i),
                       [&, i](write_outcome o) { done[i].set_value(o == write_outcome::written); });
  for (auto& d : done) EXPECT_TRUE(d.get_future().get());
  log.reset();
  auto reopened = open_ok();
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->undone_at_open().size(), static_cast<std::size_t>(n));
}

}  // namespace
}  // namespace shardgate::transactions
