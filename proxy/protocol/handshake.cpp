#include "protocol/handshake.hpp"

#include <algorithm>

#include "protocol/constants.hpp"

namespace shardgate::protocol {

bool decode_handshake_v10(byte_span payload, handshake_v10& out) {
  byte_reader r(payload);
  if (r.u8() != 10) return false;
  out.server_version = std::string(r.null_terminated());
  out.connection_id = r.u32();
  std::string_view part1 = r.take(8);
  r.skip(1);  // filler
  std::uint32_t caps = r.u16();
  if (!r.ok()) return false;
  out.auth_plugin_data.assign(part1);
  out.capabilities = caps;
  out.collation = 0;
  out.status = 0;
  out.auth_plugin_name.clear();
  out.mariadb_capabilities = 0;
  if (r.at_end()) return true;
  out.collation = r.u8();
  out.status = r.u16();
  caps |= static_cast<std::uint32_t>(r.u16()) << 16;
  out.capabilities = caps;
  std::uint8_t data_len = r.u8();
  r.skip(6);
  std::uint32_t ext = r.u32();
  if (!(caps & cap::long_password)) out.mariadb_capabilities = ext;
  if (caps & cap::secure_connection) {
    std::size_t n = std::max<int>(13, static_cast<int>(data_len) - 8);
    std::string_view part2 = r.take(n);
    if (!r.ok()) return false;
    // The last byte of part 2 is a NUL terminator, not scramble.
    if (!part2.empty() && part2.back() == '\0') part2.remove_suffix(1);
    out.auth_plugin_data.append(part2);
  }
  if (caps & cap::plugin_auth) {
    // Some servers omit the final NUL.
    std::string_view rest = r.rest();
    if (!rest.empty() && rest.back() == '\0') rest.remove_suffix(1);
    out.auth_plugin_name.assign(rest);
  }
  return r.ok();
}

void encode_handshake_v10(bytes& out, const handshake_v10& hs) {
  byte_writer w(out);
  w.u8(10);
  w.null_terminated(hs.server_version);
  w.u32(hs.connection_id);
  std::string data = hs.auth_plugin_data;
  data.resize(std::max<std::size_t>(data.size(), 8), '\0');
  w.raw(std::string_view(data).substr(0, 8));
  w.u8(0);
  w.u16(static_cast<std::uint16_t>(hs.capabilities));
  w.u8(hs.collation);
  w.u16(hs.status);
  w.u16(static_cast<std::uint16_t>(hs.capabilities >> 16));
  w.u8((hs.capabilities & cap::plugin_auth) ? static_cast<std::uint8_t>(data.size() + 1) : 0);
  w.zeros(6);
  w.u32((hs.capabilities & cap::long_password) ? 0 : hs.mariadb_capabilities);
  if (hs.capabilities & cap::secure_connection) {
    std::string part2 = data.substr(8);
    part2.resize(std::max<std::size_t>(part2.size(), 12), '\0');
    w.raw(part2);
    w.u8(0);
  }
  if (hs.capabilities & cap::plugin_auth) w.null_terminated(hs.auth_plugin_name);
}

bool is_ssl_request(byte_span payload) noexcept {
  if (payload.size() != 32) return false;
  byte_reader r(payload);
  return (r.u32() & cap::ssl) != 0;
}

void encode_ssl_request(bytes& out, std::uint32_t capabilities, std::uint32_t max_packet_size,
                        std::uint8_t collation) {
  byte_writer w(out);
  w.u32(capabilities | cap::ssl);
  w.u32(max_packet_size);
  w.u8(collation);
  w.zeros(23);
}

bool decode_handshake_response(byte_span payload, handshake_response& out) {
  byte_reader r(payload);
  out.capabilities = r.u32();
  if (!r.ok() || !(out.capabilities & cap::protocol_41)) return false;
  out.max_packet_size = r.u32();
  out.collation = r.u8();
  r.skip(23);
  out.username = std::string(r.null_terminated());
  if (!r.ok()) return false;
  out.auth_response.clear();
  out.database.clear();
  out.auth_plugin_name.clear();
  out.attributes.clear();
  if (out.capabilities & cap::plugin_auth_lenenc_client_data) {
    out.auth_response = std::string(r.lenenc_str());
  } else if (out.capabilities & cap::secure_connection) {
    std::uint8_t n = r.u8();
    out.auth_response = std::string(r.take(n));
  } else {
    out.auth_response = std::string(r.null_terminated());
  }
  if (!r.ok()) return false;
  if ((out.capabilities & cap::connect_with_db) && !r.at_end())
    out.database = std::string(r.null_terminated());
  if ((out.capabilities & cap::plugin_auth) && !r.at_end())
    out.auth_plugin_name = std::string(r.null_terminated());
  if ((out.capabilities & cap::connect_attrs) && !r.at_end()) {
    std::uint64_t total = r.lenenc_int();
    if (!r.ok() || total > r.remaining()) return false;
    byte_reader attrs(payload.subspan(r.position(), static_cast<std::size_t>(total)));
    r.skip(static_cast<std::size_t>(total));
    while (attrs.ok() && !attrs.at_end()) {
      std::string_view k = attrs.lenenc_str();
      std::string_view v = attrs.lenenc_str();
      if (attrs.ok()) out.attributes.emplace_back(k, v);
    }
    if (!attrs.ok()) return false;
  }
  // Trailing bytes (e.g. MySQL 8's zstd level) are tolerated.
  return r.ok();
}

void encode_handshake_response(bytes& out, const handshake_response& resp) {
  byte_writer w(out);
  w.u32(resp.capabilities);
  w.u32(resp.max_packet_size);
  w.u8(resp.collation);
  w.zeros(23);
  w.null_terminated(resp.username);
  if (resp.capabilities & cap::plugin_auth_lenenc_client_data) {
    w.lenenc_str(resp.auth_response);
  } else if (resp.capabilities & cap::secure_connection) {
    w.u8(static_cast<std::uint8_t>(resp.auth_response.size()));
    w.raw(resp.auth_response);
  } else {
    w.null_terminated(resp.auth_response);
  }
  if (resp.capabilities & cap::connect_with_db) w.null_terminated(resp.database);
  if (resp.capabilities & cap::plugin_auth) w.null_terminated(resp.auth_plugin_name);
  if (resp.capabilities & cap::connect_attrs) {
    bytes attrs;
    byte_writer aw(attrs);
    for (const auto& [k, v] : resp.attributes) {
      aw.lenenc_str(k);
      aw.lenenc_str(v);
    }
    w.lenenc_int(attrs.size());
    w.raw(byte_span(attrs));
  }
}

bool decode_auth_switch_request(byte_span payload, auth_switch_request& out) {
  byte_reader r(payload);
  if (r.u8() != 0xfe) return false;
  out.plugin_name = std::string(r.null_terminated());
  std::string_view data = r.rest();
  if (!data.empty() && data.back() == '\0') data.remove_suffix(1);
  out.plugin_data.assign(data);
  return r.ok();
}

void encode_auth_switch_request(bytes& out, const auth_switch_request& req) {
  byte_writer w(out);
  w.u8(0xfe);
  w.null_terminated(req.plugin_name);
  w.null_terminated(req.plugin_data);
}

}  // namespace shardgate::protocol
