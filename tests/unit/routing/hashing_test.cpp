#include "routing/hashing.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace shardgate::routing {
namespace {

TEST(hashing, crc32_vectors) {
  struct crc_case {
    std::string_view data;
    std::uint32_t crc;
  };
  const crc_case cases[] = {
      {"", 0x00000000u},
      {"a", 0xE8B7BE43u},
      {"abc", 0x352441C2u},
      {"123456789", 0xCBF43926u},
      {"The quick brown fox jumps over the lazy dog", 0x414FA339u},
  };
  for (const auto& c : cases) EXPECT_EQ(crc32(c.data), c.crc) << c.data;
}

TEST(hashing, crc32_binary_data) {
  const std::string with_nul("a\0b", 3);
  EXPECT_NE(crc32(with_nul), crc32("ab"));
  EXPECT_EQ(crc32(with_nul), crc32(std::string_view("a\0b", 3)));
}

TEST(hashing, xxhash64_vectors) {
  struct xxh_case {
    std::string_view data;
    std::uint64_t seed;
    std::uint64_t hash;
  };
  const xxh_case cases[] = {
      {"", 0, 0xEF46DB3751D8E999ull},
      {"abc", 0, 0x44BC2CF5AD770999ull},
      {"a", 0, 0xD24EC4F1A98C6E5Bull},
  };
  for (const auto& c : cases) EXPECT_EQ(xxhash64(c.data, c.seed), c.hash) << c.data;
}

TEST(hashing, xxhash64_seed_and_default) {
  EXPECT_EQ(xxhash64("ORD2026112200000042"), xxhash64("ORD2026112200000042", 0));
  EXPECT_NE(xxhash64("abc", 1), xxhash64("abc", 0));
  // Long input (> 32 bytes takes XXH64's striped path).
  const std::string long_text(1000, 'x');
  EXPECT_EQ(xxhash64(long_text), xxhash64(std::string(1000, 'x')));
  EXPECT_NE(xxhash64(long_text), xxhash64(long_text.substr(1)));
}

}  // namespace
}  // namespace shardgate::routing
