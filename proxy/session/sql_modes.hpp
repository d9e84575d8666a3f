// What the session's variables mean for reading its statements and replies: sql_mode's
// ANSI_QUOTES and NO_BACKSLASH_ESCAPES, autocommit, and whether values can be written into
// a statement's text in the client's character set. Derived from replayable_state, and
// re-read only when that state changed (its generation), so the per-statement cost is one
// comparison.
#pragma once

#include <cstdint>
#include <string>

#include "session/replayable_state.hpp"

namespace shardgate::session {

struct sql_modes {
  bool ansi_quotes = false;
  bool no_backslash_escapes = false;  // the session's own sql_mode says so
  bool sets_sql_mode = false;         // the session set sql_mode itself
  bool autocommit_off = false;
  bool text_binding_safe = true;  // values can be written into text (no big5, sjis, ...)
  // The backends' default sql_mode has NO_BACKSLASH_ESCAPES (their status flag); counts
  // while the session has not set sql_mode.
  bool server_default_nbe = false;

  // Brings the flags in line with `state` if it changed since the last call.
  void refresh(const replayable_state& state) {
    if (generation_ != state.generation) reread(state);
  }
  // NO_BACKSLASH_ESCAPES as the server applies it to the session's statements.
  bool effective_no_backslash_escapes() const noexcept {
    return sets_sql_mode ? no_backslash_escapes : server_default_nbe;
  }
  // The next refresh re-reads (a new session state).
  void invalidate() noexcept { generation_ = UINT64_MAX; }

 private:
  void reread(const replayable_state& state) {
    generation_ = state.generation;
    const std::string* mode = state.find_var("sql_mode");
    ansi_quotes = mode && (mode->find("ANSI_QUOTES") != std::string::npos ||
                           mode->find("ANSI,") != std::string::npos || *mode == "ANSI");
    no_backslash_escapes = mode && mode->find("NO_BACKSLASH_ESCAPES") != std::string::npos;
    sets_sql_mode = mode != nullptr;
    const std::string* autocommit = state.find_var("autocommit");
    autocommit_off = autocommit && (*autocommit == "OFF" || *autocommit == "0");
    // Multi-byte character sets where a backslash byte can end a character: a value
    // written into a text byte by byte could end its string literal early.
    const std::string* cs = state.find_var("character_set_client");
    const std::string* conn = state.find_var("character_set_connection");
    auto unsafe = [](const std::string* c) {
      return c && (*c == "big5" || *c == "cp932" || *c == "gbk" || *c == "sjis" || *c == "gb18030");
    };
    text_binding_safe = !unsafe(cs) && !unsafe(conn);
  }

  std::uint64_t generation_ = UINT64_MAX;
};

}  // namespace shardgate::session
