// Byte-level reading and writing of protocol primitives: fixed-width little-endian
// integers, length-encoded integers and strings, NUL-terminated strings.
// Pure: no I/O. The reader never reads past its span; an overrun makes it fail (sticky).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace shardgate::protocol {

using bytes = std::vector<std::uint8_t>;
using byte_span = std::span<const std::uint8_t>;

inline std::string_view as_string_view(byte_span s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}
inline byte_span as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Number of bytes a length-encoded integer with this value occupies.
constexpr std::size_t lenenc_int_size(std::uint64_t v) noexcept {
  return v < 251 ? 1 : v < (1u << 16) ? 3 : v < (1u << 24) ? 4 : 9;
}

class byte_reader {
 public:
  explicit byte_reader(byte_span data) noexcept : data_(data) {}

  bool ok() const noexcept { return ok_; }
  std::size_t remaining() const noexcept { return ok_ ? data_.size() - pos_ : 0; }
  bool at_end() const noexcept { return remaining() == 0; }
  std::size_t position() const noexcept { return pos_; }
  void fail() noexcept { ok_ = false; }

  std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(fixed(1)); }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(fixed(2)); }
  std::uint32_t u24() noexcept { return static_cast<std::uint32_t>(fixed(3)); }
  std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(fixed(4)); }
  std::uint64_t u64() noexcept { return fixed(8); }
  std::uint8_t peek() const noexcept { return remaining() ? data_[pos_] : 0; }

  // Length-encoded integer. 0xfb (NULL) and 0xff are invalid here and fail the reader.
  std::uint64_t lenenc_int() noexcept {
    std::uint8_t first = u8();
    if (!ok_) return 0;
    if (first < 251) return first;
    if (first == 0xfc) return fixed(2);
    if (first == 0xfd) return fixed(3);
    if (first == 0xfe) return fixed(8);
    ok_ = false;
    return 0;
  }
  std::string_view lenenc_str() noexcept {
    std::uint64_t n = lenenc_int();
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return {};
    }
    return take(static_cast<std::size_t>(n));
  }
  // Text-row cell: nullopt for NULL (0xfb).
  std::optional<std::string_view> nullable_lenenc_str() noexcept {
    if (remaining() && data_[pos_] == 0xfb) {
      ++pos_;
      return std::nullopt;
    }
    return lenenc_str();
  }
  std::string_view null_terminated() noexcept {
    if (!ok_ || pos_ == data_.size()) {  // (memchr on an empty, possibly null, span is UB)
      ok_ = false;
      return {};
    }
    const void* nul = std::memchr(data_.data() + pos_, 0, data_.size() - pos_);
    if (!nul) {
      ok_ = false;
      return {};
    }
    std::size_t n = static_cast<const std::uint8_t*>(nul) - (data_.data() + pos_);
    std::string_view s = take(n);
    ++pos_;
    return s;
  }
  std::string_view take(std::size_t n) noexcept {
    if (!ok_ || n > data_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(data_.data() + pos_), n);
    pos_ += n;
    return s;
  }
  std::string_view rest() noexcept { return take(remaining()); }
  void skip(std::size_t n) noexcept { take(n); }

 private:
  std::uint64_t fixed(int n) noexcept {
    if (!ok_ || data_.size() - pos_ < static_cast<std::size_t>(n)) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }

  byte_span data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Appends to a byte vector.
class byte_writer {
 public:
  explicit byte_writer(bytes& out) noexcept : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { fixed(v, 2); }
  void u24(std::uint32_t v) { fixed(v, 3); }
  void u32(std::uint32_t v) { fixed(v, 4); }
  void u64(std::uint64_t v) { fixed(v, 8); }
  void lenenc_int(std::uint64_t v) {
    if (v < 251) {
      u8(static_cast<std::uint8_t>(v));
    } else if (v < (1u << 16)) {
      u8(0xfc);
      fixed(v, 2);
    } else if (v < (1u << 24)) {
      u8(0xfd);
      fixed(v, 3);
    } else {
      u8(0xfe);
      fixed(v, 8);
    }
  }
  void lenenc_str(std::string_view s) {
    lenenc_int(s.size());
    raw(s);
  }
  void null_terminated(std::string_view s) {
    raw(s);
    u8(0);
  }
  void raw(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  void raw(byte_span s) { out_.insert(out_.end(), s.begin(), s.end()); }
  void zeros(std::size_t n) { out_.insert(out_.end(), n, 0); }

 private:
  void fixed(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  bytes& out_;
};

}  // namespace shardgate::protocol
