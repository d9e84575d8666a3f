#include "config/config.hpp"

namespace shardgate::config {

std::vector<endpoint> cluster_config::endpoints() const {
  std::vector<endpoint> out{writer};
  for (const auto& r : readers) out.push_back(r.address);
  return out;
}

const char* writer_check_name(writer_check_kind k) noexcept {
  switch (k) {
    case writer_check_kind::read_only:
      return "read_only";
    case writer_check_kind::aurora_replica_status:
      return "aurora_replica_status";
    case writer_check_kind::none:
      return "none";
  }
  return "?";
}

const char* lag_check_name(lag_check_kind k) noexcept {
  switch (k) {
    case lag_check_kind::replication_status:
      return "replication_status";
    case lag_check_kind::heartbeat:
      return "heartbeat";
    case lag_check_kind::none:
      return "none";
  }
  return "?";
}

const char* backend_tls_mode_name(backend_tls_mode m) noexcept {
  switch (m) {
    case backend_tls_mode::disabled:
      return "disabled";
    case backend_tls_mode::preferred:
      return "preferred";
    case backend_tls_mode::required:
      return "required";
    case backend_tls_mode::verify_ca:
      return "verify_ca";
    case backend_tls_mode::verify_identity:
      return "verify_identity";
  }
  return "?";
}

const char* auth_plugin_name(auth_plugin p) noexcept {
  switch (p) {
    case auth_plugin::mysql_native_password:
      return "mysql_native_password";
    case auth_plugin::caching_sha2_password:
      return "caching_sha2_password";
  }
  return "?";
}

const user_config* config::find_user(std::string_view name) const {
  for (const auto& u : users)
    if (u.name == name) return &u;
  return nullptr;
}

const cluster_config* config::find_cluster(std::string_view name) const {
  for (const auto& c : clusters)
    if (c.name == name) return &c;
  return nullptr;
}

int config::cluster_index(std::string_view name) const {
  for (std::size_t i = 0; i < clusters.size(); ++i)
    if (clusters[i].name == name) return static_cast<int>(i);
  return -1;
}

const schema_config* config::find_schema(std::string_view lower_name) const {
  return find_schema_ci(lower_name);
}

const schema_config* config::find_schema_ci(std::string_view name) const {
  if (name.empty()) return nullptr;
  for (const auto& sc : schemas) {
    if (sc.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i) {
      char c = name[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      same = c == sc.name[i];
    }
    if (same) return &sc;
  }
  return nullptr;
}

const lookup_config* config::find_lookup(std::string_view name) const {
  for (const auto& l : lookups)
    if (l.name == name) return &l;
  return nullptr;
}

const table_config* schema_config::find_table(std::string_view lower_name) const {
  for (const auto& t : tables)
    if (t.name == lower_name) return &t;
  return nullptr;
}

const char* key_kind_name(key_kind k) noexcept {
  switch (k) {
    case key_kind::integer:
      return "integer";
    case key_kind::string:
      return "string";
    case key_kind::date:
      return "date";
    case key_kind::order_number:
      return "order_number";
  }
  return "?";
}

const char* strategy_kind_name(strategy_kind k) noexcept {
  switch (k) {
    case strategy_kind::hash:
      return "hash";
    case strategy_kind::range:
      return "range";
    case strategy_kind::directory:
      return "directory";
  }
  return "?";
}

const char* hash_function_name(hash_function f) noexcept {
  switch (f) {
    case hash_function::modulo:
      return "modulo";
    case hash_function::crc32:
      return "crc32";
    case hash_function::xxhash64:
      return "xxhash64";
  }
  return "?";
}

}  // namespace shardgate::config
