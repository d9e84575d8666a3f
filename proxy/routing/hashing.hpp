// Hash functions for shard keys: CRC-32 (zlib, the standard IEEE polynomial) and XXH64.
// Both are stable across releases and platforms, so a key always maps to the same shard.
#pragma once

#include <cstdint>
#include <string_view>

namespace shardgate::routing {

// Standard CRC-32 (as zlib's crc32()): crc32("123456789") == 0xCBF43926.
std::uint32_t crc32(std::string_view data) noexcept;

// XXH64 of `data` with `seed`.
std::uint64_t xxhash64(std::string_view data, std::uint64_t seed = 0) noexcept;

}  // namespace shardgate::routing
