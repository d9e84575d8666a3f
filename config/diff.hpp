// What a reload from one configuration to another changes: the differences between the
// two YAML documents (every key, secrets hidden) and the settings that only a restart
// applies. Routing differences need the router: see admin/config_diff.hpp.
#pragma once

#include <string>
#include <vector>

#include "config/config.hpp"

namespace shardgate::config {

// One line per changed leaf or sub-tree, in document order (the old document's keys, then
// keys only the new one has):
//   ~ clusters.shard0.readers: [127.0.0.1:3307] -> [127.0.0.1:3307, 127.0.0.1:3308]
//   + users[1] (name: reports)
//   - schemas.shop.tables.coupons: {shard_key: coupon_code, ...}
//   ~ clusters.shard0.password: (changed)
// Lists of mappings that all have a `name` are matched by name (`users[name=app].x`);
// other lists of mappings position by position; lists of scalars as a whole. The values
// of password, password_hash and password_sha256 keys are never shown (nor where they are
// aliased). Empty when the documents are equal
// (formatting and comments aside). A text that does not parse gives one line "! ...".
std::vector<std::string> yaml_differences(const std::string& old_text, const std::string& new_text);

// The settings that differ between `old` and `neu` but are applied only when the process
// restarts (the listening sockets, worker threads, advertised version, XA identity):
// listen.address, listen.port, listen.workers, listen.server_version, admin.address,
// admin.port, admin.enabled, transactions.xa_log, transactions.xa_name,
// transactions.xa_recovery_interval_s - the names of those that differ, in that order.
std::vector<std::string> restart_only_changes(const config& old, const config& neu);

}  // namespace shardgate::config
