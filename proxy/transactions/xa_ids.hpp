// Names and statement texts of ShardGate's XA transactions (transactions.cross_shard: xa).
// Pure functions, no I/O.
//
// Every cross-shard transaction gets one global id (gtrid) "<instance>-<boot>-<seq>":
// `instance` is transactions.xa_name (unique per ShardGate instance in front of the same
// shards; required with cross_shard: xa), `boot` tells process starts apart, `seq` counts
// transactions. Each shard's branch has that gtrid, the cluster's index as branch qualifier, and
// ShardGate's own format id, so recovery recognises its own branches and never touches an
// application's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shardgate::transactions {

// "SG": the XA format id of every branch ShardGate opens.
inline constexpr std::uint32_t xa_format_id = 0x5347;

struct xa_branch {
  std::string gtrid;
  std::string bqual;
  std::uint32_t format_id = xa_format_id;
};

// The gtrid of transaction `seq` of the process started at `boot`.
std::string make_gtrid(std::string_view instance, std::uint64_t boot, std::uint64_t seq);
// The prefix every gtrid of `instance` starts with ("<instance>-"), and of one process
// start ("<instance>-<boot>-").
std::string instance_prefix(std::string_view instance);
std::string boot_prefix(std::string_view instance, std::uint64_t boot);

// The xid as XA statements write it: 'gtrid','bqual',format (quoted and escaped).
void append_xid(std::string& out, const xa_branch& b);

enum class xa_verb : std::uint8_t {
  start,             // XA START xid
  end,               // XA END xid
  prepare,           // XA PREPARE xid
  commit,            // XA COMMIT xid
  commit_one_phase,  // XA COMMIT xid ONE PHASE
  rollback,          // XA ROLLBACK xid
};
std::string xa_statement(xa_verb verb, const xa_branch& b);

// One row of XA RECOVER: formatID, gtrid_length, bqual_length, data. nullopt when the
// row is malformed (lengths that do not fit the data).
std::optional<xa_branch> parse_recover_row(std::string_view format_id,
                                           std::string_view gtrid_length,
                                           std::string_view bqual_length, std::string_view data);

// Whether a prepared branch found by XA RECOVER is one of `instance`'s.
bool owned_by(const xa_branch& b, std::string_view instance);

}  // namespace shardgate::transactions
