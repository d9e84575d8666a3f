#include "routing/hashing.hpp"

#include <zlib.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace shardgate::routing {

std::uint32_t crc32(std::string_view data) noexcept {
  const uLong initial = ::crc32_z(0L, Z_NULL, 0);
  return static_cast<std::uint32_t>(
      ::crc32_z(initial, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

std::uint64_t xxhash64(std::string_view data, std::uint64_t seed) noexcept {
  return XXH64(data.data(), data.size(), seed);
}

}  // namespace shardgate::routing
