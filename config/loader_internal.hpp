// Internal to the config loader (config/loader*.cpp): the parsing helpers every section
// uses and the sections parsed outside loader.cpp. Not for other code: include
// config/loader.hpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace shardgate::config::detail {

// Thrown by fail(): where in the file, and what is wrong (becomes a load_error).
struct failure {
  YAML::Mark mark;
  std::string message;
};

[[noreturn]] void fail(const YAML::Node& at, std::string message);

// A mapping node whose keys must all be in `allowed`.
void expect_map(const YAML::Node& node, std::string_view where,
                std::initializer_list<std::string_view> allowed);
std::string scalar(const YAML::Node& node, std::string_view what);
std::uint64_t integer(const YAML::Node& node, std::string_view what, std::uint64_t min,
                      std::uint64_t max);
// A decimal number (1, 0.5, 2.5e3) in (0, max]; max is a whole number.
double positive_number(const YAML::Node& node, std::string_view what, double max);
bool boolean(const YAML::Node& node, std::string_view what);
bool is_ip_literal(const std::string& s);

// A path as written, made relative to the config file's directory unless absolute (the
// directory as written in `source`: a file that is created later, like a log).
std::string relative_to_config(const YAML::Node& node, std::string_view what,
                               const std::string& source);
// A file read at load: made absolute (relative paths from the config file's directory)
// and checked to be readable now.
std::string readable_file(const YAML::Node& node, std::string_view what, const std::string& source);

// The sections parsed in loader_clients.cpp and loader_clusters.cpp. `source` is the config
// file's path (for relative paths).
void parse_listen(const YAML::Node& n, listen_config& out, const std::string& source);
void parse_admin(const YAML::Node& n, admin_config& out);
void parse_users(const YAML::Node& n, std::vector<user_config>& out, const listen_config& listen,
                 const std::string& source);
void parse_clusters(const YAML::Node& n, std::vector<cluster_config>& out,
                    const std::string& source);

// A password given by exactly one of `keys` present in `parent` (password: the value;
// password_env: an environment variable's name; password_file: a file holding it, one
// trailing newline dropped). Returns the key used (empty when none is) and sets `value`.
// Other keys in `keys` (password_hash, password_sha256) are only counted: the caller
// reads them.
std::string password_source(const YAML::Node& parent, std::string_view where,
                            std::initializer_list<std::string_view> keys, const std::string& source,
                            std::string& value);

}  // namespace shardgate::config::detail
