#include "protocol/change_user.hpp"

#include "protocol/constants.hpp"

namespace shardgate::protocol {

bool decode_change_user(byte_span payload, std::uint32_t client_caps, change_user_request& out) {
  byte_reader r(payload);
  if (r.u8() != static_cast<std::uint8_t>(command::change_user) || !r.ok()) return false;
  out = {};
  out.username = std::string(r.null_terminated());
  if (!r.ok()) return false;
  if (client_caps & cap::secure_connection) {
    const std::uint8_t n = r.u8();
    out.auth_response = std::string(r.take(n));
  } else {
    out.auth_response = std::string(r.null_terminated());
  }
  if (!r.ok()) return false;
  // Old clients may end the packet here or after the database.
  if (r.at_end()) return true;
  out.database = std::string(r.null_terminated());
  if (!r.ok()) return false;
  if (r.remaining() < 2) return r.at_end();
  out.collation = r.u16();
  if ((client_caps & cap::plugin_auth) && !r.at_end()) {
    out.auth_plugin_name = std::string(r.null_terminated());
    if (!r.ok()) return false;
  }
  if ((client_caps & cap::connect_attrs) && !r.at_end()) {
    const std::uint64_t total = r.lenenc_int();
    if (!r.ok() || total > r.remaining()) return false;
    byte_reader attrs(payload.subspan(r.position(), static_cast<std::size_t>(total)));
    r.skip(static_cast<std::size_t>(total));
    while (attrs.ok() && !attrs.at_end()) {
      const std::string_view k = attrs.lenenc_str();
      const std::string_view v = attrs.lenenc_str();
      if (!attrs.ok()) return false;
      out.attributes.emplace_back(std::string(k), std::string(v));
    }
  }
  return r.ok();
}

void encode_change_user(bytes& out, std::uint32_t client_caps, const change_user_request& req) {
  byte_writer w(out);
  w.u8(static_cast<std::uint8_t>(command::change_user));
  w.null_terminated(req.username);
  if (client_caps & cap::secure_connection) {
    w.u8(static_cast<std::uint8_t>(req.auth_response.size()));
    w.raw(req.auth_response);
  } else {
    w.null_terminated(req.auth_response);
  }
  w.null_terminated(req.database);
  w.u16(req.collation);
  if (client_caps & cap::plugin_auth) w.null_terminated(req.auth_plugin_name);
  if (client_caps & cap::connect_attrs) {
    bytes attrs;
    byte_writer aw(attrs);
    for (const auto& [k, v] : req.attributes) {
      aw.lenenc_str(k);
      aw.lenenc_str(v);
    }
    w.lenenc_int(attrs.size());
    w.raw(byte_span(attrs));
  }
}

}  // namespace shardgate::protocol
