// caching_sha2_password: the fast-path scramble against PyMySQL's, SHA-256 crypt checks against
// `openssl passwd -5`, the RSA exchange (keys from PEM, generated, OAEP both ways, a cipher made
// by PyMySQL decrypted here).
//
// How the vectors were made (Debian 12, 2026):
//   /usr/bin/python3 -c 'import pymysql._auth as a; print(a.scramble_caching_sha2(PW,
//   NONCE).hex())' (PyMySQL 1.0.2) for the scrambles, hashlib.sha256 twice for the stage-2 digest;
//   `openssl passwd -5 -salt abc secret` (OpenSSL 3.0) for the crypt string.
#include "protocol/caching_sha2.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shardgate::protocol {
namespace {

std::string from_hex(std::string_view hex) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  return out;
}

std::string digest_bytes(const sha256_digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

// The 20-byte nonce bytes(range(1, 21)).
const std::string kNonce = [] {
  std::string n;
  for (int i = 1; i <= 20; ++i) n.push_back(static_cast<char>(i));
  return n;
}();

// A fixed 2048-bit pair (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048), its
// public half as SubjectPublicKeyInfo (openssl pkey -pubout) and as PKCS#1
// (openssl rsa -RSAPublicKey_out).
constexpr std::string_view kPrivatePem = R"(-----BEGIN PRIVATE KEY-----
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQDIQVhPOmC0OpD8
Ac6bjWhfGJ4+wxDXYUwHjWrnxSGRCbdoUwln3BmLvJztp8dXLOJeD2dh4D1DaTnG
7F7EvSXBAbzzn1h/9fQILHcJheaWzcxirBwNu+P7v7Lmh0TMYiWeHs1bZwwKweHc
CZkteRxGffjTjM9PfRGCD13OPZHCyCNQGnQGafHBVQJWUQE+YLmZ7hSrMkN7Bryr
+HxRERce+CDzLbl2vKRCpBDrFvXYtbLUUMOp3AuBAOpXnU5PuLPinJrXs6AHnwWR
FVWkSGU+tU9ncH4rCkZi37LgmT4qkqbvRWmgLAwK90YpM7gpd+DCXPo+9YVtmOIW
5BYxLVxhAgMBAAECggEAAWbRWiBHGhUrsQiHXw1EyPSccpqYK7UWQdpxKv01MdAQ
TkeVgg+h8fl7HN/kTEAydz99mmC7dl/eTAiDwHYFStYVpzFgc9MqLE6jsyen0GVR
RsgHBr1qeDdpu8Vq23uHi/VR0TqAigiRyYHbhlGp5grpQtF3nSobj84xJS7xuMao
D5kF66PedNwZjT6DH6d6nDauGoQrpns0ZI+U9qpcs0mFw6hILCXoWQxXCCZHdo+/
jP9353qVGOTANbDypxJ262LDdPu1WV6I0c8e1TKmlGSRRRPBnGiN1TdxS/QXhYXN
EVXWh+KmT8L8J+BZGvAYJoWgb7LSkvUUmlFl9/I1SQKBgQD/ipd4j9XzR6ZeGtFk
AkUkZF0I4EiDXwRaQqD/1j0e3f3+rQK2yHlVhcJILTvFffAJN40bMNeUFPAJ70Ya
6Xe5csOu6iPijMao0kL24Rh9QAtpDb7XwDYqqyxZR1d+WcwZEeRRHZNdX4eNn4JR
qGBbA1pc7rKa1rtzLVY9lf13OQKBgQDInVojfBcpKGEL/AbWpfiZ6lGAshaDirVG
kXH7WnyEh6MRCSXTrXNr+Bjrprsy3KRwqosFKw4k4okKY73QQfuAOq4nHEdmAKpa
pZoKUDrjzt1upxFTum1JBw0gCLRJpWPigHyiEhZaB3jKFCqnzcmYs+cs1wL6tfBO
EKSXU60maQKBgQC5D0AUom25ygi0m81KFM7HxRsPA4XgBZ6cUyZPQHJw+SkpF1gg
0Nv10HFbXc6sfkCoHB/HMj7c0bDoMOzfLnZyyabm9E9akMKJngO60Faw1gGtabPs
gRl5Gw959E1rhlJlUWy8RaPj+fur13lD86EcKDh3lrGnqpyDk7Ch1w6BGQKBgQCf
Me6jlgczC+3m+rnaf55FVWITxD6FZ/7t3uEaWvXQnWnTTPUNgujC1v+/kHGgrOJ4
3XywPzhcIMAq1Hd92b5gRTCJrLEjyodko2EXqg7xU+j3s+/WB2xNtSC/OOkIQAyB
YwCEA+Jk0uURRuuKeYzudmSOepjMpq/o4uAZjbcrcQKBgQDTxBmJsiS4qQyrJaik
Cn1y7aWbO/YfkcZKx1vmTTkeUhnfoH3NK5GMxGXGTp8r02KURJLjZVYUbDF1FQdz
ImucxQCc94duZyPnoJzUpoCuvoURyEdn33h5NMFZlnihcibnwI9Kr6yPj2o//o2c
lxzG7Ce+o1PzLE4LX/7VhRut2Q==
-----END PRIVATE KEY-----
)";
constexpr std::string_view kPublicPem = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAyEFYTzpgtDqQ/AHOm41o
XxiePsMQ12FMB41q58UhkQm3aFMJZ9wZi7yc7afHVyziXg9nYeA9Q2k5xuxexL0l
wQG8859Yf/X0CCx3CYXmls3MYqwcDbvj+7+y5odEzGIlnh7NW2cMCsHh3AmZLXkc
Rn3404zPT30Rgg9dzj2RwsgjUBp0BmnxwVUCVlEBPmC5me4UqzJDewa8q/h8UREX
Hvgg8y25drykQqQQ6xb12LWy1FDDqdwLgQDqV51OT7iz4pya17OgB58FkRVVpEhl
PrVPZ3B+KwpGYt+y4Jk+KpKm70VpoCwMCvdGKTO4KXfgwlz6PvWFbZjiFuQWMS1c
YQIDAQAB
-----END PUBLIC KEY-----
)";
constexpr std::string_view kPkcs1PublicPem = R"(-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAyEFYTzpgtDqQ/AHOm41oXxiePsMQ12FMB41q58UhkQm3aFMJZ9wZ
i7yc7afHVyziXg9nYeA9Q2k5xuxexL0lwQG8859Yf/X0CCx3CYXmls3MYqwcDbvj
+7+y5odEzGIlnh7NW2cMCsHh3AmZLXkcRn3404zPT30Rgg9dzj2RwsgjUBp0Bmnx
wVUCVlEBPmC5me4UqzJDewa8q/h8UREXHvgg8y25drykQqQQ6xb12LWy1FDDqdwL
gQDqV51OT7iz4pya17OgB58FkRVVpEhlPrVPZ3B+KwpGYt+y4Jk+KpKm70VpoCwM
CvdGKTO4KXfgwlz6PvWFbZjiFuQWMS1cYQIDAQAB
-----END RSA PUBLIC KEY-----
)";
// PyMySQL 1.0.2's sha2_rsa_encrypt(b"secret", bytes(range(1, 21)), kPublicPem).
constexpr std::string_view kPyMySqlCipherHex =
    "a0da9e6bed97fb8fc9395e4771f29431aab05c818d4530e871ee31aa2103fb0c"
    "e5e05fe058107e08519e417e8892f56dd2be64ae7cd5b63f2e996aa822da0dcd"
    "ffcd52540980fe731d4b50094cedf40ae8b39eae9c25d71a3ba1203e1c32b651"
    "1813ae22addfd91bbef56c54d016777a7fd18cb024ccd0feecee328992ca12be"
    "6c8a2395bb6a931093f67c94fd75389ff306c109747c211967bac3639ed01b1b"
    "a9dbd4f86a83f1a7af8f0362387b8cb0fee94dcf19ca6494c6df17d18b20eb9d"
    "e7fd43b3bbba40687091f48e7c6651637bc1989b8c7d5101b36fb800787451d7"
    "5f08fbdcfc054da9fed22d46ea62c63363b0a74f69464d268355a39a19bf3ac2";
// A 512-bit key encrypted with the passphrase "x" (openssl genpkey ... -aes-128-cbc).
constexpr std::string_view kEncryptedPrivatePem = R"(-----BEGIN ENCRYPTED PRIVATE KEY-----
MIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIhfHpPQdR8CACAggA
MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAECBBBISMFlhSaJIc7KttEEgii5BIIB
YIegCj1eYPA0BxUjSI9OJ+XbUItGq+3pztFRwQtawygNqgeuQPIbWKSAW8fwpc+d
LxjGOaXavjGLhmteB/yjW1y4ZcC4LUtCVIIqCYOiInVY3WmcnO9RhDQct9GhqzNz
C+qgIJRjLPXJTSjmGL29+HlIz1c8bo0PH4kUQ8b/g+pPdfHzJyQWX64I1hI6dPhz
miwPw64liSjRPB0/jUBquL3dG+DivTXBBgxkMu9AIH7U+gtJ22Lc6BhsgBwrVGQQ
rCBQ5krFZUYTotA/vfzq4nkGJHtuAmtwPrItVuzc2JWFYrO+InZHfWwW1QUBPQw+
Jn7hKy67tJw0aetOZZcbM4Y2t5gGFGrOc7bdtrEJt/6iawgiHhxqXeHzUpT2RMkN
8bm4Gs9lpPRIIZCbDgaDeA/dJpA73ERLwpE6OwG8LaUpM+CPmCXOATH9WWW3dCFj
+WKzCDQ8eHVNIpbB83t7bIw=
-----END ENCRYPTED PRIVATE KEY-----
)";
// openssl passwd -5 -salt abc secret
constexpr std::string_view kCryptSecret = "$5$abc$qsg6EHbUzHQzF1POlD7zUwBINSELQxypPaeDcZe6vH0";
// Python 3.11's crypt.crypt("secret", "$5$rounds=1000$xyz$") (libxcrypt).
constexpr std::string_view kCryptRounds =
    "$5$rounds=1000$xyz$g9ZmkI99NBf8mF8hKGuc6sCwYCshJMGe.1lArIPCWBC";
// openssl genpkey -algorithm ED25519, and its public half.
constexpr std::string_view kEd25519PrivatePem = R"(-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIHFxJSZOLuSymohaFhhn5pliKVDg+fCI5tuqhnz1Emh4
-----END PRIVATE KEY-----
)";
constexpr std::string_view kEd25519PublicPem = R"(-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAaDkMpYKfmvULOUvbihT43YDfFMBwqOgNH+ou2NU0etw=
-----END PUBLIC KEY-----
)";

TEST(caching_sha2, sha256_of_empty_and_of_two_parts) {
  EXPECT_EQ(digest_bytes(sha256("")),
            from_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT_EQ(digest_bytes(sha256("ab", "c")), digest_bytes(sha256("abc")));
}

TEST(caching_sha2, stage2_is_sha256_twice) {
  // hashlib.sha256(hashlib.sha256(b"secret").digest()).digest()
  EXPECT_EQ(digest_bytes(caching_sha2_stage2("secret")),
            from_hex("3881219d087dd9c634373fd33dfa33a2cb6bfc6c520b64b8bb60ef2ceb534ae7"));
}

TEST(caching_sha2, response_matches_pymysql) {
  EXPECT_EQ(caching_sha2_response("secret", kNonce),
            from_hex("746ebe205d56a0707acb3e796e834e0dd7b1d61743b26bd5202c7a623230c7c9"));
  EXPECT_EQ(caching_sha2_response("p\xc3\xa4ss w0rd!", "abcdefghij0123456789"),
            from_hex("0219a1a00608824308843669"
                     "6e6fffcf19cb8a1ad5df3d8405fb7c748b620a39"));
  EXPECT_EQ(caching_sha2_response("", kNonce), "");
}

TEST(caching_sha2, verify_accepts_the_right_password_only) {
  const sha256_digest stage2 = caching_sha2_stage2("secret");
  const std::string good = caching_sha2_response("secret", kNonce);
  EXPECT_TRUE(verify_caching_sha2(good, kNonce, stage2));
  EXPECT_FALSE(verify_caching_sha2(caching_sha2_response("Secret", kNonce), kNonce, stage2));
  std::string other_nonce = kNonce;
  other_nonce[0] = 'x';
  EXPECT_FALSE(verify_caching_sha2(good, other_nonce, stage2));
  std::string flipped = good;
  flipped[31] = static_cast<char>(flipped[31] ^ 1);
  EXPECT_FALSE(verify_caching_sha2(flipped, kNonce, stage2));
  EXPECT_FALSE(verify_caching_sha2(good.substr(0, 31), kNonce, stage2));
  EXPECT_FALSE(verify_caching_sha2(good + "x", kNonce, stage2));
  EXPECT_FALSE(verify_caching_sha2("", kNonce, stage2));
}

TEST(caching_sha2, xor_with_nonce_repeats_the_nonce) {
  // pymysql._auth._xor_password(b"secret\0", bytes(range(1, 21)))
  EXPECT_EQ(xor_with_nonce(std::string("secret\0", 7), kNonce), from_hex("72676076607207"));
  const std::string long_text(45, 'a');
  const std::string x = xor_with_nonce(long_text, "\x01\x02");
  ASSERT_EQ(x.size(), 45u);
  EXPECT_EQ(x[0], 'a' ^ 1);
  EXPECT_EQ(x[1], 'a' ^ 2);
  EXPECT_EQ(x[44], 'a' ^ 1);
  EXPECT_EQ(xor_with_nonce(x, "\x01\x02"), long_text);
  EXPECT_EQ(xor_with_nonce("abc", ""), "abc");
}

TEST(caching_sha2, is_sha256_crypt) {
  EXPECT_TRUE(is_sha256_crypt(kCryptSecret));
  EXPECT_TRUE(is_sha256_crypt(kCryptRounds));
  EXPECT_TRUE(is_sha256_crypt("$5$saltsaltsaltsalt$X0ra9qlY7TJaGBDgorLevriQfwysW8fXnbybcO4mF4/"));
  EXPECT_TRUE(is_sha256_crypt("$5$$o1w7HPzHt8gHmL5zUzDkRqt6Az.BjDfkvuDNNLWnXx5"));
  const std::string hash = "qsg6EHbUzHQzF1POlD7zUwBINSELQxypPaeDcZe6vH0";
  EXPECT_TRUE(is_sha256_crypt("$5$rounds=999999999$abc$" + hash));
  EXPECT_FALSE(is_sha256_crypt(""));
  EXPECT_FALSE(is_sha256_crypt("$6$abc$" + hash));
  EXPECT_FALSE(is_sha256_crypt("$5$abc$" + hash.substr(1)));
  EXPECT_FALSE(is_sha256_crypt("$5$abc$" + hash + "x"));
  EXPECT_FALSE(is_sha256_crypt("$5$abc$" + hash.substr(1) + "!"));
  EXPECT_FALSE(is_sha256_crypt("$5$abcdefghijklmnopq$" + hash));  // salt of 17
  EXPECT_FALSE(is_sha256_crypt("$5$a:c$" + hash));                // libxcrypt refuses ':'
  EXPECT_FALSE(is_sha256_crypt("$5$abc"));
  EXPECT_FALSE(is_sha256_crypt("$5$rounds=999$abc$" + hash));
  EXPECT_FALSE(is_sha256_crypt("$5$rounds=01000$abc$" + hash));
  EXPECT_FALSE(is_sha256_crypt("$5$rounds=1000000000$abc$" + hash));
  EXPECT_FALSE(is_sha256_crypt("$5$rounds=$abc$" + hash));
  EXPECT_FALSE(is_sha256_crypt("$5$rounds=5x00$abc$" + hash));
  EXPECT_FALSE(is_sha256_crypt("$5$rounds=5000"));
}

TEST(caching_sha2, clear_password_against_native_stage2) {
  const std::optional<sha1_digest> stage2 = native_password_stage2("app");
  EXPECT_TRUE(verify_clear_password("app", stage2, ""));
  EXPECT_FALSE(verify_clear_password("App", stage2, ""));
  EXPECT_FALSE(verify_clear_password("", stage2, ""));
  // stage2 wins over a crypt string when both are set.
  EXPECT_FALSE(verify_clear_password("secret", stage2, kCryptSecret));
}

TEST(caching_sha2, clear_password_against_sha256_crypt) {
  EXPECT_TRUE(verify_clear_password("secret", std::nullopt, kCryptSecret));
  EXPECT_FALSE(verify_clear_password("secret2", std::nullopt, kCryptSecret));
  EXPECT_FALSE(verify_clear_password("", std::nullopt, kCryptSecret));
  EXPECT_TRUE(verify_clear_password("secret", std::nullopt, kCryptRounds));
  EXPECT_FALSE(verify_clear_password("Secret", std::nullopt, kCryptRounds));
  std::string wrong_hash(kCryptSecret);
  wrong_hash.back() = wrong_hash.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_clear_password("secret", std::nullopt, wrong_hash));
  // Not a crypt string at all: never a match, whatever crypt() would make of it.
  EXPECT_FALSE(verify_clear_password("secret", std::nullopt, "$5$abc$"));
  EXPECT_FALSE(verify_clear_password("secret", std::nullopt, "secret"));
}

TEST(caching_sha2, clear_password_without_credentials_is_the_empty_one) {
  EXPECT_TRUE(verify_clear_password("", std::nullopt, ""));
  EXPECT_FALSE(verify_clear_password("x", std::nullopt, ""));
}

TEST(caching_sha2_rsa, fixed_private_key_loads_and_gives_its_public_half) {
  std::string error;
  auto key = rsa_key::from_private_pem(kPrivatePem, error);
  ASSERT_TRUE(key) << error;
  EXPECT_TRUE(key->has_private());
  EXPECT_EQ(key->public_pem(), kPublicPem);
}

TEST(caching_sha2_rsa, public_key_in_both_formats) {
  std::string error;
  auto spki = rsa_key::from_public_pem(kPublicPem, error);
  ASSERT_TRUE(spki) << error;
  EXPECT_FALSE(spki->has_private());
  EXPECT_EQ(spki->public_pem(), kPublicPem);
  auto pkcs1 = rsa_key::from_public_pem(kPkcs1PublicPem, error);
  ASSERT_TRUE(pkcs1) << error;
  EXPECT_EQ(pkcs1->public_pem(), kPublicPem);
  // A public key cannot decrypt.
  EXPECT_EQ(spki->decrypt(spki->encrypt("x")), std::nullopt);
}

TEST(caching_sha2_rsa, decrypts_a_password_encrypted_by_pymysql) {
  std::string error;
  auto key = rsa_key::from_private_pem(kPrivatePem, error);
  ASSERT_TRUE(key) << error;
  const std::string cipher = from_hex(kPyMySqlCipherHex);
  ASSERT_EQ(cipher.size(), 256u);
  EXPECT_EQ(caching_sha2_decrypt_password(cipher, kNonce, *key), "secret");
  EXPECT_EQ(key->decrypt(cipher), from_hex("72676076607207"));
  // The same cipher with another nonce decrypts but does not end in NUL.
  EXPECT_EQ(caching_sha2_decrypt_password(cipher, "abcdefghij0123456789", *key), std::nullopt);
}

TEST(caching_sha2_rsa, generated_pair_round_trip) {
  std::string error;
  auto pair = rsa_key::generate(error);
  ASSERT_TRUE(pair) << error;
  EXPECT_TRUE(pair->has_private());
  ASSERT_TRUE(pair->public_pem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
  auto pub = rsa_key::from_public_pem(pair->public_pem(), error);
  ASSERT_TRUE(pub) << error;
  EXPECT_EQ(pub->public_pem(), pair->public_pem());

  const std::string cipher = pub->encrypt("hello");
  EXPECT_EQ(cipher.size(), 256u);  // 2048 bits
  EXPECT_EQ(pair->decrypt(cipher), "hello");
  // OAEP is randomised: the same text encrypts differently each time.
  EXPECT_NE(pub->encrypt("hello"), cipher);

  const std::string password_cipher = caching_sha2_encrypt_password("pässword", kNonce, *pub);
  ASSERT_FALSE(password_cipher.empty());
  EXPECT_EQ(caching_sha2_decrypt_password(password_cipher, kNonce, *pair), "pässword");
  EXPECT_EQ(
      caching_sha2_decrypt_password(caching_sha2_encrypt_password("", kNonce, *pub), kNonce, *pair),
      "");

  // Encrypted for another key, corrupted, truncated or empty: nullopt.
  auto fixed = rsa_key::from_private_pem(kPrivatePem, error);
  ASSERT_TRUE(fixed) << error;
  EXPECT_EQ(fixed->decrypt(cipher), std::nullopt);
  std::string corrupt = cipher;
  corrupt[100] = static_cast<char>(corrupt[100] ^ 0x40);
  EXPECT_EQ(pair->decrypt(corrupt), std::nullopt);
  EXPECT_EQ(pair->decrypt(cipher.substr(1)), std::nullopt);
  EXPECT_EQ(pair->decrypt(""), std::nullopt);
  EXPECT_EQ(caching_sha2_decrypt_password(corrupt, kNonce, *pair), std::nullopt);

  // OAEP with SHA-1 fits at most 256 - 42 = 214 bytes into a 2048-bit key.
  EXPECT_EQ(pub->encrypt(std::string(214, 'a')).size(), 256u);
  EXPECT_EQ(pub->encrypt(std::string(215, 'a')), "");
  EXPECT_EQ(caching_sha2_encrypt_password(std::string(214, 'a'), kNonce, *pub), "");
}

TEST(caching_sha2_rsa, garbage_pem_is_refused_with_an_error) {
  for (std::string_view text :
       {std::string_view(""), std::string_view("hello"),
        std::string_view("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
        std::string_view("-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n"),
        std::string_view("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}) {
    std::string error;
    EXPECT_EQ(rsa_key::from_public_pem(text, error), nullptr) << text;
    EXPECT_FALSE(error.empty()) << text;
    error.clear();
    EXPECT_EQ(rsa_key::from_private_pem(text, error), nullptr) << text;
    EXPECT_FALSE(error.empty()) << text;
  }
  // A public key is no private key, and the other way round only SubjectPublicKeyInfo /
  // PKCS#1 public texts load as public keys.
  std::string error;
  EXPECT_EQ(rsa_key::from_private_pem(kPublicPem, error), nullptr);
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_EQ(rsa_key::from_public_pem(kPrivatePem, error), nullptr);
  EXPECT_FALSE(error.empty());
}

TEST(caching_sha2_rsa, encrypted_private_key_is_refused_without_a_prompt) {
  std::string error;
  EXPECT_EQ(rsa_key::from_private_pem(kEncryptedPrivatePem, error), nullptr);
  EXPECT_FALSE(error.empty());
}

TEST(caching_sha2_rsa, non_rsa_keys_are_refused) {
  // openssl genpkey -algorithm ED25519 / openssl pkey -pubout
  std::string error;
  EXPECT_EQ(rsa_key::from_private_pem(kEd25519PrivatePem, error), nullptr);
  EXPECT_EQ(error, "not an RSA key");
  error.clear();
  EXPECT_EQ(rsa_key::from_public_pem(kEd25519PublicPem, error), nullptr);
  EXPECT_EQ(error, "not an RSA key");
}

}  // namespace
}  // namespace shardgate::protocol
