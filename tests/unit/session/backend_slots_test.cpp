// session::backend_slots: what the held connections say about the session.
#include "session/backend_slots.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace shardgate::session {
namespace {

class BackendSlots : public ::testing::Test {
 protected:
  // A connection object as a pool would hand it out (never connected: no I/O here).
  void hold(int cluster, bool in_trans, bool tracks_state = true) {
    auto conn = std::make_unique<backend::backend_connection>(io_.get_executor());
    conn->set_capabilities(tracks_state ? protocol::cap::session_track : 0);
    if (in_trans) conn->status |= protocol::status::in_trans;
    slots_[cluster].conn = std::move(conn);
  }
  asio::io_context io_;
  backend_slots slots_;
};

TEST_F(BackendSlots, EmptySlotsHoldNothing) {
  slots_.reset(3);
  EXPECT_EQ(slots_.size(), 3u);
  EXPECT_FALSE(slots_.any_held());
  EXPECT_FALSE(slots_.any_transaction());
  EXPECT_FALSE(slots_.any_xa());
  EXPECT_EQ(slots_.open_transactions(), 0);
  EXPECT_EQ(slots_.transaction_home(), -1);
  for (int c = 0; c < 3; ++c) {
    EXPECT_FALSE(slots_.must_keep(c, false));
    EXPECT_TRUE(slots_.must_keep(c, true)) << "pinned state keeps even an empty slot's next one";
  }
}

TEST_F(BackendSlots, TransactionHomePrefersTheShardThatWrote) {
  slots_.reset(4);
  hold(1, true);
  hold(2, true);
  hold(3, false);
  EXPECT_TRUE(slots_.any_held());
  EXPECT_EQ(slots_.open_transactions(), 2);
  EXPECT_EQ(slots_.transaction_home(), 1);
  slots_[2].wrote = true;
  EXPECT_EQ(slots_.transaction_home(), 2);
  // A cluster that wrote but whose transaction ended is not the home.
  slots_[3].wrote = true;
  slots_[2].wrote = false;
  EXPECT_EQ(slots_.transaction_home(), 1);
}

TEST_F(BackendSlots, MustKeepWhileTransactionBranchCursorOrUntrackedState) {
  slots_.reset(5);
  hold(0, false);
  EXPECT_FALSE(slots_.must_keep(0, false));
  hold(1, true);
  EXPECT_TRUE(slots_.must_keep(1, false));
  hold(2, false);
  slots_[2].xa = true;
  EXPECT_TRUE(slots_.must_keep(2, false));
  EXPECT_TRUE(slots_.any_xa());
  hold(3, false);
  slots_[3].cursors = 1;
  EXPECT_TRUE(slots_.must_keep(3, false));
  hold(4, false, /*tracks_state=*/false);
  EXPECT_TRUE(slots_.must_keep(4, false)) << "a server without session tracking pins";
}

TEST_F(BackendSlots, XaCountsOnlyOnAHeldConnection) {
  slots_.reset(2);
  slots_[1].xa = true;  // (the branch's connection is gone)
  EXPECT_FALSE(slots_.any_xa());
  hold(1, false);
  EXPECT_TRUE(slots_.any_xa());
}

TEST_F(BackendSlots, ResetEmptiesEverySlot) {
  slots_.reset(2);
  slots_[0].wrote = true;
  slots_[1].cursors = 2;
  slots_.reset(3);
  for (const auto& s : slots_) {
    EXPECT_FALSE(s.wrote);
    EXPECT_EQ(s.cursors, 0u);
    EXPECT_EQ(s.conn, nullptr);
  }
}

}  // namespace
}  // namespace shardgate::session
