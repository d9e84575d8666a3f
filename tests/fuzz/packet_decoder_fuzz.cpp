// libFuzzer target for the wire-protocol codec.
//
// Input: one config byte, then bytes as they would arrive from a peer. The whole rest is fed
// to every decoder as one payload; then it is cut into logical packets with find_packet /
// join_frames, and each packet goes to every decoder and to a response_translator (restarted
// whenever a response completes or fails). Every string view a decoder returns is read byte by
// byte so ASan sees any view that points outside its input.
//
// config bits: 0-1 (and 7) response kind, 2 backend DEPRECATE_EOF, 3 client DEPRECATE_EOF,
//              4 backend SESSION_TRACK, 5 client SESSION_TRACK, 6 use a session-state visitor,
//              4-7 (again) text-row column count - 1, and a COM_STMT_EXECUTE's parameter
//              count; 0-1 (again) NO_BACKSLASH_ESCAPES for literals, cursor flags kept.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/binary_row.hpp"
#include "protocol/bytes.hpp"
#include "protocol/change_user.hpp"
#include "protocol/constants.hpp"
#include "protocol/framing.hpp"
#include "protocol/generic_response.hpp"
#include "protocol/handshake.hpp"
#include "protocol/prepared_statement.hpp"
#include "protocol/response_translator.hpp"
#include "protocol/resultset.hpp"
#include "protocol/session_state.hpp"

namespace sp = shardgate::protocol;

namespace {

volatile std::uint32_t g_sink;

void touch(std::string_view s) {
  std::uint32_t h = 0;
  for (char c : s) h = h * 31 + static_cast<unsigned char>(c);
  g_sink = g_sink + h;
}

struct touching_visitor : sp::session_state_visitor {
  void on_system_variable(std::string_view name, std::string_view value) override {
    touch(name);
    touch(value);
  }
  void on_schema(std::string_view schema) override { touch(schema); }
};

constexpr std::uint32_t kBase = sp::cap::protocol_41 | sp::cap::transactions |
                                sp::cap::multi_results | sp::cap::secure_connection |
                                sp::cap::plugin_auth;

void decode_all(sp::byte_span p, std::uint8_t config) {
  for (std::uint32_t caps : {kBase, kBase | sp::cap::session_track, std::uint32_t{0},
                             std::uint32_t{sp::cap::transactions}}) {
    sp::ok_packet ok;
    if (sp::decode_ok(p, caps, ok)) {
      touch(ok.info);
      touch(ok.session_state);
      touching_visitor v;
      (void)sp::parse_session_state(sp::as_bytes(ok.session_state), v);
    }
    sp::err_packet err;
    if (sp::decode_err(p, caps, err)) {
      touch(err.sql_state);
      touch(err.message);
    }
  }
  sp::eof_packet eof;
  (void)sp::decode_eof(p, eof);
  (void)sp::is_terminator(p.empty() ? 0 : p[0], p.size());

  sp::handshake_v10 hs;
  if (sp::decode_handshake_v10(p, hs)) touch(hs.auth_plugin_data);
  (void)sp::is_ssl_request(p);
  sp::handshake_response resp;
  if (sp::decode_handshake_response(p, resp)) touch(resp.auth_response);
  sp::auth_switch_request sw;
  if (sp::decode_auth_switch_request(p, sw)) {
    touch(sw.plugin_name);
    touch(sw.plugin_data);
  }
  // COM_CHANGE_USER under the capability sets that change its layout; what decodes must
  // encode back to something that decodes to the same request.
  for (std::uint32_t caps : {kBase | sp::cap::connect_attrs, kBase, std::uint32_t{0},
                             std::uint32_t{sp::cap::connect_attrs}}) {
    sp::change_user_request cu;
    if (!sp::decode_change_user(p, caps, cu)) continue;
    touch(cu.username);
    touch(cu.auth_response);
    touch(cu.database);
    touch(cu.auth_plugin_name);
    for (const auto& [k, v] : cu.attributes) {
      touch(k);
      touch(v);
    }
    sp::bytes out;
    sp::encode_change_user(out, caps, cu);
    sp::change_user_request again;
    if (!sp::decode_change_user(out, caps, again) || again.username != cu.username ||
        again.auth_response != cu.auth_response || again.database != cu.database ||
        again.collation != cu.collation || again.auth_plugin_name != cu.auth_plugin_name ||
        again.attributes != cu.attributes)
      __builtin_trap();
  }

  std::uint64_t count = 0;
  (void)sp::decode_column_count(p, count);
  sp::column_definition col;
  if (sp::decode_column_definition(p, col)) {
    touch(col.catalog);
    touch(col.schema);
    touch(col.table);
    touch(col.org_table);
    touch(col.name);
    touch(col.org_name);
  }
  sp::text_row row;
  if (sp::decode_text_row(p, 1 + (config >> 4), row)) {
    for (const auto& cell : row)
      if (cell) touch(*cell);
  }
  touching_visitor v;
  (void)sp::parse_session_state(p, v);

  // The binary protocol: prepare replies, executions (as many parameters as the config's
  // high nibble says), bound values as SQL literals, long data, binary rows from text rows.
  sp::prepare_ok pok;
  (void)sp::decode_prepare_ok(p, pok);
  const auto params = static_cast<std::uint16_t>(config >> 4);
  sp::execute_request req;
  if (sp::decode_execute(p, params, req)) {
    touch(sp::as_string_view(req.null_bitmap));
    touch(sp::as_string_view(req.values));
    std::vector<sp::bound_param> bound;
    const std::string long_value("lo'ng\\0");
    const std::string* long_data[] = {nullptr, &long_value};
    if (req.types.size() == 2u * params &&
        sp::split_params(req, req.types, std::span(long_data, params > 1 ? 2 : 0), bound)) {
      std::string sql;
      for (const auto& b : bound) {
        touch(sp::as_string_view(b.value));
        (void)sp::append_literal(sql, b, (config & 1) != 0);
      }
      touch(sql);
      sp::bytes out;
      sp::encode_execute(out, 7, req, req.types, params, (config & 2) != 0);
      sp::execute_request again;
      if (!sp::decode_execute(out, params, again) || again.values.size() != req.values.size())
        __builtin_trap();
    }
  }
  sp::long_data_request ld;
  if (sp::decode_long_data(p, ld)) touch(sp::as_string_view(ld.data));
  if (!row.empty() && !p.empty()) {
    // Column types from the payload's first bytes (any type, UNSIGNED or not).
    std::vector<sp::column_definition> cols(row.size());
    for (std::size_t i = 0; i < cols.size(); ++i) {
      cols[i].type = static_cast<sp::column_type>(p[i % p.size()]);
      cols[i].flags = (p[(i + 1) % p.size()] & 1) ? sp::column_unsigned_flag : 0;
    }
    sp::bytes out;
    (void)sp::encode_binary_row(out, row, cols);
  }
}

// Exactly-sized heap copy, so that a read one past the end is an ASan error.
std::unique_ptr<std::uint8_t[]> exact_copy(const std::uint8_t* p, std::size_t n) {
  auto b = std::make_unique<std::uint8_t[]>(n ? n : 1);
  for (std::size_t i = 0; i < n; ++i) b[i] = p[i];
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t config = data[0];
  const sp::byte_span wire(data + 1, size - 1);

  decode_all(wire, config);

  static constexpr sp::response_kind kinds[8] = {
      sp::response_kind::query,      sp::response_kind::field_list, sp::response_kind::single_ok,
      sp::response_kind::raw_single, sp::response_kind::execute,    sp::response_kind::fetch,
      sp::response_kind::query,      sp::response_kind::execute};
  const auto kind = kinds[(config & 3) | ((config & 128) >> 5)];
  const std::uint32_t backend_caps = kBase | ((config & 4) ? sp::cap::deprecate_eof : 0) |
                                     ((config & 16) ? sp::cap::session_track : 0);
  const std::uint32_t client_caps = kBase | ((config & 8) ? sp::cap::deprecate_eof : 0) |
                                    ((config & 32) ? sp::cap::session_track : 0);
  touching_visitor visitor;
  sp::response_translator tr;
  auto restart = [&] {
    tr.start(kind, backend_caps, client_caps, sp::status::autocommit,
             (config & 64) ? &visitor : nullptr);
  };
  restart();

  std::size_t pos = 0;
  sp::bytes payload, replacement;
  while (pos < wire.size()) {
    const sp::byte_span rest = wire.subspan(pos);
    bool too_large = false;
    const std::optional<sp::packet_extent> e = sp::find_packet(rest, 1u << 20, too_large);
    if (!e) break;
    if (e->wire_size > rest.size() || e->frames == 0 ||
        e->wire_size != e->payload_size + e->frames * sp::frame_header_size)
      __builtin_trap();
    sp::join_frames(rest, *e, payload);
    if (payload.size() != e->payload_size) __builtin_trap();
    pos += e->wire_size;

    auto copy = exact_copy(payload.data(), payload.size());
    const sp::byte_span p(copy.get(), payload.size());
    decode_all(p, config);

    const std::uint8_t first = p.empty() ? 0 : p[0];
    // Like the real caller: the whole payload only when the translator asks for it,
    // otherwise just the first byte.
    const bool whole = tr.needs_payload(first, p.size());
    auto first_only = exact_copy(p.data(), p.empty() ? 0 : 1);
    const sp::byte_span given = whole ? p : sp::byte_span(first_only.get(), p.empty() ? 0 : 1);
    const sp::packet_verdict v = tr.on_packet(first, p.size(), given, replacement);
    if ((v.action == sp::packet_action::replace ||
         v.action == sp::packet_action::forward_then_eof) &&
        replacement.empty())
      __builtin_trap();
    if (v.done || v.protocol_error || tr.done()) restart();
  }
  return 0;
}
