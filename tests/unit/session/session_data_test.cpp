// session_data's questions: the status flags ShardGate composes (cursor flags never describe
// the session, an open transaction always shows), whether a transaction is open, and when
// a held connection must stay.
#include "session/session_data.hpp"

#include <gtest/gtest.h>

namespace shardgate::session {
namespace {

using namespace protocol;

TEST(session_data, status_flags_drop_per_result_flags_and_show_the_transaction) {
  session_data s;
  s.slots.reset(2);
  s.server_status = status::autocommit | status::cursor_exists | status::last_row_sent |
                    status::session_state_changed | status::no_backslash_escapes;
  EXPECT_EQ(s.status_flags(), status::autocommit | status::no_backslash_escapes);
  EXPECT_FALSE(s.in_transaction());
  s.txn.open = true;  // BEGIN answered, nothing ran yet
  EXPECT_TRUE(s.in_transaction());
  EXPECT_EQ(s.status_flags() & status::in_trans, status::in_trans);
}

TEST(session_data, a_server_reported_transaction_counts_and_keeps_its_connection) {
  asio::io_context io;
  session_data s;
  s.slots.reset(2);
  s.slots[1].conn = std::make_unique<backend::backend_connection>(io.get_executor());
  s.slots[1].conn->set_capabilities(cap::protocol_41 | cap::session_track);
  EXPECT_FALSE(s.must_keep(1));
  s.slots[1].conn->status = status::in_trans;
  EXPECT_TRUE(s.in_transaction());
  EXPECT_TRUE(s.must_keep(1));
  EXPECT_FALSE(s.must_keep(0));
  s.slots[1].conn->status = 0;
  s.pinned_by_statement = true;  // state that cannot be replayed pins every cluster
  EXPECT_TRUE(s.must_keep(0));
  EXPECT_TRUE(s.must_keep(1));
}

}  // namespace
}  // namespace shardgate::session
