// Plan primitive: the same write on every copy of a broadcast table. The client sees the
// first copy's OK (every copy ran the same statement); a copy that failed makes the write
// fail, naming where it failed and where it WAS applied (the copies then differ).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "execution/fan_out.hpp"

namespace shardgate::execution {

// `names[k]`: the shard of replies[k]; `what`: "write to broadcast table t".
write_outcome broadcast_write(const std::vector<leg_reply>& replies,
                              const std::vector<std::string>& names, std::string_view what);

}  // namespace shardgate::execution
