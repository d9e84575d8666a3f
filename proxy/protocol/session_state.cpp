#include "protocol/session_state.hpp"

namespace shardgate::protocol {

bool parse_session_state(byte_span block, session_state_visitor& visitor) {
  byte_reader r(block);
  while (r.ok() && !r.at_end()) {
    auto type = static_cast<session_track_type>(r.u8());
    std::string_view entry = r.lenenc_str();
    if (!r.ok()) return false;
    byte_reader e(as_bytes(entry));
    switch (type) {
      case session_track_type::system_variables: {
        std::string_view name = e.lenenc_str();
        std::string_view value = e.lenenc_str();
        if (!e.ok()) return false;
        visitor.on_system_variable(name, value);
        break;
      }
      case session_track_type::schema: {
        std::string_view schema = e.lenenc_str();
        if (!e.ok()) return false;
        visitor.on_schema(schema);
        break;
      }
      default:
        break;
    }
  }
  return r.ok();
}

void append_session_variable(bytes& block, std::string_view name, std::string_view value) {
  bytes entry;
  byte_writer ew(entry);
  ew.lenenc_str(name);
  ew.lenenc_str(value);
  byte_writer w(block);
  w.u8(static_cast<std::uint8_t>(session_track_type::system_variables));
  w.lenenc_str(as_string_view(entry));
}

void append_session_schema(bytes& block, std::string_view schema) {
  bytes entry;
  byte_writer(entry).lenenc_str(schema);
  byte_writer w(block);
  w.u8(static_cast<std::uint8_t>(session_track_type::schema));
  w.lenenc_str(as_string_view(entry));
}

}  // namespace shardgate::protocol
