#include "execution/fan_out.hpp"

#include <charconv>

#include "net/packet_io.hpp"
#include "protocol/constants.hpp"
#include "protocol/framing.hpp"
#include "protocol/generic_response.hpp"

namespace shardgate::execution {

using namespace protocol;

mysql_error lost_error(const backend::backend_connection& be, std::string_view what) {
  return {er::server_lost, "HY000",
          "Lost connection to MySQL server at '" + be.target().endpoint.to_string() +
              "' (cluster " + be.target().cluster + ") " + std::string(what)};
}

// A shard's ERR packet as the client's error, naming the shard.
mysql_error shard_error(const backend::backend_connection& be, const std::string& shard,
                        byte_span payload) {
  err_packet err;
  if (!decode_err(payload, be.capabilities(), err)) return lost_error(be, "(malformed ERR)");
  return {err.code, std::string(err.sql_state), "shard " + shard + ": " + std::string(err.message)};
}

bool read_terminator(backend::backend_connection& be, byte_span payload, std::uint16_t& warnings) {
  std::uint16_t flags = 0;
  warnings = 0;
  bool ok = false;
  if (be.capabilities() & cap::deprecate_eof) {
    ok_packet packet;
    ok = decode_ok(payload, be.capabilities(), packet);
    flags = packet.status;
    warnings = packet.warnings;
  } else {
    eof_packet packet;
    ok = decode_eof(payload, packet);
    flags = packet.status;
    warnings = packet.warnings;
  }
  // Unknown state: keep IN_TRANS so a transaction is never handed to another session.
  be.status = ok ? flags : static_cast<std::uint16_t>(be.status | status::in_trans);
  return ok;
}

awaitable<bool> drain_resultset(backend::backend_connection& be, bytes& payload) {
  const bool deprecate_eof = be.capabilities() & cap::deprecate_eof;
  std::uint8_t seq = 0;
  // Column definitions end with an EOF unless DEPRECATE_EOF.
  bool in_rows = deprecate_eof;
  for (;;) {
    auto ec = co_await net::read_packet(be.stream(), be.buffer(), payload, seq, max_reply_packet);
    if (ec) co_return false;
    const std::uint8_t first = payload.empty() ? 0 : payload[0];
    if (first == err_header) co_return true;
    if (is_terminator(first, payload.size())) {
      if (!in_rows) {
        in_rows = true;
        continue;
      }
      co_return true;
    }
  }
}

awaitable<void> send_to_all(std::vector<fan_leg>& legs) {
  bytes payload;
  for (auto& leg : legs) {
    payload.clear();
    payload.push_back(static_cast<std::uint8_t>(command::query));
    payload.insert(payload.end(), leg.sql.begin(), leg.sql.end());
    std::uint8_t seq = 0;
    auto ec = co_await net::write_packet(leg.conn->stream(), leg.conn->scratch(), payload, seq);
    if (ec) {
      leg.conn->mark_failed();
      leg.lost = true;
    } else {
      leg.sent = true;
    }
  }
}

awaitable<void> collect_replies(std::vector<fan_leg>& legs, std::vector<leg_reply>& replies) {
  replies.assign(legs.size(), leg_reply{});
  bytes payload;
  for (std::size_t k = 0; k < legs.size(); ++k) {
    fan_leg& leg = legs[k];
    leg_reply& r = replies[k];
    backend::backend_connection& be = *leg.conn;
    if (!leg.sent) {
      r.error = lost_error(be, "while sending the statement");
      continue;
    }
    std::uint8_t seq = 0;
    auto ec = co_await net::read_packet(be.stream(), be.buffer(), payload, seq, max_reply_packet);
    if (ec) {
      be.mark_failed();
      leg.lost = true;
      r.error = lost_error(be, "while reading the reply");
      continue;
    }
    const std::uint8_t first = payload.empty() ? 0 : payload[0];
    if (first == ok_header) {
      ok_packet ok;
      if (!decode_ok(payload, be.capabilities(), ok)) {
        be.mark_failed();
        leg.lost = true;
        r.error = lost_error(be, "(malformed OK)");
        continue;
      }
      r.ok = true;
      r.affected_rows = ok.affected_rows;
      r.last_insert_id = ok.last_insert_id;
      r.warnings = ok.warnings;
      r.status = ok.status;
      r.info.assign(ok.info);
      be.status = ok.status;
      if (ok.last_insert_id) be.state.last_insert_id = ok.last_insert_id;
      if (ok.status & status::more_results_exist) {
        // Not expected for one statement: the connection's state is unknown now.
        be.mark_failed();
        leg.lost = true;
      }
      continue;
    }
    if (first == err_header) {
      err_packet err;
      if (decode_err(payload, be.capabilities(), err))
        r.error = mysql_error{err.code, std::string(err.sql_state), std::string(err.message)};
      else
        r.error = lost_error(be, "(malformed ERR)");
      continue;
    }
    // A resultset where an OK was expected (e.g. RETURNING): drain it.
    const bool drained = co_await drain_resultset(be, payload);
    if (!drained) {
      be.mark_failed();
      leg.lost = true;
    }
    r.error = mysql_error{er::not_supported_yet, "42000",
                          "ShardGate: a statement split over several shards returned rows; "
                          "that is not supported"};
  }
}

std::string combine_info(const std::vector<leg_reply>& replies) {
  // Parse "Label: N  Label: N" into labels and numbers.
  auto parse = [](std::string_view s, std::vector<std::string_view>& labels,
                  std::vector<std::uint64_t>& numbers) {
    labels.clear();
    numbers.clear();
    while (!s.empty()) {
      while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      const auto colon = s.find(": ");
      if (colon == std::string_view::npos) return s.empty();
      labels.push_back(s.substr(0, colon));
      s.remove_prefix(colon + 2);
      std::uint64_t v = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc()) return false;
      numbers.push_back(v);
      s.remove_prefix(static_cast<std::size_t>(p - s.data()));
    }
    return true;
  };
  std::vector<std::string_view> labels, l;
  std::vector<std::uint64_t> sums, n;
  bool first = true;
  for (const auto& r : replies) {
    if (!r.ok) continue;
    if (!parse(r.info, l, n)) return {};
    if (first) {
      labels = l;
      sums = n;
      first = false;
      continue;
    }
    if (l != labels) return {};
    for (std::size_t i = 0; i < n.size(); ++i) sums[i] += n[i];
  }
  std::string out;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i) out += "  ";
    out += std::string(labels[i]) + ": " + std::to_string(sums[i]);
  }
  return out;
}

mysql_error partial_write_error(const mysql_error& first, std::string_view what,
                                const std::string& failed, const std::string& applied,
                                bool copies) {
  return mysql_error{first.code, first.sql_state,
                     "ShardGate: the " + std::string(what) + " failed on shard(s) " + failed +
                         (applied.empty() ? std::string("; it was applied nowhere")
                                          : "; it WAS applied on shard(s) " + applied +
                                                (copies ? " (not atomic across shards: the copies "
                                                          "now differ; repair them)"
                                                        : " (not atomic across shards)"))};
}

}  // namespace shardgate::execution
