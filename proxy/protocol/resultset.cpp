#include "protocol/resultset.hpp"

namespace shardgate::protocol {

bool decode_column_count(byte_span payload, std::uint64_t& count) {
  byte_reader r(payload);
  count = r.lenenc_int();
  // MariaDB may append a metadata-follows byte (MARIADB_CLIENT_CACHE_METADATA); we do not
  // negotiate that, so the packet must be exactly the integer.
  return r.ok() && r.at_end() && count > 0;
}

void encode_column_count(bytes& out, std::uint64_t count) {
  byte_writer(out).lenenc_int(count);
}

bool decode_column_definition(byte_span payload, column_definition& out) {
  byte_reader r(payload);
  out.catalog = r.lenenc_str();
  out.schema = r.lenenc_str();
  out.table = r.lenenc_str();
  out.org_table = r.lenenc_str();
  out.name = r.lenenc_str();
  out.org_name = r.lenenc_str();
  std::uint64_t fixed_len = r.lenenc_int();
  if (!r.ok() || fixed_len < 0x0c) return false;
  out.collation = r.u16();
  out.column_length = r.u32();
  out.type = static_cast<column_type>(r.u8());
  out.flags = r.u16();
  out.decimals = r.u8();
  r.skip(static_cast<std::size_t>(fixed_len) - 10);  // filler (and any future fields)
  // COM_FIELD_LIST appends default values; tolerate trailing bytes.
  return r.ok();
}

void encode_column_definition(bytes& out, const column_definition& c) {
  byte_writer w(out);
  w.lenenc_str(c.catalog);
  w.lenenc_str(c.schema);
  w.lenenc_str(c.table);
  w.lenenc_str(c.org_table);
  w.lenenc_str(c.name);
  w.lenenc_str(c.org_name);
  w.lenenc_int(0x0c);
  w.u16(c.collation);
  w.u32(c.column_length);
  w.u8(static_cast<std::uint8_t>(c.type));
  w.u16(c.flags);
  w.u8(c.decimals);
  w.u16(0);
}

bool decode_text_row(byte_span payload, std::size_t columns, text_row& out) {
  byte_reader r(payload);
  out.clear();
  out.reserve(columns);
  for (std::size_t i = 0; i < columns; ++i) out.push_back(r.nullable_lenenc_str());
  return r.ok() && r.at_end();
}

void encode_text_row(bytes& out, const text_row& row) {
  byte_writer w(out);
  for (const auto& cell : row) {
    if (cell)
      w.lenenc_str(*cell);
    else
      w.u8(0xfb);
  }
}

}  // namespace shardgate::protocol
