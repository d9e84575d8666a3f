#include "execution/broadcast_write.hpp"

namespace shardgate::execution {

write_outcome broadcast_write(const std::vector<leg_reply>& replies,
                              const std::vector<std::string>& names, std::string_view what) {
  write_outcome out;
  std::string applied, failed;
  const protocol::mysql_error* first_error = nullptr;
  for (std::size_t k = 0; k < replies.size(); ++k) {
    const leg_reply& r = replies[k];
    if (r.ok) {
      if (applied.empty()) {
        out.affected_rows = r.affected_rows;
        out.warnings = r.warnings;
        out.last_insert_id = r.last_insert_id;
        out.info = r.info;
      }
      applied += (applied.empty() ? "" : ", ") + names[k];
    } else {
      if (!first_error) first_error = &r.error;
      failed += (failed.empty() ? "" : ", ") + names[k] + " (" + std::to_string(r.error.code) +
                ": " + r.error.message + ")";
    }
  }
  if (first_error) out.error = partial_write_error(*first_error, what, failed, applied, true);
  return out;
}

}  // namespace shardgate::execution
