#include "execution/split_write.hpp"

namespace shardgate::execution {

write_outcome split_write(const std::vector<leg_reply>& replies,
                          const std::vector<std::string>& names, const std::vector<int>& clusters,
                          int first_row_cluster, std::string_view what) {
  write_outcome out;
  std::string applied, failed;
  const protocol::mysql_error* first_error = nullptr;
  for (std::size_t k = 0; k < replies.size(); ++k) {
    const leg_reply& r = replies[k];
    if (r.ok) {
      out.affected_rows += r.affected_rows;
      out.warnings += r.warnings;
      if (clusters[k] == first_row_cluster || (!out.last_insert_id && first_row_cluster < 0))
        out.last_insert_id = r.last_insert_id ? r.last_insert_id : out.last_insert_id;
      applied += (applied.empty() ? "" : ", ") + names[k];
    } else {
      if (!first_error) first_error = &r.error;
      failed += (failed.empty() ? "" : ", ") + names[k] + " (" + std::to_string(r.error.code) +
                ": " + r.error.message + ")";
    }
  }
  if (first_error)
    out.error = partial_write_error(*first_error, what, failed, applied, false);
  else
    out.info = combine_info(replies);
  return out;
}

}  // namespace shardgate::execution
