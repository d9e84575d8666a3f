// Handshake collation ids -> character set and collation names. The ids below are the
// ones MySQL and MariaDB share; an unknown id falls back to utf8mb4 (as MariaDB falls
// back to its default character set).
#include <array>

#include "session/replayable_state.hpp"

namespace shardgate::session {

namespace {
struct collation_entry {
  std::uint8_t id;
  const char* charset;
  const char* collation;
};

constexpr std::array<collation_entry, 24> known{{
    {1, "big5", "big5_chinese_ci"},
    {8, "latin1", "latin1_swedish_ci"},
    {9, "latin2", "latin2_general_ci"},
    {11, "ascii", "ascii_general_ci"},
    {19, "euckr", "euckr_korean_ci"},
    {24, "gb2312", "gb2312_chinese_ci"},
    {28, "gbk", "gbk_chinese_ci"},
    {33, "utf8mb3", "utf8mb3_general_ci"},
    {45, "utf8mb4", "utf8mb4_general_ci"},
    {46, "utf8mb4", "utf8mb4_bin"},
    {47, "latin1", "latin1_bin"},
    {48, "latin1", "latin1_general_ci"},
    {49, "latin1", "latin1_general_cs"},
    {63, "binary", "binary"},
    {83, "utf8mb3", "utf8mb3_bin"},
    {85, "euckr", "euckr_bin"},
    {95, "cp932", "cp932_japanese_ci"},
    {192, "utf8mb3", "utf8mb3_unicode_ci"},
    {224, "utf8mb4", "utf8mb4_unicode_ci"},
    {225, "utf8mb4", "utf8mb4_icelandic_ci"},
    {245, "utf8mb4", "utf8mb4_croatian_ci"},
    {246, "utf8mb4", "utf8mb4_unicode_520_ci"},
    {247, "utf8mb4", "utf8mb4_vietnamese_ci"},
    {28, "gbk", "gbk_chinese_ci"},
}};
}  // namespace

void apply_handshake_collation(replayable_state& state, std::uint8_t collation_id) {
  const char* charset = "utf8mb4";
  const char* collation = "utf8mb4_general_ci";
  for (const auto& e : known)
    if (e.id == collation_id) {
      charset = e.charset;
      collation = e.collation;
      break;
    }
  state.set_var("character_set_client", charset);
  state.set_var("character_set_connection", charset);
  state.set_var("character_set_results", charset);
  state.set_var("collation_connection", collation);
}

}  // namespace shardgate::session
