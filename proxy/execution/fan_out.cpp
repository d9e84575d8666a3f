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

awaitable<bool> drain_resultset(backend::backend_connection& be, bytes& payload) {
  const bool deprecate_eof = be.capabilities() & cap::deprecate_eof;
  std::uint8_t seq = 0;
  // Column definitions end with an EOF unless DEPRECATE_EOF.
  bool in_rows = deprecate_eof;
  for (;;) {
    auto ec = co_await net::read_packet(be.socket(), be.buffer(), payload, seq, max_reply_packet);
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
    auto ec = co_await net::write_packet(leg.conn->socket(), leg.conn->scratch(), payload, seq);
    if (ec) {
      leg.conn->mark_broken();
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
    auto ec = co_await net::read_packet(be.socket(), be.buffer(), payload, seq, max_reply_packet);
    if (ec) {
      be.mark_broken();
      leg.lost = true;
      r.error = lost_error(be, "while reading the reply");
      continue;
    }
    const std::uint8_t first = payload.empty() ? 0 : payload[0];
    if (first == ok_header) {
      ok_packet ok;
      if (!decode_ok(payload, be.capabilities(), ok)) {
        be.mark_broken();
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
        be.mark_broken();
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
      be.mark_broken();
      leg.lost = true;
    }
    r.error = mysql_error{er::not_supported_yet, "42000",
                          "ShardGate: a statement split over several shards returned rows; "
                          "that is not supported"};
  }
}

awaitable<gather_status> gather_rows(std::vector<fan_leg>& legs,
                                     const std::vector<std::string>& shard_names,
                                     tcp::socket& client, std::uint8_t& client_seq,
                                     std::uint32_t client_caps, std::uint16_t terminator_status,
                                     std::chrono::milliseconds write_timeout) {
  bytes payload;
  bytes out;
  std::vector<asio::const_buffer> gather(1);
  std::optional<mysql_error> failure;
  std::uint64_t columns = 0;
  std::uint32_t warnings = 0;
  bool header_sent = false;  // column count and definitions went to the client

  auto flush = [&](bool force) -> awaitable<bool> {
    if (out.empty() || (!force && out.size() < 64 * 1024)) co_return true;
    gather[0] = asio::buffer(out);
    auto ec = co_await net::write_all(client, gather, write_timeout);
    out.clear();
    co_return !ec;
  };

  for (std::size_t k = 0; k < legs.size(); ++k) {
    fan_leg& leg = legs[k];
    backend::backend_connection& be = *leg.conn;
    const std::string& shard = shard_names[k];
    if (!leg.sent) {
      if (!failure) failure = lost_error(be, "while sending the statement");
      continue;
    }
    if (failure) {
      // Another shard failed: read and drop this one's reply to keep its connection usable.
      std::uint8_t seq = 0;
      auto ec = co_await net::read_packet(be.socket(), be.buffer(), payload, seq, max_reply_packet);
      const std::uint8_t first = payload.empty() ? 0 : payload[0];
      bool ok = !ec;
      if (ok && first != err_header && first != ok_header)
        ok = co_await drain_resultset(be, payload);
      if (!ok) {
        be.mark_broken();
        leg.lost = true;
      }
      continue;
    }
    const bool deprecate_eof = be.capabilities() & cap::deprecate_eof;
    std::uint8_t seq = 0;
    // Phase: 0 = column count, 1 = column definitions, 2 = rows.
    int phase = 0;
    std::uint64_t defs_left = 0;
    for (;;) {
      auto ec = co_await net::read_packet(be.socket(), be.buffer(), payload, seq, max_reply_packet);
      if (ec) {
        be.mark_broken();
        leg.lost = true;
        failure = lost_error(be, "while reading rows");
        break;
      }
      const std::uint8_t first = payload.empty() ? 0 : payload[0];
      if (phase == 0) {
        if (first == err_header) {
          failure = shard_error(be, shard, payload);
          break;
        }
        if (first == ok_header) {
          failure = mysql_error{er::not_supported_yet, "42000",
                                "ShardGate: shard " + shard + " returned no resultset"};
          break;
        }
        byte_reader r(payload);
        const std::uint64_t n = r.lenenc_int();
        if (!r.ok() || n == 0) {
          be.mark_broken();
          leg.lost = true;
          failure = lost_error(be, "(malformed column count)");
          break;
        }
        if (header_sent && n != columns) {
          failure = mysql_error{er::unknown_error, "HY000",
                                "ShardGate: shard " + shard + " returned " + std::to_string(n) +
                                    " columns, another shard " + std::to_string(columns) +
                                    " (is the table's definition the same on every shard?)"};
          const bool drained = co_await drain_resultset(be, payload);
          if (!drained) {
            be.mark_broken();
            leg.lost = true;
          }
          break;
        }
        columns = n;
        defs_left = n;
        phase = 1;
        if (!header_sent) append_packet(out, payload, client_seq);
        continue;
      }
      if (phase == 1) {
        if (defs_left > 0) {
          --defs_left;
          if (!header_sent) append_packet(out, payload, client_seq);
          if (defs_left == 0 && deprecate_eof) {
            phase = 2;
            header_sent = true;
          }
          continue;
        }
        // The EOF after the definitions (no DEPRECATE_EOF).
        if (!header_sent) append_packet(out, payload, client_seq);
        header_sent = true;
        phase = 2;
        continue;
      }
      // Rows.
      if (first == err_header) {
        failure = shard_error(be, shard, payload);
        break;
      }
      if (is_terminator(first, payload.size())) {
        std::uint16_t st = 0, w = 0;
        if (payload.size() < 9) {
          eof_packet eof;
          if (decode_eof(payload, eof)) {
            st = eof.status;
            w = eof.warnings;
          }
        } else {
          ok_packet ok;
          if (decode_ok(payload, be.capabilities(), ok)) {
            st = ok.status;
            w = ok.warnings;
          }
        }
        be.status = st;
        warnings += w;
        if (st & status::more_results_exist) {
          be.mark_broken();
          leg.lost = true;
          failure = mysql_error{er::not_supported_yet, "42000",
                                "ShardGate: multiple results from a scattered statement"};
        }
        break;
      }
      append_packet(out, payload, client_seq);
      const bool written = co_await flush(false);
      if (!written) co_return gather_status::client_lost;
    }
  }

  // One terminator for all shards - or the error, after whatever rows were sent.
  bytes tail;
  if (failure) {
    encode_error(tail, *failure, client_caps);
  } else if (client_caps & cap::deprecate_eof) {
    ok_packet ok;
    ok.status = terminator_status;
    ok.warnings = static_cast<std::uint16_t>(std::min<std::uint32_t>(warnings, 0xffff));
    encode_ok(tail, ok, client_caps, eof_header);
  } else {
    encode_eof(tail, {static_cast<std::uint16_t>(std::min<std::uint32_t>(warnings, 0xffff)),
                      terminator_status});
  }
  append_packet(out, tail, client_seq);
  const bool written = co_await flush(true);
  if (!written) co_return gather_status::client_lost;
  co_return gather_status::complete;
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

}  // namespace shardgate::execution
