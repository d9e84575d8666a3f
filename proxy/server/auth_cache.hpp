// caching_sha2_password's server-side cache: SHA256(SHA256(password)) per user, filled by
// a full authentication (which saw the clear password), so that the next logins of that
// user take the fast path (one round trip, no TLS or RSA needed). Shared by the workers;
// touched once per login, never per statement. An entry is valid only for the stored
// secret it was made against: a reload that changes the user's password makes it unused.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "protocol/caching_sha2.hpp"

namespace shardgate::server {

class auth_cache {
 public:
  // `secret` identifies what users[] stores for the user (see secret_id).
  std::optional<protocol::sha256_digest> find(const std::string& user, std::string_view secret) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(user);
    if (it == entries_.end() || it->second.secret != secret) return std::nullopt;
    return it->second.stage2;
  }
  void store(const std::string& user, std::string_view secret,
             const protocol::sha256_digest& stage2) {
    std::lock_guard lock(mutex_);
    // Only configured users get here (after a successful full authentication), so the
    // map is bounded by users[].
    entries_[user] = {std::string(secret), stage2};
  }

 private:
  struct entry {
    std::string secret;
    protocol::sha256_digest stage2;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;
};

}  // namespace shardgate::server
