// Loads and validates a ShardGate YAML config file. Every problem is reported as
// "file:line:column: message"; the first one stops loading.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "config/config.hpp"

namespace shardgate::config {

struct load_error {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
  std::string message;
  std::string to_string() const;
};

using load_result = std::variant<std::shared_ptr<const config>, load_error>;

// Both set config::source_text (the bytes loaded) and config::checksum.
load_result load_file(const std::string& path);
load_result load_string(const std::string& yaml_text, const std::string& source_name);

// SHA-256 of `data` as 64 lower-case hex digits (config::checksum; a file watcher can
// compare a file's bytes with a snapshot's without parsing them).
std::string sha256_hex(std::string_view data);

}  // namespace shardgate::config
