// Interoperability vectors for caching_sha2_password (protocol/caching_sha2.*), beyond
// caching_sha2_test.cpp: an OAEP cipher made by `openssl pkeyutl`, PyMySQL's RSA cipher for a
// PKCS#1 key, `openssl passwd -5` strings with an 8-character salt (plain and rounds=),
// every-byte mutations of a fast-path response, oversized plain texts.
//
// Where the constants come from (2026-11, Debian 12):
//   scrambles:  PyMySQL 1.0.2, pymysql._auth.scramble_caching_sha2(password, nonce) and
//               _xor_password; stage2 and plain digests from Python's hashlib.
//   SHA-256 crypt strings: `openssl passwd -5 -salt abcdefgh secret` (OpenSSL 3.0) and
//               `openssl passwd -5 -salt 'rounds=1000$abcdefgh' secret`; the empty password's
//               and the 16-character salt's from Python's crypt.crypt (glibc).
//   kTestKey*:  `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048` (PKCS#8), the same
//               key through `openssl pkey -traditional` (PKCS#1) and `-pubout`; a test-only key.
//   kOpensslCipher: printf 'hello oaep' | openssl pkeyutl -encrypt -pubin -inkey pub.pem
//               -pkeyopt rsa_padding_mode:oaep
//   kPyMysqlCipher: pymysql._auth.sha2_rsa_encrypt(b"secret", b"0123456789abcdefghij", pub.pem)
//               (python3-cryptography: OAEP with SHA-1 and MGF1-SHA-1, as MySQL servers expect).
#include "protocol/caching_sha2.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/native_password.hpp"

namespace shardgate::protocol {
namespace {

constexpr std::string_view kNonce = "0123456789abcdefghij";

std::string hex(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : s) {
    out.push_back(digits[static_cast<unsigned char>(c) >> 4]);
    out.push_back(digits[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

std::string unhex(std::string_view h) {
  std::string out;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(nibble(h[i]) * 16 + nibble(h[i + 1])));
  return out;
}

constexpr std::string_view kTestKeyPkcs8 = R"(-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQD0ogvN9qTwCduo
J+5dwkcmDPBYVjF9PDH8neYkByx2BFNy/gurZphcrcByMFLKcBLDgKRoJ4sNTkAv
tJFG3vkHglMFZIBBIVRP8nU8xxfsLGtvsZj5+dpmSxFN1YNVeusq9MN8bQXUsxlq
e0AcjKzbvfmbtgV3adcSYu+eAJmv0+2NPs/aD3R6yFuIHoxEzg2BxBjpdX78fArj
i1EtetM3tNyvgPGysvr3IZBSPsst16q2yd089PeBt/TEocZ98oVogw8zP2wj+0DQ
WiFf/YV644g2hwzP7LqE+W4QRne4x/JiFPzrtO5WCypQmUtXbRGI+PBVBc99tHVx
N0yCDwBnAgMBAAECggEACNGQoF+cSYTpdLHfz2RyASalQWH2DcAuQx+EDNdvXF/C
jFopHIgpxOmEjvk7+s04d/C6vIB0bEneWXnmZMoj6wfhK0gYsYBclDc2z7aTn7Fo
PBIIZDaED3z0RjyEq/+u25EQPPuHIshECckgogbWMmOyTFEu+EOJ+8EyRx1ZbPOi
SM7SPVaZjoC1ZE+MEkqbCUQwUA+8vViPqzp1NcjVdnf87XKyZIMeJjl1mywddxGF
IPPi8jEst6FkCeHzTVxaijY9W3wH2JY5BfW1FK9K5G8jsJJ01uM6Cndwms+WYnPJ
aCUCCio92f9TXLfK6TV958A6lQAGHoOm0keEibdoXQKBgQD9kPXe1ifZfCmYugE1
nM2PFwTReoKOvR0avesg8ShFV9RUNfOtTDWe5hHNaQuyJA7fBtLpgtoueKSJdDMT
viB8pMAkNNSAdqcge9TKi0sltQDi8fXrnZXNe3v3gy8zhSB8Bc1fBcOP/i04g+5J
jzyL8scVRX8+BxY6anTrJcvPLQKBgQD2+yK9T3Lp0LN4FsbFlHpc8psh6e6SSmQV
ZDCVolalI5t3CStTw8lNZqdt4268J2wgbXv5hAUfhxYp/29GMXkU5NXD2gVaB14+
+eg2jSOMLQpYlJMk1/XX4s7Hhd038+uHDildTAqdVBv+6AMW6XduUTWO2+F4Gl/j
J3J8GZKqYwKBgAeEf7Welcnd44HSqeyD/Jgsb4kiX7KJqs47KThtzerYYsQoYVQW
+VP/sDFt1tnuNb6o/iHMLlnIW+BzYHxKW742SDgKlO5GFkhhQ3rJzG2Owzr3P3o/
zswryA4bho+5d7AVn/QcQKMJPx/40Vy+8WWYygw4ZkBZh3At7c927Gb1AoGBAPZn
hzkn0pXDSco9rwHgKFQjFvK22PXKkh9lXbNrytXmuGwCEd/4LRWznMbdaNT+37la
gZ1mQVY7B7nOxc1Z/lsCEuLa2QwA3d4mpa4HEbgAF5pYYJUZgIRqG7Kjsxjnmcuc
LViPTOe5ylR+VNa/BhBhpPVqGYAhkBioemele9XRAoGBAJeziSiDZmrNiSa+C1tw
Me/5KkVaXHP0ka5QAY7eXuxFUNMgUimWJsPzPMlJicd0KixL0ULx5Z6OzgeLP8zY
EnS5z0b5Fw+V9FwuSdp7Jhumk4b1UGJwBC3Wm0SkNwjP8nsdVdaO1rOGPhI2NCvP
j1cxxAj6yZ1gJDjEFF2BEtEC
-----END PRIVATE KEY-----
)";

constexpr std::string_view kTestKeyPkcs1 = R"(-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEA9KILzfak8AnbqCfuXcJHJgzwWFYxfTwx/J3mJAcsdgRTcv4L
q2aYXK3AcjBSynASw4CkaCeLDU5AL7SRRt75B4JTBWSAQSFUT/J1PMcX7Cxrb7GY
+fnaZksRTdWDVXrrKvTDfG0F1LMZantAHIys2735m7YFd2nXEmLvngCZr9PtjT7P
2g90eshbiB6MRM4NgcQY6XV+/HwK44tRLXrTN7Tcr4DxsrL69yGQUj7LLdeqtsnd
PPT3gbf0xKHGffKFaIMPMz9sI/tA0FohX/2FeuOINocMz+y6hPluEEZ3uMfyYhT8
67TuVgsqUJlLV20RiPjwVQXPfbR1cTdMgg8AZwIDAQABAoIBAAjRkKBfnEmE6XSx
389kcgEmpUFh9g3ALkMfhAzXb1xfwoxaKRyIKcTphI75O/rNOHfwuryAdGxJ3ll5
5mTKI+sH4StIGLGAXJQ3Ns+2k5+xaDwSCGQ2hA989EY8hKv/rtuREDz7hyLIRAnJ
IKIG1jJjskxRLvhDifvBMkcdWWzzokjO0j1WmY6AtWRPjBJKmwlEMFAPvL1Yj6s6
dTXI1XZ3/O1ysmSDHiY5dZssHXcRhSDz4vIxLLehZAnh801cWoo2PVt8B9iWOQX1
tRSvSuRvI7CSdNbjOgp3cJrPlmJzyWglAgoqPdn/U1y3yuk1fefAOpUABh6DptJH
hIm3aF0CgYEA/ZD13tYn2XwpmLoBNZzNjxcE0XqCjr0dGr3rIPEoRVfUVDXzrUw1
nuYRzWkLsiQO3wbS6YLaLnikiXQzE74gfKTAJDTUgHanIHvUyotLJbUA4vH1652V
zXt794MvM4UgfAXNXwXDj/4tOIPuSY88i/LHFUV/PgcWOmp06yXLzy0CgYEA9vsi
vU9y6dCzeBbGxZR6XPKbIenukkpkFWQwlaJWpSObdwkrU8PJTWanbeNuvCdsIG17
+YQFH4cWKf9vRjF5FOTVw9oFWgdePvnoNo0jjC0KWJSTJNf11+LOx4XdN/Prhw4p
XUwKnVQb/ugDFul3blE1jtvheBpf4ydyfBmSqmMCgYAHhH+1npXJ3eOB0qnsg/yY
LG+JIl+yiarOOyk4bc3q2GLEKGFUFvlT/7AxbdbZ7jW+qP4hzC5ZyFvgc2B8Slu+
Nkg4CpTuRhZIYUN6ycxtjsM69z96P87MK8gOG4aPuXewFZ/0HECjCT8f+NFcvvFl
mMoMOGZAWYdwLe3Pduxm9QKBgQD2Z4c5J9KVw0nKPa8B4ChUIxbyttj1ypIfZV2z
a8rV5rhsAhHf+C0Vs5zG3WjU/t+5WoGdZkFWOwe5zsXNWf5bAhLi2tkMAN3eJqWu
BxG4ABeaWGCVGYCEahuyo7MY55nLnC1Yj0znucpUflTWvwYQYaT1ahmAIZAYqHpn
pXvV0QKBgQCXs4kog2ZqzYkmvgtbcDHv+SpFWlxz9JGuUAGO3l7sRVDTIFIplibD
8zzJSYnHdCosS9FC8eWejs4Hiz/M2BJ0uc9G+RcPlfRcLknaeyYbppOG9VBicAQt
1ptEpDcIz/J7HVXWjtazhj4SNjQrz49XMcQI+smdYCQ4xBRdgRLRAg==
-----END RSA PRIVATE KEY-----
)";

constexpr std::string_view kTestKeyPublic = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA9KILzfak8AnbqCfuXcJH
JgzwWFYxfTwx/J3mJAcsdgRTcv4Lq2aYXK3AcjBSynASw4CkaCeLDU5AL7SRRt75
B4JTBWSAQSFUT/J1PMcX7Cxrb7GY+fnaZksRTdWDVXrrKvTDfG0F1LMZantAHIys
2735m7YFd2nXEmLvngCZr9PtjT7P2g90eshbiB6MRM4NgcQY6XV+/HwK44tRLXrT
N7Tcr4DxsrL69yGQUj7LLdeqtsndPPT3gbf0xKHGffKFaIMPMz9sI/tA0FohX/2F
euOINocMz+y6hPluEEZ3uMfyYhT867TuVgsqUJlLV20RiPjwVQXPfbR1cTdMgg8A
ZwIDAQAB
-----END PUBLIC KEY-----
)";

constexpr std::string_view kEcPrivate = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcukkoz8eRhzYXQv7
HyyDLuf5Geoue1qcK2Ippit7muChRANCAAT2TbPOOmDX9BGEdaPwO439LO93IlW/
xqvpKJHcw4mPhhC02hjpudijJ5aiTRdd+n+YdvAiPUtrl1N+xwDF79j8
-----END PRIVATE KEY-----
)";

constexpr std::string_view kEcPublic = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9k2zzjpg1/QRhHWj8DuN/SzvdyJV
v8ar6SiR3MOJj4YQtNoY6bnYoyeWok0XXfp/mHbwIj1La5dTfscAxe/Y/A==
-----END PUBLIC KEY-----
)";

constexpr std::string_view kOpensslCipher =
    "ad09fd034ea0b518535042716fd45a7e833244572d746c1e35cfcc2c54c0a32bcc30e38216a148bbd72bf0b448c9ed"
    "b48507e33ffec73c1c068a5dbaf174fb80f7665f560603d7e21904532498092a6a793f48fbb3f28844b6f4aae3e2e0"
    "b0872b3aba7ffcb374aa9c4195842bf0687661e142212fe7386a37e1a6f0d333dea08d4ca1ffd4e015d7049c502007"
    "741f677bff1e107f6ed7e1c2edfad5645a1701bacdf2fa16b6a6e6e9a570c4da5f722bbf52e19162ca747c6017dc7a"
    "2a4bac5d9786ea4ac56d9ba26419c7817e557d7e4fb7bf0c3c5fdf0b411703b3e914fb0a26ae3e1e90b20068feaf09"
    "c5954982ce97d769aa6658beb0a32dfe5e58390b99";

constexpr std::string_view kPyMysqlCipher =
    "8cd1ee8b35986d01589d57ffceea4eb6235eeaf889ebcebce72c036a90064518f150105dde4ba65ebdb672f901081b"
    "2eeca5b82cc9bfcd67c04cc571b2781631fbb42d23ca5125a6adb3fef0c6b615a495e5403a0114b817d7f135588335"
    "838606a000742d9ffcf31380b1d0fd42ae44cb2452b91874581a46a3dfb3353879f53dca0beb9a5a8eb915d5774b34"
    "fa8484e1f1e04e6214ef7746a8b1b17200da70118082001e204f8a9dde4c0e3ac4659e00cdb297d2e777dcf3e6a8bb"
    "972f4462dda0149563a621614aec6892a9ecee98eee95f6b9872ada91f72de90f8cfc65b6f2c8125c933acf8a70f09"
    "7e2edffe9da5fa439db8a55aebbe0bc0cd1a7b7a96";

// One generated key pair for the tests that need any key (generation takes a moment).
const rsa_key& generated_key() {
  static const std::shared_ptr<const rsa_key> key = [] {
    std::string error;
    auto k = rsa_key::generate(error);
    EXPECT_TRUE(k) << error;
    return k;
  }();
  return *key;
}

TEST(InteropCachingSha2, ResponseMatchesPyMysql) {
  EXPECT_EQ(hex(caching_sha2_response("secret", kNonce)),
            "7e4adda2f2d5ef09b4147518becb0cee2939376203650a8c2bb2815959364bd0");
  // Non-ASCII bytes (UTF-8 "p\xc3\xa4ss w0rd!") and another nonce.
  EXPECT_EQ(hex(caching_sha2_response("p\xc3\xa4ss w0rd!", "ABCDEFGHIJKLMNOPQRST")),
            "367ec8a667d67ddc12163e49fa51e07011398fd10d4c4fc75c7f7ad9ad97cccf");
  EXPECT_EQ(caching_sha2_response("", kNonce), "");
}

TEST(InteropCachingSha2, VerifyRejectsEveryChangedByte) {
  const sha256_digest stage2 = caching_sha2_stage2("secret");
  const std::string good = caching_sha2_response("secret", kNonce);
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(verify_caching_sha2(bad, kNonce, stage2)) << "byte " << i;
  }
}

TEST(InteropCachingSha2, VerifyRejectsWrongLengthNonceOrPassword) {
  const sha256_digest stage2 = caching_sha2_stage2("secret");
  const std::string good = caching_sha2_response("secret", kNonce);
  EXPECT_FALSE(verify_caching_sha2(good.substr(0, 31), kNonce, stage2));
  EXPECT_FALSE(verify_caching_sha2(good + '\0', kNonce, stage2));
  EXPECT_FALSE(verify_caching_sha2("", kNonce, stage2));
  EXPECT_FALSE(verify_caching_sha2(good, "0123456789abcdefghiJ", stage2));
  EXPECT_FALSE(verify_caching_sha2(good, kNonce, caching_sha2_stage2("Secret")));
  EXPECT_FALSE(verify_caching_sha2(caching_sha2_response("Secret", kNonce), kNonce, stage2));
}

TEST(InteropVerifyClearPassword, AgainstNativeStage2) {
  const std::optional<sha1_digest> stage2 = native_password_stage2("secret");
  EXPECT_TRUE(verify_clear_password("secret", stage2, ""));
  EXPECT_FALSE(verify_clear_password("Secret", stage2, ""));
  EXPECT_FALSE(verify_clear_password("secret ", stage2, ""));
  EXPECT_FALSE(verify_clear_password("", stage2, ""));
  // MariaDB's SELECT PASSWORD('app') (see captured_packets_test.cpp).
  const auto mariadb = parse_native_password_hash("*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3");
  ASSERT_TRUE(mariadb);
  EXPECT_TRUE(verify_clear_password("app", mariadb, ""));
  EXPECT_FALSE(verify_clear_password("apq", mariadb, ""));
}

constexpr std::string_view kCryptSecret = "$5$abcdefgh$gruCpC7VkOTspMQTTSAR8mtlO9Upms.fwqE5y16JVM.";
constexpr std::string_view kCryptSecretRounds =
    "$5$rounds=1000$abcdefgh$XIppta5rT8zJUu4vAOKQXrwq9uY4Ijlz6VjyOmkx5i4";
constexpr std::string_view kCryptEmpty = "$5$abcdefgh$mnv0N8gJGuJiQCFVlADjwwxPyRiUO8rGuljjETTLqw9";
constexpr std::string_view kCryptLongSalt =
    "$5$abcdefghijklmnop$i7zHaTeYqXlesRXJ8dXj6o.MEFQdzfIJpJpcWAtszs6";

TEST(InteropVerifyClearPassword, AgainstSha256Crypt) {
  EXPECT_TRUE(verify_clear_password("secret", std::nullopt, kCryptSecret));
  EXPECT_FALSE(verify_clear_password("Secret", std::nullopt, kCryptSecret));
  EXPECT_FALSE(verify_clear_password("secret\n", std::nullopt, kCryptSecret));
  EXPECT_FALSE(verify_clear_password("", std::nullopt, kCryptSecret));
  EXPECT_TRUE(verify_clear_password("secret", std::nullopt, kCryptSecretRounds));
  EXPECT_FALSE(verify_clear_password("secreT", std::nullopt, kCryptSecretRounds));
  EXPECT_TRUE(verify_clear_password("secret", std::nullopt, kCryptLongSalt));
  // The same hash under another rounds count is another password hash.
  EXPECT_FALSE(
      verify_clear_password("secret", std::nullopt,
                            "$5$rounds=1001$abcdefgh$XIppta5rT8zJUu4vAOKQXrwq9uY4Ijlz6VjyOmkx5i4"));
  // A changed hash character.
  EXPECT_FALSE(verify_clear_password("secret", std::nullopt,
                                     "$5$abcdefgh$gruCpC7VkOTspMQTTSAR8mtlO9Upms.fwqE5y16JVM/"));
  // A malformed stored string never matches.
  EXPECT_FALSE(verify_clear_password("secret", std::nullopt, "$5$abcdefgh$short"));
  EXPECT_FALSE(verify_clear_password("secret", std::nullopt, "secret"));
}

TEST(InteropVerifyClearPassword, EmptyPasswordRules) {
  // Nothing stored: only the empty password.
  EXPECT_TRUE(verify_clear_password("", std::nullopt, ""));
  EXPECT_FALSE(verify_clear_password("x", std::nullopt, ""));
  EXPECT_FALSE(verify_clear_password(std::string_view("\0", 1), std::nullopt, ""));
  // A crypt string of the empty password.
  EXPECT_TRUE(verify_clear_password("", std::nullopt, kCryptEmpty));
  EXPECT_FALSE(verify_clear_password("x", std::nullopt, kCryptEmpty));
  // The native stage2 of the empty password.
  EXPECT_TRUE(verify_clear_password("", native_password_stage2(""), ""));
  EXPECT_FALSE(verify_clear_password("x", native_password_stage2(""), ""));
}

TEST(InteropVerifyClearPassword, Stage2TakesPrecedenceOverCrypt) {
  const std::optional<sha1_digest> stage2 = native_password_stage2("native");
  EXPECT_TRUE(verify_clear_password("native", stage2, kCryptSecret));
  EXPECT_FALSE(verify_clear_password("secret", stage2, kCryptSecret));
}

TEST(InteropIsSha256Crypt, WellFormed) {
  EXPECT_TRUE(is_sha256_crypt(kCryptSecret));
  EXPECT_TRUE(is_sha256_crypt(kCryptSecretRounds));
  EXPECT_TRUE(is_sha256_crypt(kCryptEmpty));
  EXPECT_TRUE(is_sha256_crypt(kCryptLongSalt));
}

TEST(InteropIsSha256Crypt, Malformed) {
  const std::string hash43 = "gruCpC7VkOTspMQTTSAR8mtlO9Upms.fwqE5y16JVM.";
  EXPECT_FALSE(is_sha256_crypt(""));
  EXPECT_FALSE(is_sha256_crypt("$5$"));
  EXPECT_FALSE(is_sha256_crypt("$5$abcdefgh"));
  EXPECT_FALSE(is_sha256_crypt("$5$abcdefgh$"));
  EXPECT_FALSE(is_sha256_crypt("5$abcdefgh$" + hash43));
  EXPECT_FALSE(is_sha256_crypt("$6$abcdefgh$" + hash43));  // SHA-512 crypt
  EXPECT_FALSE(is_sha256_crypt("$1$abcdefgh$" + hash43));
  EXPECT_FALSE(is_sha256_crypt("*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3"));
  EXPECT_FALSE(is_sha256_crypt("$5$abcdefgh$" + hash43.substr(1)));  // 42 characters
  EXPECT_FALSE(is_sha256_crypt("$5$abcdefgh$" + hash43 + "a"));      // 44 characters
  EXPECT_FALSE(is_sha256_crypt("$5$abcdefgh$" + hash43.substr(1) + "*"));
  EXPECT_FALSE(is_sha256_crypt("$5$abcdefgh$" + hash43.substr(1) + "$"));
  EXPECT_FALSE(is_sha256_crypt("$5$abcdefghijklmnopq$" + hash43));  // 17-character salt
  EXPECT_FALSE(is_sha256_crypt("$5$rounds=$abcdefgh$" + hash43));
  EXPECT_FALSE(is_sha256_crypt("$5$rounds=1x00$abcdefgh$" + hash43));
  EXPECT_FALSE(is_sha256_crypt("$5$rounds=-5$abcdefgh$" + hash43));
  EXPECT_FALSE(is_sha256_crypt("$5$rounds=1000"));
}

TEST(InteropXorWithNonce, MatchesPyMysqlAndWraps) {
  EXPECT_EQ(hex(xor_with_nonce(std::string_view("secret\0", 7), kNonce)), "43545141514136");
  // Longer than the nonce: the nonce repeats.
  const std::string data(25, 'x');
  const std::string x = xor_with_nonce(data, kNonce);
  ASSERT_EQ(x.size(), 25u);
  EXPECT_EQ(x[20], static_cast<char>('x' ^ '0'));
  EXPECT_EQ(x[24], static_cast<char>('x' ^ '4'));
  EXPECT_EQ(xor_with_nonce(x, kNonce), data);
  EXPECT_EQ(xor_with_nonce("abc", ""), "abc");
  EXPECT_EQ(xor_with_nonce("", kNonce), "");
}

TEST(InteropRsaKey, GeneratedPairEncryptsAndDecrypts) {
  const rsa_key& key = generated_key();
  EXPECT_TRUE(key.has_private());
  EXPECT_TRUE(key.public_pem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
  EXPECT_TRUE(key.public_pem().ends_with("-----END PUBLIC KEY-----\n"));
  const std::string cipher = key.encrypt("hello");
  EXPECT_EQ(cipher.size(), 256u);
  EXPECT_EQ(key.decrypt(cipher), std::optional<std::string>("hello"));
  // OAEP is randomised: two encryptions differ, both decrypt.
  const std::string again = key.encrypt("hello");
  EXPECT_NE(cipher, again);
  EXPECT_EQ(key.decrypt(again), std::optional<std::string>("hello"));
}

TEST(InteropRsaKey, PublicPemRoundTrip) {
  const rsa_key& key = generated_key();
  std::string error;
  auto pub = rsa_key::from_public_pem(key.public_pem(), error);
  ASSERT_TRUE(pub) << error;
  EXPECT_FALSE(pub->has_private());
  EXPECT_EQ(pub->public_pem(), key.public_pem());
  // Encrypted with the public half alone, decrypted with the private key.
  const std::string cipher = pub->encrypt("through the public half");
  EXPECT_EQ(key.decrypt(cipher), std::optional<std::string>("through the public half"));
  // The public half cannot decrypt.
  EXPECT_EQ(pub->decrypt(cipher), std::nullopt);
}

TEST(InteropRsaKey, TooLongPlainTextEncryptsToNothing) {
  const rsa_key& key = generated_key();
  // RSA-2048 with OAEP/SHA-1 takes at most 256 - 2 * 20 - 2 = 214 bytes.
  EXPECT_EQ(key.encrypt(std::string(214, 'a')).size(), 256u);
  EXPECT_EQ(key.encrypt(std::string(215, 'a')), "");
}

TEST(InteropRsaKey, FixedKeyLoadsInBothPrivateFormats) {
  std::string error;
  auto k8 = rsa_key::from_private_pem(kTestKeyPkcs8, error);
  ASSERT_TRUE(k8) << error;
  EXPECT_TRUE(k8->has_private());
  EXPECT_EQ(k8->public_pem(), kTestKeyPublic);
  auto k1 = rsa_key::from_private_pem(kTestKeyPkcs1, error);
  ASSERT_TRUE(k1) << error;
  EXPECT_EQ(k1->public_pem(), kTestKeyPublic);
  auto pub = rsa_key::from_public_pem(kTestKeyPublic, error);
  ASSERT_TRUE(pub) << error;
  EXPECT_EQ(pub->public_pem(), kTestKeyPublic);
}

TEST(InteropRsaKey, DecryptsOpensslPkeyutlOaep) {
  std::string error;
  auto key = rsa_key::from_private_pem(kTestKeyPkcs8, error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(key->decrypt(unhex(kOpensslCipher)), std::optional<std::string>("hello oaep"));
}

TEST(InteropRsaKey, DecryptsPyMysqlSha2RsaEncrypt) {
  std::string error;
  auto key = rsa_key::from_private_pem(kTestKeyPkcs1, error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(caching_sha2_decrypt_password(unhex(kPyMysqlCipher), kNonce, *key),
            std::optional<std::string>("secret"));
  // With another nonce the trailing NUL does not come out (nonce byte 6 differs).
  EXPECT_EQ(caching_sha2_decrypt_password(unhex(kPyMysqlCipher), "012345X789abcdefghij", *key),
            std::nullopt);
}

TEST(InteropRsaKey, GarbagePemIsRefusedWithAnError) {
  for (std::string_view pem :
       {std::string_view("garbage"), std::string_view(""),
        std::string_view("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")}) {
    std::string error;
    EXPECT_EQ(rsa_key::from_public_pem(pem, error), nullptr) << pem;
    EXPECT_FALSE(error.empty()) << pem;
    error.clear();
    EXPECT_EQ(rsa_key::from_private_pem(pem, error), nullptr) << pem;
    EXPECT_FALSE(error.empty()) << pem;
  }
  // A private key where a public one is expected, and the other way round.
  std::string error;
  EXPECT_EQ(rsa_key::from_public_pem(kTestKeyPkcs8, error), nullptr);
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_EQ(rsa_key::from_private_pem(kTestKeyPublic, error), nullptr);
  EXPECT_FALSE(error.empty());
}

TEST(InteropRsaKey, NonRsaKeyIsRefused) {
  std::string error;
  EXPECT_EQ(rsa_key::from_private_pem(kEcPrivate, error), nullptr);
  EXPECT_EQ(error, "not an RSA key");
  error.clear();
  EXPECT_EQ(rsa_key::from_public_pem(kEcPublic, error), nullptr);
  EXPECT_EQ(error, "not an RSA key");
}

TEST(InteropRsaKey, DecryptOfGarbageIsNullopt) {
  const rsa_key& key = generated_key();
  EXPECT_EQ(key.decrypt(""), std::nullopt);
  EXPECT_EQ(key.decrypt("short"), std::nullopt);
  EXPECT_EQ(key.decrypt(std::string(256, '\x5a')), std::nullopt);
  EXPECT_EQ(key.decrypt(std::string(300, '\x01')), std::nullopt);
  // A ciphertext for another key.
  std::string error;
  auto other = rsa_key::from_private_pem(kTestKeyPkcs8, error);
  ASSERT_TRUE(other) << error;
  EXPECT_EQ(key.decrypt(other->encrypt("hello")), std::nullopt);
  EXPECT_EQ(caching_sha2_decrypt_password(std::string(256, '\x5a'), kNonce, key), std::nullopt);
}

TEST(InteropCachingSha2Rsa, EncryptThenDecryptPassword) {
  const rsa_key& key = generated_key();
  std::string error;
  auto pub = rsa_key::from_public_pem(key.public_pem(), error);
  ASSERT_TRUE(pub) << error;
  for (std::string_view pw : {std::string_view("secret"), std::string_view(""),
                              std::string_view("a password longer than the twenty-byte nonce")}) {
    const std::string cipher = caching_sha2_encrypt_password(pw, kNonce, *pub);
    ASSERT_EQ(cipher.size(), 256u) << pw;
    // What goes in is the password + NUL XORed with the nonce.
    EXPECT_EQ(key.decrypt(cipher), xor_with_nonce(std::string(pw) + '\0', kNonce)) << pw;
    EXPECT_EQ(caching_sha2_decrypt_password(cipher, kNonce, key), std::optional<std::string>(pw))
        << pw;
  }
  // A password too long for the key: no ciphertext.
  EXPECT_EQ(caching_sha2_encrypt_password(std::string(214, 'p'), kNonce, *pub), "");
}

}  // namespace
}  // namespace shardgate::protocol
