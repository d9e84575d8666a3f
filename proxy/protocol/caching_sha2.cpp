#include "protocol/caching_sha2.hpp"

#include <crypt.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <climits>
#include <cstring>

namespace shardgate::protocol {

namespace {

std::string_view view(const sha256_digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e) return "not a PEM key";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

EVP_PKEY* as_pkey(void* p) {
  return static_cast<EVP_PKEY*>(p);
}

// A read-only memory BIO over `pem`; null when it is too large for one.
BIO* memory_bio(std::string_view pem) {
  if (pem.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
  return BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
}

// Passphrase callback for encrypted private keys: none is known, so fail instead of
// OpenSSL's default, which would prompt on the controlling terminal.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

std::string public_pem_of(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  std::string out;
  if (bio && PEM_write_bio_PUBKEY(bio, key) == 1) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    if (n > 0) out.assign(data, static_cast<std::size_t>(n));
  }
  BIO_free(bio);
  return out;
}

}  // namespace

sha256_digest sha256(std::string_view a, std::string_view b) {
  sha256_digest d{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, a.data(), a.size());
  if (!b.empty()) EVP_DigestUpdate(ctx, b.data(), b.size());
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, d.data(), &len);
  EVP_MD_CTX_free(ctx);
  return d;
}

sha256_digest caching_sha2_stage2(std::string_view password) {
  const sha256_digest stage1 = sha256(password);
  return sha256(view(stage1));
}

std::string caching_sha2_response(std::string_view password, std::string_view nonce) {
  if (password.empty()) return {};
  const sha256_digest stage1 = sha256(password);
  const sha256_digest stage2 = sha256(view(stage1));
  const sha256_digest mix = sha256(view(stage2), nonce);
  std::string out(32, '\0');
  for (std::size_t i = 0; i < 32; ++i) out[i] = static_cast<char>(stage1[i] ^ mix[i]);
  return out;
}

bool verify_caching_sha2(std::string_view response, std::string_view nonce,
                         const sha256_digest& stage2) {
  if (response.size() != 32) return false;
  const sha256_digest mix = sha256(view(stage2), nonce);
  std::string stage1(32, '\0');
  for (std::size_t i = 0; i < 32; ++i)
    stage1[i] = static_cast<char>(static_cast<std::uint8_t>(response[i]) ^ mix[i]);
  const sha256_digest candidate = sha256(stage1);
  return CRYPTO_memcmp(candidate.data(), stage2.data(), 32) == 0;
}

// The alphabet of crypt's base64 (salts and hashes).
static bool is_crypt_b64(char c) {
  return c == '.' || c == '/' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z');
}

// What libxcrypt accepts: rounds=N with N from 1000 to 999999999 written without leading
// zeros, a salt of at most 16 characters of the crypt alphabet (it refuses others).
bool is_sha256_crypt(std::string_view text) {
  if (!text.starts_with("$5$")) return false;
  text.remove_prefix(3);
  if (text.starts_with("rounds=")) {
    const auto end = text.find('$');
    if (end == std::string_view::npos) return false;
    const std::string_view digits = text.substr(7, end - 7);
    if (digits.empty() || digits.size() > 9 || digits[0] == '0') return false;
    std::uint32_t rounds = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return false;
      rounds = rounds * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (rounds < 1000) return false;
    text.remove_prefix(end + 1);
  }
  const auto salt_end = text.find('$');
  if (salt_end == std::string_view::npos || salt_end > 16) return false;
  for (char c : text.substr(0, salt_end))
    if (!is_crypt_b64(c)) return false;
  const std::string_view hash = text.substr(salt_end + 1);
  if (hash.size() != 43) return false;
  for (char c : hash)
    if (!is_crypt_b64(c)) return false;
  return true;
}

bool verify_clear_password(std::string_view clear, const std::optional<sha1_digest>& stage2,
                           std::string_view sha256_crypt) {
  if (stage2) {
    const sha1_digest mine = native_password_stage2(clear);
    return CRYPTO_memcmp(mine.data(), stage2->data(), mine.size()) == 0;
  }
  if (!sha256_crypt.empty()) {
    if (!is_sha256_crypt(sha256_crypt)) return false;
    const std::string phrase(clear);
    const std::string setting(sha256_crypt);
    crypt_data data;
    std::memset(&data, 0, sizeof data);
    const char* out = crypt_r(phrase.c_str(), setting.c_str(), &data);
    if (!out) return false;
    const std::size_t n = std::strlen(out);
    return n == setting.size() && CRYPTO_memcmp(out, setting.data(), n) == 0;
  }
  return clear.empty();
}

std::string xor_with_nonce(std::string_view data, std::string_view nonce) {
  std::string out(data);
  if (nonce.empty()) return out;
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<char>(out[i] ^ nonce[i % nonce.size()]);
  return out;
}

rsa_key::~rsa_key() {
  EVP_PKEY_free(as_pkey(pkey_));
}

std::shared_ptr<const rsa_key> rsa_key::from_private_pem(std::string_view pem, std::string& error) {
  ERR_clear_error();
  BIO* bio = memory_bio(pem);
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, no_passphrase, nullptr) : nullptr;
  BIO_free(bio);
  if (!key || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
    error = key ? "not an RSA key" : openssl_error();
    EVP_PKEY_free(key);
    return nullptr;
  }
  std::shared_ptr<rsa_key> out(new rsa_key);
  out->pkey_ = key;
  out->has_private_ = true;
  out->public_pem_ = public_pem_of(key);
  return out;
}

// OpenSSL 3's PEM_read_bio_PUBKEY goes through its decoders, which also take a PKCS#1
// "BEGIN RSA PUBLIC KEY" text (the unit tests load one), so no separate fallback is needed.
std::shared_ptr<const rsa_key> rsa_key::from_public_pem(std::string_view pem, std::string& error) {
  ERR_clear_error();
  BIO* bio = memory_bio(pem);
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!key || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
    error = key ? "not an RSA key" : openssl_error();
    EVP_PKEY_free(key);
    return nullptr;
  }
  std::shared_ptr<rsa_key> out(new rsa_key);
  out->pkey_ = key;
  out->public_pem_ = public_pem_of(key);
  return out;
}

std::shared_ptr<const rsa_key> rsa_key::generate(std::string& error) {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
  if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) != 1 ||
      EVP_PKEY_generate(ctx, &key) != 1) {
    EVP_PKEY_free(key);
    key = nullptr;
  }
  EVP_PKEY_CTX_free(ctx);
  if (!key) {
    error = "cannot generate an RSA key: " + openssl_error();
    return nullptr;
  }
  std::shared_ptr<rsa_key> out(new rsa_key);
  out->pkey_ = key;
  out->has_private_ = true;
  out->public_pem_ = public_pem_of(key);
  return out;
}

std::string rsa_key::encrypt(std::string_view plain) const {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(as_pkey(pkey_), nullptr);
  std::string out;
  std::size_t n = 0;
  if (ctx && EVP_PKEY_encrypt_init(ctx) == 1 &&
      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
      EVP_PKEY_encrypt(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(plain.data()),
                       plain.size()) == 1) {
    out.resize(n);
    if (EVP_PKEY_encrypt(ctx, reinterpret_cast<unsigned char*>(out.data()), &n,
                         reinterpret_cast<const unsigned char*>(plain.data()), plain.size()) == 1)
      out.resize(n);
    else
      out.clear();
  }
  EVP_PKEY_CTX_free(ctx);
  ERR_clear_error();
  return out;
}

std::optional<std::string> rsa_key::decrypt(std::string_view cipher) const {
  if (!has_private_) return std::nullopt;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(as_pkey(pkey_), nullptr);
  std::optional<std::string> out;
  std::size_t n = 0;
  if (ctx && EVP_PKEY_decrypt_init(ctx) == 1 &&
      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
      EVP_PKEY_decrypt(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(cipher.data()),
                       cipher.size()) == 1) {
    std::string plain(n, '\0');
    if (EVP_PKEY_decrypt(ctx, reinterpret_cast<unsigned char*>(plain.data()), &n,
                         reinterpret_cast<const unsigned char*>(cipher.data()),
                         cipher.size()) == 1) {
      plain.resize(n);
      out = std::move(plain);
    }
  }
  EVP_PKEY_CTX_free(ctx);
  ERR_clear_error();
  return out;
}

std::string caching_sha2_encrypt_password(std::string_view password, std::string_view nonce,
                                          const rsa_key& server_public) {
  std::string plain(password);
  plain.push_back('\0');
  return server_public.encrypt(xor_with_nonce(plain, nonce));
}

std::optional<std::string> caching_sha2_decrypt_password(std::string_view cipher,
                                                         std::string_view nonce,
                                                         const rsa_key& server_private) {
  auto plain = server_private.decrypt(cipher);
  if (!plain) return std::nullopt;
  std::string clear = xor_with_nonce(*plain, nonce);
  if (clear.empty() || clear.back() != '\0') return std::nullopt;
  clear.pop_back();
  return clear;
}

}  // namespace shardgate::protocol
