// mysql_native_password: SHA1-based challenge/response.
//   client sends  SHA1(password) XOR SHA1(scramble + SHA1(SHA1(password)))
//   server stores SHA1(SHA1(password)), shown as "*" + 40 upper-case hex digits.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shardgate::protocol {

using sha1_digest = std::array<std::uint8_t, 20>;

sha1_digest sha1(std::string_view a, std::string_view b = {});

// SHA1(SHA1(password)): what the server keeps.
sha1_digest native_password_stage2(std::string_view password);

// Parses "*<40 hex>" (as in mysql.user / PASSWORD()); nullopt if malformed.
std::optional<sha1_digest> parse_native_password_hash(std::string_view text);
std::string format_native_password_hash(const sha1_digest& stage2);

// The client's response for `password` and `scramble` (empty for an empty password).
std::string native_password_response(std::string_view password, std::string_view scramble);

// Server side: does `response` prove knowledge of the password behind `stage2`?
// An empty response matches only an empty password (stage2 == nullopt).
bool verify_native_password(std::string_view response, std::string_view scramble,
                            const std::optional<sha1_digest>& stage2);

}  // namespace shardgate::protocol
