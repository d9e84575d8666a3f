#include "protocol/native_password.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace shardgate::protocol {

sha1_digest sha1(std::string_view a, std::string_view b) {
  sha1_digest d{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  if (!b.empty()) EVP_DigestUpdate(ctx, b.data(), b.size());
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, d.data(), &len);
  EVP_MD_CTX_free(ctx);
  return d;
}

static std::string_view view(const sha1_digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

sha1_digest native_password_stage2(std::string_view password) {
  sha1_digest stage1 = sha1(password);
  return sha1(view(stage1));
}

std::optional<sha1_digest> parse_native_password_hash(std::string_view text) {
  if (text.size() != 41 || text[0] != '*') return std::nullopt;
  sha1_digest d{};
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 20; ++i) {
    int hi = nibble(text[1 + 2 * i]), lo = nibble(text[2 + 2 * i]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return d;
}

std::string format_native_password_hash(const sha1_digest& stage2) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string s = "*";
  for (std::uint8_t b : stage2) {
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  return s;
}

std::string native_password_response(std::string_view password, std::string_view scramble) {
  if (password.empty()) return {};
  sha1_digest stage1 = sha1(password);
  sha1_digest stage2 = sha1(view(stage1));
  sha1_digest mix = sha1(scramble.substr(0, 20), view(stage2));
  std::string out(20, '\0');
  for (std::size_t i = 0; i < 20; ++i) out[i] = static_cast<char>(stage1[i] ^ mix[i]);
  return out;
}

bool verify_native_password(std::string_view response, std::string_view scramble,
                            const std::optional<sha1_digest>& stage2) {
  if (!stage2) return response.empty();
  if (response.size() != 20) return false;
  sha1_digest mix = sha1(scramble.substr(0, 20), view(*stage2));
  sha1_digest candidate_stage1{};
  for (std::size_t i = 0; i < 20; ++i)
    candidate_stage1[i] = static_cast<std::uint8_t>(response[i]) ^ mix[i];
  sha1_digest candidate_stage2 = sha1(view(candidate_stage1));
  return CRYPTO_memcmp(candidate_stage2.data(), stage2->data(), 20) == 0;
}

}  // namespace shardgate::protocol
