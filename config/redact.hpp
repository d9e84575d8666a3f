// The configuration text with its secrets hidden, for GET /config on the admin endpoint.
#pragma once

#include <string>
#include <string_view>

namespace shardgate::config {

// Whether a mapping key holds a secret (password, password_hash, password_sha256).
// password_env and password_file are not: they name an environment variable and a file
// (whose contents never appear in the configuration text).
bool is_secret_key(std::string_view key) noexcept;

// `source_text` parsed and emitted again with the value of every `password`,
// `password_hash` and `password_sha256` key (at any depth) replaced by "<redacted>". Comments and
// formatting are not kept. Empty if the text is not valid YAML.
std::string redacted_yaml(const std::string& source_text);

}  // namespace shardgate::config
