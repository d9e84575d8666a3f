// session::sql_modes: the flags read from the session's variables, re-read on change only.
#include "session/sql_modes.hpp"

#include <gtest/gtest.h>

namespace shardgate::session {
namespace {

TEST(SqlModes, DefaultsWithoutSessionVariables) {
  replayable_state state;
  sql_modes m;
  m.refresh(state);
  EXPECT_FALSE(m.ansi_quotes);
  EXPECT_FALSE(m.sets_sql_mode);
  EXPECT_FALSE(m.autocommit_off);
  EXPECT_TRUE(m.text_binding_safe);
  // The server's default counts while the session has not set sql_mode.
  m.server_default_nbe = true;
  EXPECT_TRUE(m.effective_no_backslash_escapes());
}

TEST(SqlModes, ReadsSqlModeAutocommitAndCharacterSets) {
  replayable_state state;
  sql_modes m;
  state.set_var("sql_mode", "ANSI_QUOTES,NO_BACKSLASH_ESCAPES");
  state.set_var("autocommit", "OFF");
  m.refresh(state);
  EXPECT_TRUE(m.ansi_quotes);
  EXPECT_TRUE(m.no_backslash_escapes);
  EXPECT_TRUE(m.sets_sql_mode);
  EXPECT_TRUE(m.autocommit_off);
  m.server_default_nbe = false;
  EXPECT_TRUE(m.effective_no_backslash_escapes());

  state.set_var("sql_mode", "ANSI");
  state.set_var("autocommit", "1");
  state.set_var("character_set_client", "sjis");
  m.refresh(state);
  EXPECT_TRUE(m.ansi_quotes) << "ANSI includes ANSI_QUOTES";
  EXPECT_FALSE(m.no_backslash_escapes);
  m.server_default_nbe = true;
  EXPECT_FALSE(m.effective_no_backslash_escapes()) << "the session's own sql_mode counts";
  EXPECT_FALSE(m.autocommit_off);
  EXPECT_FALSE(m.text_binding_safe);

  state.set_var("character_set_client", "utf8mb4");
  state.set_var("character_set_connection", "gbk");
  m.refresh(state);
  EXPECT_FALSE(m.text_binding_safe);
  state.set_var("character_set_connection", "utf8mb4");
  m.refresh(state);
  EXPECT_TRUE(m.text_binding_safe);
}

TEST(SqlModes, RereadsOnlyWhenTheStateChanged) {
  replayable_state state;
  sql_modes m;
  state.set_var("sql_mode", "ANSI_QUOTES");
  m.refresh(state);
  ASSERT_TRUE(m.ansi_quotes);
  m.ansi_quotes = false;  // (a stale flag shows whether refresh re-read)
  m.refresh(state);
  EXPECT_FALSE(m.ansi_quotes) << "same generation: not re-read";
  m.invalidate();
  m.refresh(state);
  EXPECT_TRUE(m.ansi_quotes);
  state.set_var("sql_mode", "");
  m.refresh(state);
  EXPECT_FALSE(m.ansi_quotes);
  EXPECT_TRUE(m.sets_sql_mode);
}

}  // namespace
}  // namespace shardgate::session
