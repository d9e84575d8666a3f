// The router (router.hpp): INSERT and REPLACE on sharded tables - each row placed by its key
// value, rows for several shards split into one statement per shard.
#include <algorithm>

#include "protocol/errors.hpp"
#include "routing/router.hpp"
#include "routing/router_words.hpp"

namespace shardgate::routing {

using sql::statement_kind;
namespace er = protocol::er;

void router::route_insert(const session_view& s, route_plan& plan, bool explain) {
  const table_ref& target = parsed_.tables[0];
  const config::table_config& t = *target.table;
  plan.table = &t;
  const table_placement& p = placement(t);
  auto name = [&] { return table_name(target); };
  const char* verb = kind_word(parsed_.kind);
  if (parsed_.insert_select)
    return refuse(
        plan, er::not_supported_yet, "42000",
        std::string(verb) + " ... SELECT into sharded table " + name() + " is not supported yet");
  if (parsed_.assigns_key)
    return refuse(
        plan, er::not_supported_yet, "42000",
        "ON DUPLICATE KEY UPDATE would change shard key " + t.shard_key + " of table " + name());
  if (parsed_.insert_values && parsed_.key_column < 0)
    return refuse(plan, er::no_default_for_field, "HY000",
                  "Field '" + t.shard_key + "' doesn't have a default value: " + verb +
                      " into sharded table " + name() +
                      (parsed_.insert_has_columns ? " must give its shard key column"
                                                  : " needs a column list naming its shard key"));
  if (parsed_.rows.empty())
    return refuse(plan, er::no_default_for_field, "HY000",
                  "Field '" + t.shard_key + "' doesn't have a default value: " + verb +
                      " into sharded table " + name() + " must set its shard key");
  // Place every row.
  plan.clusters.clear();
  scratch_.clear();  // cluster of each row
  for (std::size_t i = 0; i < parsed_.rows.size(); ++i) {
    const insert_row& row = parsed_.rows[i];
    // Error texts are built only when a row is refused.
    auto row_no = [&] {
      return parsed_.rows.size() > 1 ? " (row " + std::to_string(i + 1) + ")" : std::string();
    };
    if (!row.key_is_literal)
      return refuse(plan, er::wrong_value, "HY000",
                    "the shard key " + t.shard_key + " of " + name() + row_no() +
                        " must be a literal value, not an expression");
    const auto& tok = parsed_.tokens[row.key.token];
    const key_read r = read_key(t.key, tok.kind, tok.text(parsed_.text), row.key.negative,
                                s.no_backslash_escapes, key_);
    if (r == key_read::null_key)
      return refuse(plan, er::bad_null, "23000",
                    "Column '" + t.shard_key + "' cannot be null: it is the shard key of " +
                        name() + row_no());
    if (r != key_read::ok) {
      std::string what = config::key_kind_name(t.key.kind);
      if (t.key.pattern) what += " matching " + t.key.pattern->source();
      return refuse(plan, er::wrong_value, "HY000",
                    "Incorrect shard key value " + std::string(tok.text(parsed_.text)) +
                        " for column " + t.shard_key + " of table " + name() + row_no() +
                        ": expected " + (r == key_read::cannot_tell ? "a literal " : "") + what);
    }
    const int c = p.place(key_, why_);
    if (c < 0)
      return refuse(
          plan, er::unknown_error, "HY000",
          "cannot place shard key " + key_.text + " of table " + name() + row_no() + ": " + why_);
    scratch_.push_back(c);
    if (!contains(plan.clusters, c)) plan.clusters.push_back(c);
  }
  plan.first_row_cluster = scratch_[0];
  const char* blocker = parsed_.scatter_blocker ? parsed_.scatter_blocker : parsed_.merge_needed;
  if (blocker && plan.clusters.size() > 1)
    return refuse(plan, er::not_supported_yet, "42000",
                  std::string(verb) + " with " + blocker +
                      " whose rows go to several shards is not supported yet");
  if (plan.clusters.size() > 1) {
    plan.action = route_action::fan_out;
    plan.combine = route_combine::ok;
    plan.rewritten = true;
    if (plan.texts.size() < plan.clusters.size()) plan.texts.resize(plan.clusters.size());
    const std::string_view text = parsed_.text;
    const std::string_view prefix = text.substr(0, parsed_.rows_start);
    const std::string_view suffix = text.substr(parsed_.rows_end);
    for (std::size_t k = 0; k < plan.clusters.size(); ++k) plan.texts[k].assign(prefix);
    placed_.assign(plan.clusters.size(), 0);
    for (std::size_t i = 0; i < parsed_.rows.size(); ++i) {
      const std::size_t k = static_cast<std::size_t>(
          std::find(plan.clusters.begin(), plan.clusters.end(), scratch_[i]) -
          plan.clusters.begin());
      const auto& row = parsed_.rows[i];
      const std::uint32_t b = parsed_.tokens[row.open].offset;
      const std::uint32_t e = parsed_.tokens[row.close].offset + 1;
      if (placed_[k]) plan.texts[k] += ',';
      placed_[k] = true;
      plan.texts[k].append(text.substr(b, e - b));
    }
    for (std::size_t k = 0; k < plan.clusters.size(); ++k) plan.texts[k].append(suffix);
  }
  if (explain) {
    plan.reason = std::string(verb) + " into " + name() + ": " +
                  std::to_string(parsed_.rows.size()) + " row(s) by " + t.shard_key + " (" +
                  p.explain(key_) + " for the last row)";
  }
}

}  // namespace shardgate::routing
