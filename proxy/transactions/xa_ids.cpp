#include "transactions/xa_ids.hpp"

#include <charconv>

namespace shardgate::transactions {

namespace {

void append_hex(std::string& out, std::uint64_t v) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, 16);
  (void)ec;
  out.append(buf, end);
}

void append_quoted(std::string& out, std::string_view s) {
  out += '\'';
  for (char c : s) {
    if (c == '\'' || c == '\\') out += c == '\'' ? '\'' : '\\';
    out += c;
  }
  out += '\'';
}

bool to_u64(std::string_view s, std::uint64_t& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string instance_prefix(std::string_view instance) {
  std::string out(instance);
  out += '-';
  return out;
}

std::string boot_prefix(std::string_view instance, std::uint64_t boot) {
  std::string out = instance_prefix(instance);
  append_hex(out, boot);
  out += '-';
  return out;
}

std::string make_gtrid(std::string_view instance, std::uint64_t boot, std::uint64_t seq) {
  std::string out = boot_prefix(instance, boot);
  append_hex(out, seq);
  return out;
}

void append_xid(std::string& out, const xa_branch& b) {
  append_quoted(out, b.gtrid);
  out += ',';
  append_quoted(out, b.bqual);
  out += ',';
  out += std::to_string(b.format_id);
}

std::string xa_statement(xa_verb verb, const xa_branch& b) {
  static constexpr std::string_view heads[] = {"XA START ",  "XA END ",    "XA PREPARE ",
                                               "XA COMMIT ", "XA COMMIT ", "XA ROLLBACK "};
  std::string out(heads[static_cast<std::size_t>(verb)]);
  append_xid(out, b);
  if (verb == xa_verb::commit_one_phase) out += " ONE PHASE";
  return out;
}

std::optional<xa_branch> parse_recover_row(std::string_view format_id,
                                           std::string_view gtrid_length,
                                           std::string_view bqual_length, std::string_view data) {
  std::uint64_t fmt = 0, gl = 0, bl = 0;
  // (formatID is signed in the server; -1 means a null xid, which is never prepared.)
  if (!to_u64(format_id, fmt) || !to_u64(gtrid_length, gl) || !to_u64(bqual_length, bl))
    return std::nullopt;
  if (fmt > UINT32_MAX || gl > 64 || bl > 64 || gl + bl != data.size()) return std::nullopt;
  xa_branch b;
  b.format_id = static_cast<std::uint32_t>(fmt);
  b.gtrid.assign(data.substr(0, gl));
  b.bqual.assign(data.substr(gl, bl));
  return b;
}

bool owned_by(const xa_branch& b, std::string_view instance) {
  if (b.format_id != xa_format_id) return false;
  return b.gtrid.size() > instance.size() + 1 &&
         b.gtrid.compare(0, instance.size(), instance) == 0 && b.gtrid[instance.size()] == '-';
}

}  // namespace shardgate::transactions
