#include "config/config.hpp"

namespace shardgate::config {

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

}  // namespace shardgate::config
