// caching_sha2_password (MySQL 8's default authentication plugin), both sides.
//   fast path:  the client sends XOR(SHA256(pw), SHA256(SHA256(SHA256(pw)) + nonce));
//               a server that has SHA256(SHA256(pw)) cached (filled by an earlier full
//               authentication) checks it and answers 0x01 0x03 (fast_auth_success), OK.
//   full path:  the server answers 0x01 0x04 (perform_full_authentication); over TLS the
//               client then sends the clear password + NUL; over plain TCP it asks for the
//               server's RSA public key (0x02), receives 0x01 + PEM, and sends
//               RSA_OAEP(XOR(password + NUL, nonce repeated)).
// The server checks a clear password against what users[] stores: SHA1(SHA1(pw)) (as
// mysql_native_password) or a SHA-256 crypt string ("$5$...", `openssl passwd -5`).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/native_password.hpp"

namespace shardgate::protocol {

inline constexpr std::string_view caching_sha2_plugin = "caching_sha2_password";

// The 0x01-prefixed AuthMoreData statuses and the client's public-key request.
inline constexpr std::uint8_t auth_more_data_header = 0x01;
inline constexpr std::uint8_t caching_sha2_request_public_key = 0x02;
inline constexpr std::uint8_t caching_sha2_fast_auth_success = 0x03;
inline constexpr std::uint8_t caching_sha2_perform_full_authentication = 0x04;

using sha256_digest = std::array<std::uint8_t, 32>;

sha256_digest sha256(std::string_view a, std::string_view b = {});

// SHA256(SHA256(password)): what the server caches after a full authentication.
sha256_digest caching_sha2_stage2(std::string_view password);

// Client side: the fast-path response for `password` and the 20-byte `nonce` (empty for an
// empty password).
std::string caching_sha2_response(std::string_view password, std::string_view nonce);

// Server side, fast path: does the 32-byte `response` prove the password behind `stage2`?
bool verify_caching_sha2(std::string_view response, std::string_view nonce,
                         const sha256_digest& stage2);

// Full authentication: is `clear` the password? Checks against `stage2` (SHA1(SHA1(pw))
// as stored for mysql_native_password) when set, else against `sha256_crypt`
// ("$5$[rounds=N$]salt$hash"); both unset means the empty password. Constant-time
// comparisons. A SHA-256 crypt check costs about a millisecond at 5000 rounds.
bool verify_clear_password(std::string_view clear, const std::optional<sha1_digest>& stage2,
                           std::string_view sha256_crypt);

// True when `text` is a well-formed SHA-256 crypt string (for the config loader).
bool is_sha256_crypt(std::string_view text);

// XOR of `data` with `nonce` repeated (the RSA exchange's obfuscation, both ways).
std::string xor_with_nonce(std::string_view data, std::string_view nonce);

// An RSA key pair for the plain-TCP full authentication (server side), or a server's
// public key (client side). Wraps OpenSSL's EVP_PKEY; immutable once made, safe to share
// between threads.
class rsa_key {
 public:
  // From PEM text: a private key (PKCS#1 or PKCS#8), or a public key (SubjectPublicKeyInfo,
  // "BEGIN PUBLIC KEY", as MySQL servers send it). Null with `error` set when the text is no such
  // key.
  static std::shared_ptr<const rsa_key> from_private_pem(std::string_view pem, std::string& error);
  static std::shared_ptr<const rsa_key> from_public_pem(std::string_view pem, std::string& error);
  // A new 2048-bit pair.
  static std::shared_ptr<const rsa_key> generate(std::string& error);

  // The public half as a PEM "-----BEGIN PUBLIC KEY-----" text (what the server sends).
  const std::string& public_pem() const noexcept { return public_pem_; }
  bool has_private() const noexcept { return has_private_; }

  // RSA-OAEP (SHA-1, as MySQL uses) encryption with the public half; empty on failure
  // (`plain` longer than the key allows).
  std::string encrypt(std::string_view plain) const;
  // Decryption with the private half; nullopt on failure (not encrypted for this key).
  std::optional<std::string> decrypt(std::string_view cipher) const;

  ~rsa_key();
  rsa_key(const rsa_key&) = delete;
  rsa_key& operator=(const rsa_key&) = delete;

 private:
  rsa_key() = default;
  void* pkey_ = nullptr;  // EVP_PKEY*
  std::string public_pem_;
  bool has_private_ = false;
};

// The client's full-authentication answer over plain TCP: RSA_OAEP(XOR(password + NUL,
// nonce)) with the server's key. Empty on failure.
std::string caching_sha2_encrypt_password(std::string_view password, std::string_view nonce,
                                          const rsa_key& server_public);
// Server side: the clear password from that answer (the trailing NUL removed); nullopt if
// it does not decrypt.
std::optional<std::string> caching_sha2_decrypt_password(std::string_view cipher,
                                                         std::string_view nonce,
                                                         const rsa_key& server_private);

}  // namespace shardgate::protocol
