// Codec tests against real MariaDB 10.11 traffic.
//
// How the vectors below were captured (2026-11, Debian 12, MariaDB 10.11.19-MariaDB-0+deb12u1):
//   mariadb-install-db --no-defaults --datadir=/tmp/ut-db --auth-root-authentication-method=normal
//   mariadbd --no-defaults --user=root --datadir=/tmp/ut-db --port=23480 ... --skip-log-bin
//   CREATE USER app@'%' IDENTIFIED BY 'app'; CREATE DATABASE shop;
// A small Python TCP relay on 127.0.0.1:23481 forwarded to the server and logged every byte per
// direction; the logged streams were split into packets (3-byte length + seq) and the payloads
// (headers removed) pasted here. Clients: the `mariadb` CLI (libmariadb 3.3.20) and PyMySQL 1.0.2.
// SELECT PASSWORD('app') on that server returned *5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/constants.hpp"
#include "protocol/generic_response.hpp"
#include "protocol/handshake.hpp"
#include "protocol/native_password.hpp"
#include "protocol/resultset.hpp"
#include "protocol/session_state.hpp"

namespace shardgate::protocol {
namespace {

// mariadb CLI session 1 (-uapp -papp shop): server greeting (HandshakeV10), connection id 4
constexpr std::uint8_t kMariaDbGreeting[] = {
    0x0a, 0x35, 0x2e, 0x35, 0x2e, 0x35, 0x2d, 0x31, 0x30, 0x2e, 0x31, 0x31, 0x2e, 0x31, 0x39,
    0x2d, 0x4d, 0x61, 0x72, 0x69, 0x61, 0x44, 0x42, 0x2d, 0x30, 0x2b, 0x64, 0x65, 0x62, 0x31,
    0x32, 0x75, 0x31, 0x00, 0x04, 0x00, 0x00, 0x00, 0x53, 0x79, 0x2b, 0x63, 0x35, 0x7a, 0x2a,
    0x5d, 0x00, 0xfe, 0xf7, 0x08, 0x02, 0x00, 0xff, 0x81, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x1d, 0x00, 0x00, 0x00, 0x78, 0x66, 0x74, 0x34, 0x46, 0x42, 0x56, 0x6d, 0x3f, 0x33,
    0x23, 0x54, 0x00, 0x6d, 0x79, 0x73, 0x71, 0x6c, 0x5f, 0x6e, 0x61, 0x74, 0x69, 0x76, 0x65,
    0x5f, 0x70, 0x61, 0x73, 0x73, 0x77, 0x6f, 0x72, 0x64, 0x00,
};

// mariadb CLI session 1 (-uapp -papp shop): HandshakeResponse41 answering kMariaDbGreeting
constexpr std::uint8_t kCliHandshakeResponse[] = {
    0x8c, 0xa2, 0xbf, 0x00, 0x00, 0x00, 0x10, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1d, 0x00, 0x00, 0x00,
    0x61, 0x70, 0x70, 0x00, 0x14, 0xea, 0x47, 0x45, 0x18, 0xd5, 0x1d, 0xa1, 0xb6, 0x34, 0x54, 0x2c,
    0xaf, 0x2e, 0x0c, 0x15, 0x6f, 0x3a, 0xc8, 0xcb, 0x62, 0x73, 0x68, 0x6f, 0x70, 0x00, 0x6d, 0x79,
    0x73, 0x71, 0x6c, 0x5f, 0x6e, 0x61, 0x74, 0x69, 0x76, 0x65, 0x5f, 0x70, 0x61, 0x73, 0x73, 0x77,
    0x6f, 0x72, 0x64, 0x00, 0x7f, 0x03, 0x5f, 0x6f, 0x73, 0x05, 0x4c, 0x69, 0x6e, 0x75, 0x78, 0x0c,
    0x5f, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x0a, 0x6c, 0x69, 0x62,
    0x6d, 0x61, 0x72, 0x69, 0x61, 0x64, 0x62, 0x04, 0x5f, 0x70, 0x69, 0x64, 0x05, 0x31, 0x30, 0x33,
    0x35, 0x36, 0x0f, 0x5f, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x5f, 0x76, 0x65, 0x72, 0x73, 0x69,
    0x6f, 0x6e, 0x06, 0x33, 0x2e, 0x33, 0x2e, 0x32, 0x30, 0x09, 0x5f, 0x70, 0x6c, 0x61, 0x74, 0x66,
    0x6f, 0x72, 0x6d, 0x06, 0x78, 0x38, 0x36, 0x5f, 0x36, 0x34, 0x0c, 0x70, 0x72, 0x6f, 0x67, 0x72,
    0x61, 0x6d, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x05, 0x6d, 0x79, 0x73, 0x71, 0x6c, 0x0c, 0x5f, 0x73,
    0x65, 0x72, 0x76, 0x65, 0x72, 0x5f, 0x68, 0x6f, 0x73, 0x74, 0x09, 0x31, 0x32, 0x37, 0x2e, 0x30,
    0x2e, 0x30, 0x2e, 0x31,
};

// mariadb CLI session 1 (-uapp -papp shop): login OK, session state = schema 'shop'
constexpr std::uint8_t kCliLoginOkWithSchema[] = {
    0x00, 0x00, 0x00, 0x02, 0x40, 0x00, 0x00, 0x00, 0x07, 0x01, 0x05, 0x04, 0x73, 0x68, 0x6f, 0x70,
};

// mariadb CLI session 1 (-uapp -papp shop): OK answering COM_INIT_DB 'mysql' (USE mysql)
constexpr std::uint8_t kCliInitDbOk[] = {
    0x00, 0x00, 0x00, 0x02, 0x40, 0x00, 0x00, 0x00, 0x08,
    0x01, 0x06, 0x05, 0x6d, 0x79, 0x73, 0x71, 0x6c,
};

// mariadb CLI session 1 (-uapp -papp shop): OK answering SET NAMES latin1 (3 tracked variables)
constexpr std::uint8_t kCliSetNamesLatin1Ok[] = {
    0x00, 0x00, 0x00, 0x02, 0x40, 0x00, 0x00, 0x00, 0x5f, 0x00, 0x1c, 0x14, 0x63, 0x68, 0x61,
    0x72, 0x61, 0x63, 0x74, 0x65, 0x72, 0x5f, 0x73, 0x65, 0x74, 0x5f, 0x63, 0x6c, 0x69, 0x65,
    0x6e, 0x74, 0x06, 0x6c, 0x61, 0x74, 0x69, 0x6e, 0x31, 0x00, 0x20, 0x18, 0x63, 0x68, 0x61,
    0x72, 0x61, 0x63, 0x74, 0x65, 0x72, 0x5f, 0x73, 0x65, 0x74, 0x5f, 0x63, 0x6f, 0x6e, 0x6e,
    0x65, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x06, 0x6c, 0x61, 0x74, 0x69, 0x6e, 0x31, 0x00, 0x1d,
    0x15, 0x63, 0x68, 0x61, 0x72, 0x61, 0x63, 0x74, 0x65, 0x72, 0x5f, 0x73, 0x65, 0x74, 0x5f,
    0x72, 0x65, 0x73, 0x75, 0x6c, 0x74, 0x73, 0x06, 0x6c, 0x61, 0x74, 0x69, 0x6e, 0x31,
};

// mariadb CLI session 1 (-uapp -papp shop): column count 4 + MariaDB metadata-follows byte
constexpr std::uint8_t kCliColumnCountExtended[] = {
    0x04,
    0x01,
};

// mariadb CLI session 1 (-uapp -papp shop): ColumnDefinition with MariaDB extended metadata (column
// 'n')
constexpr std::uint8_t kCliColumnDefExtended[] = {
    0x03, 0x64, 0x65, 0x66, 0x00, 0x00, 0x00, 0x01, 0x6e, 0x00, 0x00, 0x0c,
    0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x80, 0x00, 0x00, 0x00, 0x00,
};

// mariadb CLI session 1 (-uapp -papp shop): text row of SELECT NULL, '', 'abc', 42
constexpr std::uint8_t kCliRowNullEmpty[] = {
    0xfb, 0x00, 0x03, 0x61, 0x62, 0x63, 0x02, 0x34, 0x32,
};

// mariadb CLI session 1 (-uapp -papp shop): ERR 1146 with SQLSTATE 42S02
constexpr std::uint8_t kCliErrNoSuchTable[] = {
    0xff, 0x7a, 0x04, 0x23, 0x34, 0x32, 0x53, 0x30, 0x32, 0x54, 0x61, 0x62, 0x6c,
    0x65, 0x20, 0x27, 0x6d, 0x79, 0x73, 0x71, 0x6c, 0x2e, 0x6e, 0x6f, 0x5f, 0x73,
    0x75, 0x63, 0x68, 0x5f, 0x74, 0x61, 0x62, 0x6c, 0x65, 0x27, 0x20, 0x64, 0x6f,
    0x65, 0x73, 0x6e, 0x27, 0x74, 0x20, 0x65, 0x78, 0x69, 0x73, 0x74,
};

// mariadb CLI session 3: OK of INSERT ... VALUES ('x'),('y') (info as lenenc string)
constexpr std::uint8_t kCliInsertOk[] = {
    0x00, 0x02, 0x01, 0x02, 0x00, 0x00, 0x00, 0x26, 0x52, 0x65, 0x63, 0x6f, 0x72, 0x64, 0x73, 0x3a,
    0x20, 0x32, 0x20, 0x20, 0x44, 0x75, 0x70, 0x6c, 0x69, 0x63, 0x61, 0x74, 0x65, 0x73, 0x3a, 0x20,
    0x30, 0x20, 0x20, 0x57, 0x61, 0x72, 0x6e, 0x69, 0x6e, 0x67, 0x73, 0x3a, 0x20, 0x30,
};

// mariadb CLI session 3: OK of SET time_zone='+01:00'
constexpr std::uint8_t kCliSetTimeZoneOk[] = {
    0x00, 0x00, 0x00, 0x02, 0x40, 0x00, 0x00, 0x00, 0x13, 0x00, 0x11, 0x09, 0x74, 0x69,
    0x6d, 0x65, 0x5f, 0x7a, 0x6f, 0x6e, 0x65, 0x06, 0x2b, 0x30, 0x31, 0x3a, 0x30, 0x30,
};

// mariadb CLI session 3: EOF after the column definition of SELECT 1/0
constexpr std::uint8_t kCliEof[] = {
    0xfe, 0x00, 0x00, 0x02, 0x00,
};

// mariadb CLI session 3: the one-cell row of SELECT 1/0 (NULL)
constexpr std::uint8_t kCliRowSingleNull[] = {
    0xfb,
};

// mariadb CLI session 3: EOF ending SELECT 1/0 (1 warning)
constexpr std::uint8_t kCliEofOneWarning[] = {
    0xfe, 0x01, 0x00, 0x02, 0x00,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): server greeting,
// connection id 7
constexpr std::uint8_t kPyGreeting[] = {
    0x0a, 0x35, 0x2e, 0x35, 0x2e, 0x35, 0x2d, 0x31, 0x30, 0x2e, 0x31, 0x31, 0x2e, 0x31, 0x39,
    0x2d, 0x4d, 0x61, 0x72, 0x69, 0x61, 0x44, 0x42, 0x2d, 0x30, 0x2b, 0x64, 0x65, 0x62, 0x31,
    0x32, 0x75, 0x31, 0x00, 0x07, 0x00, 0x00, 0x00, 0x31, 0x30, 0x3a, 0x72, 0x52, 0x22, 0x52,
    0x56, 0x00, 0xfe, 0xf7, 0x08, 0x02, 0x00, 0xff, 0x81, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x1d, 0x00, 0x00, 0x00, 0x3b, 0x60, 0x55, 0x67, 0x26, 0x26, 0x2a, 0x42, 0x4b, 0x34,
    0x62, 0x6e, 0x00, 0x6d, 0x79, 0x73, 0x71, 0x6c, 0x5f, 0x6e, 0x61, 0x74, 0x69, 0x76, 0x65,
    0x5f, 0x70, 0x61, 0x73, 0x73, 0x77, 0x6f, 0x72, 0x64, 0x00,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): HandshakeResponse41
constexpr std::uint8_t kPyHandshakeResponse[] = {
    0x0d, 0xa2, 0x3a, 0x00, 0xff, 0xff, 0xff, 0x00, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x61, 0x70, 0x70, 0x00, 0x14, 0x57, 0xdf, 0x88, 0x89, 0x22, 0x5f, 0x70, 0xc7, 0xa0, 0x24, 0x06,
    0x0e, 0x26, 0x59, 0xaa, 0x69, 0x46, 0x9d, 0x0b, 0x70, 0x73, 0x68, 0x6f, 0x70, 0x00, 0x6d, 0x79,
    0x73, 0x71, 0x6c, 0x5f, 0x6e, 0x61, 0x74, 0x69, 0x76, 0x65, 0x5f, 0x70, 0x61, 0x73, 0x73, 0x77,
    0x6f, 0x72, 0x64, 0x00, 0x4b, 0x0c, 0x5f, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x5f, 0x6e, 0x61,
    0x6d, 0x65, 0x07, 0x70, 0x79, 0x6d, 0x79, 0x73, 0x71, 0x6c, 0x04, 0x5f, 0x70, 0x69, 0x64, 0x05,
    0x31, 0x30, 0x38, 0x36, 0x31, 0x0f, 0x5f, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x5f, 0x76, 0x65,
    0x72, 0x73, 0x69, 0x6f, 0x6e, 0x05, 0x31, 0x2e, 0x30, 0x2e, 0x32, 0x0c, 0x70, 0x72, 0x6f, 0x67,
    0x72, 0x61, 0x6d, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x07, 0x63, 0x61, 0x70, 0x74, 0x65, 0x73, 0x74,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): login OK (no
// CLIENT_SESSION_TRACK)
constexpr std::uint8_t kPyLoginOk[] = {
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): OK of INSERT (affected 1,
// insert id 3, in transaction)
constexpr std::uint8_t kPyInsertOk[] = {
    0x00, 0x01, 0x03, 0x01, 0x00, 0x00, 0x00,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): column count of SELECT id,
// v, NULL, '' FROM t
constexpr std::uint8_t kPyColumnCount[] = {
    0x04,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): ColumnDefinition41 of
// shop.t.id (INT AUTO_INCREMENT PK)
constexpr std::uint8_t kPyColumnId[] = {
    0x03, 0x64, 0x65, 0x66, 0x04, 0x73, 0x68, 0x6f, 0x70, 0x01, 0x74, 0x01, 0x74, 0x02, 0x69, 0x64,
    0x02, 0x69, 0x64, 0x0c, 0x3f, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x03, 0x03, 0x42, 0x00, 0x00, 0x00,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): ColumnDefinition41 of
// shop.t.v (VARCHAR(10))
constexpr std::uint8_t kPyColumnV[] = {
    0x03, 0x64, 0x65, 0x66, 0x04, 0x73, 0x68, 0x6f, 0x70, 0x01, 0x74, 0x01, 0x74, 0x01, 0x76,
    0x01, 0x76, 0x0c, 0x2d, 0x00, 0x28, 0x00, 0x00, 0x00, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): ColumnDefinition41 of the
// NULL literal
constexpr std::uint8_t kPyColumnNull[] = {
    0x03, 0x64, 0x65, 0x66, 0x00, 0x00, 0x00, 0x04, 0x4e, 0x55, 0x4c, 0x4c, 0x00,
    0x0c, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x80, 0x00, 0x00, 0x00, 0x00,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): ColumnDefinition41 of the
// '' literal (empty name)
constexpr std::uint8_t kPyColumnEmpty[] = {
    0x03, 0x64, 0x65, 0x66, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x2d,
    0x00, 0x00, 0x00, 0x00, 0x00, 0xfd, 0x01, 0x00, 0x27, 0x00, 0x00,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): EOF after the column
// definitions
constexpr std::uint8_t kPyEof[] = {
    0xfe, 0x00, 0x00, 0x21, 0x00,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): text row (1, 'x', NULL,
// '')
constexpr std::uint8_t kPyRow1[] = {
    0x01, 0x31, 0x01, 0x78, 0xfb, 0x00,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): text row (2, 'y', NULL,
// '')
constexpr std::uint8_t kPyRow2[] = {
    0x01, 0x32, 0x01, 0x79, 0xfb, 0x00,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): OK of UPDATE; note the
// info is length-encoded (0x28) even without CLIENT_SESSION_TRACK
constexpr std::uint8_t kPyUpdateOk[] = {
    0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x28, 0x52, 0x6f, 0x77, 0x73, 0x20, 0x6d, 0x61, 0x74,
    0x63, 0x68, 0x65, 0x64, 0x3a, 0x20, 0x31, 0x20, 0x20, 0x43, 0x68, 0x61, 0x6e, 0x67, 0x65, 0x64,
    0x3a, 0x20, 0x31, 0x20, 0x20, 0x57, 0x61, 0x72, 0x6e, 0x69, 0x6e, 0x67, 0x73, 0x3a, 0x20, 0x30,
};

// PyMySQL 1.0.2 session (user app, database shop, program_name captest): ERR 1054 with SQLSTATE
// 42S22
constexpr std::uint8_t kPyErrUnknownColumn[] = {
    0xff, 0x1e, 0x04, 0x23, 0x34, 0x32, 0x53, 0x32, 0x32, 0x55, 0x6e, 0x6b, 0x6e, 0x6f,
    0x77, 0x6e, 0x20, 0x63, 0x6f, 0x6c, 0x75, 0x6d, 0x6e, 0x20, 0x27, 0x6e, 0x6f, 0x70,
    0x65, 0x27, 0x20, 0x69, 0x6e, 0x20, 0x27, 0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x27,
};

// raw Python socket sending a pre-4.1 HandshakeResponse (no CLIENT_PROTOCOL_41): ERR 1045 without
// SQLSTATE
constexpr std::uint8_t kPre41ErrAccessDenied[] = {
    0xff, 0x15, 0x04, 0x41, 0x63, 0x63, 0x65, 0x73, 0x73, 0x20, 0x64, 0x65, 0x6e, 0x69,
    0x65, 0x64, 0x20, 0x66, 0x6f, 0x72, 0x20, 0x75, 0x73, 0x65, 0x72, 0x20, 0x27, 0x6e,
    0x6f, 0x62, 0x6f, 0x64, 0x79, 0x27, 0x40, 0x27, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x68,
    0x6f, 0x73, 0x74, 0x27, 0x20, 0x28, 0x75, 0x73, 0x69, 0x6e, 0x67, 0x20, 0x70, 0x61,
    0x73, 0x73, 0x77, 0x6f, 0x72, 0x64, 0x3a, 0x20, 0x4e, 0x4f, 0x29,
};

// mariadb CLI --default-auth=client_ed25519: server greeting
constexpr std::uint8_t kAuthSwitchGreeting[] = {
    0x0a, 0x35, 0x2e, 0x35, 0x2e, 0x35, 0x2d, 0x31, 0x30, 0x2e, 0x31, 0x31, 0x2e, 0x31, 0x39,
    0x2d, 0x4d, 0x61, 0x72, 0x69, 0x61, 0x44, 0x42, 0x2d, 0x30, 0x2b, 0x64, 0x65, 0x62, 0x31,
    0x32, 0x75, 0x31, 0x00, 0x17, 0x00, 0x00, 0x00, 0x54, 0x33, 0x41, 0x2b, 0x52, 0x3c, 0x73,
    0x51, 0x00, 0xfe, 0xf7, 0x08, 0x02, 0x00, 0xff, 0x81, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x1d, 0x00, 0x00, 0x00, 0x7b, 0x39, 0x48, 0x3e, 0x3e, 0x5d, 0x3a, 0x46, 0x32, 0x67,
    0x31, 0x5d, 0x00, 0x6d, 0x79, 0x73, 0x71, 0x6c, 0x5f, 0x6e, 0x61, 0x74, 0x69, 0x76, 0x65,
    0x5f, 0x70, 0x61, 0x73, 0x73, 0x77, 0x6f, 0x72, 0x64, 0x00,
};

// mariadb CLI --default-auth=client_ed25519: AuthSwitchRequest to mysql_native_password
constexpr std::uint8_t kAuthSwitchRequest[] = {
    0xfe, 0x6d, 0x79, 0x73, 0x71, 0x6c, 0x5f, 0x6e, 0x61, 0x74, 0x69, 0x76, 0x65, 0x5f, 0x70,
    0x61, 0x73, 0x73, 0x77, 0x6f, 0x72, 0x64, 0x00, 0x54, 0x33, 0x41, 0x2b, 0x52, 0x3c, 0x73,
    0x51, 0x7b, 0x39, 0x48, 0x3e, 0x3e, 0x5d, 0x3a, 0x46, 0x32, 0x67, 0x31, 0x5d, 0x00,
};

// mariadb CLI --default-auth=client_ed25519: auth switch response for password 'app'
constexpr std::uint8_t kAuthSwitchResponse[] = {
    0xc1, 0xf3, 0xe6, 0xe8, 0xb7, 0x70, 0x37, 0xd6, 0x39, 0x31,
    0xab, 0x95, 0x9d, 0x6c, 0x3a, 0xb6, 0xbe, 0xf9, 0x8f, 0x2c,
};

// Capabilities the two clients sent (HandshakeResponse41 bytes 0-3).
constexpr std::uint32_t kCliCaps = 0x00bfa28c;  // has CLIENT_SESSION_TRACK, no DEPRECATE_EOF
constexpr std::uint32_t kPyCaps = 0x003aa20d;   // no CLIENT_SESSION_TRACK
constexpr std::uint32_t kMariaDbServerCaps = 0x81fff7fe;

constexpr std::string_view kPassword = "app";
constexpr std::string_view kPasswordHash = "*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3";

template <std::size_t N>
byte_span span(const std::uint8_t (&a)[N]) {
  return byte_span(a, N);
}
template <std::size_t N>
bytes vec(const std::uint8_t (&a)[N]) {
  return bytes(a, a + N);
}
std::string str(byte_span s) {
  return std::string(as_string_view(s));
}
template <std::size_t N>
std::string str(const std::uint8_t (&a)[N]) {
  return str(span(a));
}

// True if `v` is empty or lies inside `buf` (decoders return views into their input).
bool inside(std::string_view v, const bytes& buf) {
  if (v.empty()) return true;
  const auto* b = reinterpret_cast<const char*>(buf.data());
  return v.data() >= b && v.data() + v.size() <= b + buf.size();
}

// The scramble of kMariaDbGreeting: 8 bytes of part 1 + 12 bytes of part 2.
std::string cli_scramble() {
  return str(span(kMariaDbGreeting).subspan(38, 8)) + str(span(kMariaDbGreeting).subspan(65, 12));
}

// ---------------------------------------------------------------------------------------------
// HandshakeV10

TEST(captured_handshake, mariadb_greeting_decodes) {
  handshake_v10 hs;
  ASSERT_TRUE(decode_handshake_v10(span(kMariaDbGreeting), hs));
  EXPECT_EQ(hs.server_version, "5.5.5-10.11.19-MariaDB-0+deb12u1");
  EXPECT_EQ(hs.connection_id, 4u);
  ASSERT_EQ(hs.auth_plugin_data.size(), scramble_size);
  EXPECT_EQ(hs.auth_plugin_data, cli_scramble());
  EXPECT_EQ(hs.auth_plugin_data, "Sy+c5z*]xft4FBVm?3#T");
  EXPECT_EQ(hs.capabilities, kMariaDbServerCaps);
  EXPECT_TRUE(hs.capabilities & cap::protocol_41);
  EXPECT_TRUE(hs.capabilities & cap::secure_connection);
  EXPECT_TRUE(hs.capabilities & cap::plugin_auth);
  EXPECT_TRUE(hs.capabilities & cap::plugin_auth_lenenc_client_data);
  EXPECT_TRUE(hs.capabilities & cap::connect_attrs);
  EXPECT_TRUE(hs.capabilities & cap::session_track);
  EXPECT_TRUE(hs.capabilities & cap::deprecate_eof);
  EXPECT_FALSE(hs.capabilities & cap::ssl);  // the throwaway server has no TLS configured
  // MariaDB clears CLIENT_MYSQL (bit 0) and sends its extended capabilities in the filler.
  EXPECT_FALSE(hs.capabilities & cap::long_password);
  EXPECT_EQ(hs.mariadb_capabilities, 0x1du);
  EXPECT_EQ(hs.collation, 8);  // latin1_swedish_ci, the server default
  EXPECT_EQ(hs.status, status::autocommit);
  EXPECT_EQ(hs.auth_plugin_name, native_password_plugin);
}

TEST(captured_handshake, greetings_differ_only_in_connection_id_and_scramble) {
  handshake_v10 a, b;
  ASSERT_TRUE(decode_handshake_v10(span(kMariaDbGreeting), a));
  ASSERT_TRUE(decode_handshake_v10(span(kPyGreeting), b));
  EXPECT_EQ(b.connection_id, 7u);
  EXPECT_EQ(b.auth_plugin_data.size(), scramble_size);
  EXPECT_NE(a.auth_plugin_data, b.auth_plugin_data);
  EXPECT_EQ(a.server_version, b.server_version);
  EXPECT_EQ(a.capabilities, b.capabilities);
}

TEST(captured_handshake, mariadb_greeting_reencodes_byte_for_byte) {
  for (byte_span captured :
       {span(kMariaDbGreeting), span(kPyGreeting), span(kAuthSwitchGreeting)}) {
    handshake_v10 hs;
    ASSERT_TRUE(decode_handshake_v10(captured, hs));
    bytes out;
    encode_handshake_v10(out, hs);
    EXPECT_EQ(out, bytes(captured.begin(), captured.end()));
  }
}

// ---------------------------------------------------------------------------------------------
// HandshakeResponse41

TEST(captured_handshake_response, mariadb_cli) {
  handshake_response r;
  ASSERT_FALSE(is_ssl_request(span(kCliHandshakeResponse)));
  ASSERT_TRUE(decode_handshake_response(span(kCliHandshakeResponse), r));
  EXPECT_EQ(r.capabilities, kCliCaps);
  EXPECT_TRUE(r.capabilities & cap::session_track);
  EXPECT_FALSE(r.capabilities & cap::deprecate_eof);
  EXPECT_TRUE(r.capabilities & cap::plugin_auth_lenenc_client_data);
  EXPECT_EQ(r.max_packet_size, 0x100000u);  // 1 MiB
  EXPECT_EQ(r.collation, 33);               // utf8mb3_general_ci
  EXPECT_EQ(r.username, "app");
  EXPECT_EQ(r.auth_response.size(), 20u);
  EXPECT_EQ(r.database, "shop");
  EXPECT_EQ(r.auth_plugin_name, native_password_plugin);
  const std::vector<std::pair<std::string, std::string>> attrs = {{"_os", "Linux"},
                                                                  {"_client_name", "libmariadb"},
                                                                  {"_pid", "10356"},
                                                                  {"_client_version", "3.3.20"},
                                                                  {"_platform", "x86_64"},
                                                                  {"program_name", "mysql"},
                                                                  {"_server_host", "127.0.0.1"}};
  EXPECT_EQ(r.attributes, attrs);
}

TEST(captured_handshake_response, mariadb_cli_reencodes_except_mariadb_capability_filler) {
  handshake_response r;
  ASSERT_TRUE(decode_handshake_response(span(kCliHandshakeResponse), r));
  bytes out;
  encode_handshake_response(out, r);
  // Bytes 28-31 of the filler carry MariaDB's extended client capabilities (0x1d); the
  // struct has no field for them, so the encoder writes zeros there.
  bytes expected = vec(kCliHandshakeResponse);
  EXPECT_EQ(expected[28], 0x1d);
  expected[28] = 0;
  EXPECT_EQ(out, expected);
}

TEST(captured_handshake_response, pymysql) {
  handshake_response r;
  ASSERT_TRUE(decode_handshake_response(span(kPyHandshakeResponse), r));
  EXPECT_EQ(r.capabilities, kPyCaps);
  EXPECT_FALSE(r.capabilities & cap::session_track);
  EXPECT_FALSE(r.capabilities & cap::deprecate_eof);
  EXPECT_TRUE(r.capabilities & cap::connect_with_db);
  EXPECT_TRUE(r.capabilities & cap::connect_attrs);
  EXPECT_EQ(r.max_packet_size, 0xffffffu);
  EXPECT_EQ(r.collation, 45);  // utf8mb4_general_ci
  EXPECT_EQ(r.username, "app");
  EXPECT_EQ(r.auth_response.size(), 20u);
  EXPECT_EQ(r.database, "shop");
  EXPECT_EQ(r.auth_plugin_name, native_password_plugin);
  const std::vector<std::pair<std::string, std::string>> attrs = {{"_client_name", "pymysql"},
                                                                  {"_pid", "10861"},
                                                                  {"_client_version", "1.0.2"},
                                                                  {"program_name", "captest"}};
  EXPECT_EQ(r.attributes, attrs);
  bytes out;
  encode_handshake_response(out, r);
  EXPECT_EQ(out, vec(kPyHandshakeResponse));
}

TEST(captured_handshake_response, pre_41_response_is_rejected) {
  // What the raw-socket client sent to provoke kPre41ErrAccessDenied.
  const bytes pre41 = {0x05, 0x20, 0xff, 0xff, 0xff, 'n', 'o', 'b', 'o', 'd', 'y', 0x00, 0x00};
  handshake_response r;
  EXPECT_FALSE(decode_handshake_response(pre41, r));
}

TEST(captured_handshake_response, ssl_request_detection) {
  // An SSLRequest is the first 32 bytes of a HandshakeResponse41 with CLIENT_SSL set.
  bytes ssl(kCliHandshakeResponse, kCliHandshakeResponse + 32);
  EXPECT_FALSE(is_ssl_request(ssl));  // the captured client did not ask for TLS
  ssl[1] |= static_cast<std::uint8_t>(cap::ssl >> 8);
  EXPECT_TRUE(is_ssl_request(ssl));
  bytes longer = ssl;
  longer.push_back(0);
  EXPECT_FALSE(is_ssl_request(longer));
  EXPECT_FALSE(is_ssl_request(byte_span(ssl).first(31)));
  EXPECT_FALSE(is_ssl_request({}));
}

// ---------------------------------------------------------------------------------------------
// AuthSwitchRequest

TEST(captured_auth_switch, request_decodes_and_reencodes) {
  auth_switch_request req;
  ASSERT_TRUE(decode_auth_switch_request(span(kAuthSwitchRequest), req));
  EXPECT_EQ(req.plugin_name, native_password_plugin);
  ASSERT_EQ(req.plugin_data.size(), scramble_size);
  // MariaDB reuses the greeting's scramble for the switch.
  handshake_v10 hs;
  ASSERT_TRUE(decode_handshake_v10(span(kAuthSwitchGreeting), hs));
  EXPECT_EQ(req.plugin_data, hs.auth_plugin_data);
  bytes out;
  encode_auth_switch_request(out, req);
  EXPECT_EQ(out, vec(kAuthSwitchRequest));
}

TEST(captured_auth_switch, greeting_is_not_an_auth_switch) {
  auth_switch_request req;
  EXPECT_FALSE(decode_auth_switch_request(span(kMariaDbGreeting), req));
  EXPECT_FALSE(decode_auth_switch_request({}, req));
}

// ---------------------------------------------------------------------------------------------
// mysql_native_password

TEST(captured_native_password, hash_of_app_matches_mariadb_password_function) {
  EXPECT_EQ(format_native_password_hash(native_password_stage2(kPassword)), kPasswordHash);
  auto parsed = parse_native_password_hash(kPasswordHash);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, native_password_stage2(kPassword));
  std::string lower(kPasswordHash);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(parse_native_password_hash(lower), parsed);
}

TEST(captured_native_password, response_to_greeting_scramble) {
  handshake_response r;
  ASSERT_TRUE(decode_handshake_response(span(kCliHandshakeResponse), r));
  EXPECT_EQ(native_password_response(kPassword, cli_scramble()), r.auth_response);
  // A scramble with its trailing NUL still counts only its first 20 bytes.
  EXPECT_EQ(native_password_response(kPassword, cli_scramble() + std::string(1, '\0')),
            r.auth_response);
}

TEST(captured_native_password, response_to_auth_switch_scramble) {
  auth_switch_request req;
  ASSERT_TRUE(decode_auth_switch_request(span(kAuthSwitchRequest), req));
  EXPECT_EQ(native_password_response(kPassword, req.plugin_data), str(kAuthSwitchResponse));
}

TEST(captured_native_password, verify_accepts_the_captured_response_and_rejects_others) {
  const auto stage2 = parse_native_password_hash(kPasswordHash);
  ASSERT_TRUE(stage2);
  handshake_response r;
  ASSERT_TRUE(decode_handshake_response(span(kCliHandshakeResponse), r));
  const std::string scramble = cli_scramble();
  EXPECT_TRUE(verify_native_password(r.auth_response, scramble, stage2));
  EXPECT_TRUE(verify_native_password(str(kAuthSwitchResponse),
                                     str(span(kAuthSwitchRequest).subspan(23, 20)), stage2));

  std::string flipped = r.auth_response;
  flipped[7] = static_cast<char>(flipped[7] ^ 0x01);
  EXPECT_FALSE(verify_native_password(flipped, scramble, stage2));
  // Right response, other connection's scramble.
  EXPECT_FALSE(verify_native_password(str(kAuthSwitchResponse), scramble, stage2));
  // Wrong password.
  EXPECT_FALSE(verify_native_password(native_password_response("apP", scramble), scramble, stage2));
  EXPECT_FALSE(verify_native_password(r.auth_response, scramble, native_password_stage2("other")));
  EXPECT_FALSE(verify_native_password(r.auth_response.substr(0, 19), scramble, stage2));
  EXPECT_FALSE(verify_native_password(r.auth_response + "x", scramble, stage2));
  EXPECT_FALSE(verify_native_password("", scramble, stage2));
}

TEST(captured_native_password, empty_password) {
  EXPECT_EQ(native_password_response("", cli_scramble()), "");
  EXPECT_TRUE(verify_native_password("", cli_scramble(), std::nullopt));
  EXPECT_FALSE(verify_native_password(str(kAuthSwitchResponse), cli_scramble(), std::nullopt));
}

TEST(captured_native_password, malformed_hashes_are_rejected) {
  const std::string good(kPasswordHash);
  for (const std::string& bad :
       {std::string(), std::string("*"), good.substr(1), good.substr(0, 40), good + "0",
        "#" + good.substr(1), good.substr(0, 40) + "G", good.substr(0, 10) + " " + good.substr(11),
        std::string("*") + std::string(40, 'z')}) {
    EXPECT_FALSE(parse_native_password_hash(bad)) << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// OK packets

struct ok_case {
  const char* name;
  byte_span payload;
  std::uint32_t caps;
  std::uint64_t affected_rows;
  std::uint64_t last_insert_id;
  std::uint16_t status;
  std::uint16_t warnings;
  std::string_view info;
  std::string_view session_state;
};

const std::vector<ok_case>& ok_cases() {
  static const std::vector<ok_case> cases = {
      {"cli_login_with_schema", span(kCliLoginOkWithSchema), kCliCaps, 0, 0,
       status::autocommit | status::session_state_changed, 0, "",
       std::string_view("\x01\x05\x04shop", 7)},
      {"cli_init_db", span(kCliInitDbOk), kCliCaps, 0, 0,
       status::autocommit | status::session_state_changed, 0, "",
       std::string_view("\x01\x06\x05mysql", 8)},
      {"cli_set_time_zone", span(kCliSetTimeZoneOk), kCliCaps, 0, 0,
       status::autocommit | status::session_state_changed, 0, "",
       std::string_view("\x00\x11\x09time_zone\x06+01:00", 19)},
      {"cli_insert", span(kCliInsertOk), kCliCaps, 2, 1, status::autocommit, 0,
       "Records: 2  Duplicates: 0  Warnings: 0", ""},
      {"py_login", span(kPyLoginOk), kPyCaps, 0, 0, status::autocommit, 0, "", ""},
      {"py_insert_in_transaction", span(kPyInsertOk), kPyCaps, 1, 3, status::in_trans, 0, "", ""},
  };
  return cases;
}

TEST(captured_ok, decodes) {
  for (const auto& c : ok_cases()) {
    SCOPED_TRACE(c.name);
    ok_packet ok;
    ASSERT_TRUE(decode_ok(c.payload, c.caps, ok));
    EXPECT_EQ(ok.affected_rows, c.affected_rows);
    EXPECT_EQ(ok.last_insert_id, c.last_insert_id);
    EXPECT_EQ(ok.status, c.status);
    EXPECT_EQ(ok.warnings, c.warnings);
    EXPECT_EQ(ok.info, c.info);
    EXPECT_EQ(ok.session_state, c.session_state);
  }
}

TEST(captured_ok, reencodes_byte_for_byte) {
  for (const auto& c : ok_cases()) {
    SCOPED_TRACE(c.name);
    ok_packet ok;
    ASSERT_TRUE(decode_ok(c.payload, c.caps, ok));
    bytes out;
    encode_ok(out, ok, c.caps);
    EXPECT_EQ(out, bytes(c.payload.begin(), c.payload.end()));
  }
}

TEST(captured_ok, set_names_session_state_block) {
  ok_packet ok;
  ASSERT_TRUE(decode_ok(span(kCliSetNamesLatin1Ok), kCliCaps, ok));
  EXPECT_EQ(ok.status, status::autocommit | status::session_state_changed);
  EXPECT_EQ(ok.info, "");
  EXPECT_EQ(ok.session_state.size(), 95u);
  // The block is exactly what append_session_variable produces for the three variables.
  bytes block;
  append_session_variable(block, "character_set_client", "latin1");
  append_session_variable(block, "character_set_connection", "latin1");
  append_session_variable(block, "character_set_results", "latin1");
  EXPECT_EQ(ok.session_state, as_string_view(block));
  bytes out;
  encode_ok(out, ok, kCliCaps);
  EXPECT_EQ(out, vec(kCliSetNamesLatin1Ok));
}

TEST(captured_ok, session_state_dropped_for_client_without_tracking) {
  ok_packet ok;
  ASSERT_TRUE(decode_ok(span(kCliLoginOkWithSchema), kCliCaps, ok));
  bytes out;
  encode_ok(out, ok, kPyCaps);
  // What MariaDB sent PyMySQL after its login: status without SESSION_STATE_CHANGED, no block.
  EXPECT_EQ(out, vec(kPyLoginOk));
}

// Regression: MariaDB (like MySQL) writes the OK packet's info as a length-encoded string even
// when CLIENT_SESSION_TRACK is off (kPyUpdateOk: 0x28 = 40 = the length of the text), and
// libmariadb/libmysqlclient read it that way. decode_ok used to take the rest of the packet,
// leaving the length byte inside `info` (fixed in 481d993).
TEST(captured_ok, info_without_session_track_is_length_encoded_on_decode) {
  ok_packet ok;
  ASSERT_TRUE(decode_ok(span(kPyUpdateOk), kPyCaps, ok));
  EXPECT_EQ(ok.affected_rows, 1u);
  EXPECT_EQ(ok.status, status::in_trans);
  EXPECT_EQ(ok.info, "Rows matched: 1  Changed: 1  Warnings: 0");
}

// Regression, encode side: translating a tracked OK for a client without CLIENT_SESSION_TRACK
// must produce what MariaDB itself sends such a client - here identical bytes, as
// kPyUpdateOk shows. encode_ok used to write the info raw (fixed in 481d993).
TEST(captured_ok, info_without_session_track_is_length_encoded_on_encode) {
  ok_packet ok;
  ASSERT_TRUE(decode_ok(span(kCliInsertOk), kCliCaps, ok));
  bytes out;
  encode_ok(out, ok, kPyCaps);
  EXPECT_EQ(out, vec(kCliInsertOk));
}

// ---------------------------------------------------------------------------------------------
// ERR and EOF

struct err_case {
  const char* name;
  byte_span payload;
  std::uint32_t caps;
  std::uint16_t code;
  std::string_view sql_state;
  std::string_view message;
};

TEST(captured_err, decodes_and_reencodes) {
  const std::vector<err_case> cases = {
      {"cli_no_such_table", span(kCliErrNoSuchTable), kCliCaps, 1146, "42S02",
       "Table 'mysql.no_such_table' doesn't exist"},
      {"py_unknown_column", span(kPyErrUnknownColumn), kPyCaps, 1054, "42S22",
       "Unknown column 'nope' in 'SELECT'"},
      {"pre41_access_denied", span(kPre41ErrAccessDenied), 0, 1045, "",
       "Access denied for user 'nobody'@'localhost' (using password: NO)"},
      // The same packet read on a 4.1 connection: no '#', so no SQLSTATE either.
      {"pre41_access_denied_on_41_connection", span(kPre41ErrAccessDenied), kPyCaps, 1045, "",
       "Access denied for user 'nobody'@'localhost' (using password: NO)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    err_packet err;
    ASSERT_TRUE(decode_err(c.payload, c.caps, err));
    EXPECT_EQ(err.code, c.code);
    EXPECT_EQ(err.sql_state, c.sql_state);
    EXPECT_EQ(err.message, c.message);
    bytes out;
    encode_err(out, err, c.caps);
    EXPECT_EQ(out, bytes(c.payload.begin(), c.payload.end()));
  }
}

TEST(captured_err, sql_state_ignored_without_protocol_41) {
  err_packet err;
  ASSERT_TRUE(decode_err(span(kCliErrNoSuchTable), 0, err));
  EXPECT_EQ(err.code, 1146);
  EXPECT_EQ(err.sql_state, "");
  EXPECT_EQ(err.message, "#42S02Table 'mysql.no_such_table' doesn't exist");
}

TEST(captured_err, other_packets_are_not_errors) {
  err_packet err;
  EXPECT_FALSE(decode_err(span(kPyLoginOk), kPyCaps, err));
  EXPECT_FALSE(decode_err(span(kPyEof), kPyCaps, err));
  EXPECT_FALSE(decode_err({}, kPyCaps, err));
}

TEST(captured_eof, decodes_and_reencodes) {
  struct eof_case {
    const char* name;
    byte_span payload;
    std::uint16_t warnings;
    std::uint16_t status;
  };
  const std::vector<eof_case> cases = {
      {"cli", span(kCliEof), 0, status::autocommit},
      {"cli_one_warning", span(kCliEofOneWarning), 1, status::autocommit},
      {"py_in_transaction", span(kPyEof), 0, status::in_trans | status::no_index_used},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    eof_packet eof;
    ASSERT_TRUE(decode_eof(c.payload, eof));
    EXPECT_EQ(eof.warnings, c.warnings);
    EXPECT_EQ(eof.status, c.status);
    EXPECT_TRUE(is_terminator(c.payload[0], c.payload.size()));
    bytes out;
    encode_eof(out, eof);
    EXPECT_EQ(out, bytes(c.payload.begin(), c.payload.end()));
  }
}

TEST(captured_eof, pre_41_eof_and_non_eofs) {
  eof_packet eof{7, 7};
  const bytes pre41 = {0xfe};
  ASSERT_TRUE(decode_eof(pre41, eof));
  EXPECT_EQ(eof.warnings, 0);
  EXPECT_EQ(eof.status, 0);
  EXPECT_FALSE(decode_eof(span(kPyLoginOk), eof));
  EXPECT_FALSE(decode_eof(span(kAuthSwitchRequest), eof));  // 0xfe but too long
  EXPECT_FALSE(decode_eof({}, eof));
  // A row whose first cell is >= 16 MiB starts with 0xfe too; only the size tells.
  EXPECT_FALSE(is_terminator(0xfe, 0xffffff));
  EXPECT_TRUE(is_terminator(0xfe, 0xfffffe));
  EXPECT_FALSE(is_terminator(0x00, 7));
}

// ---------------------------------------------------------------------------------------------
// Resultsets

TEST(captured_resultset, column_count) {
  std::uint64_t n = 0;
  ASSERT_TRUE(decode_column_count(span(kPyColumnCount), n));
  EXPECT_EQ(n, 4u);
  bytes out;
  encode_column_count(out, n);
  EXPECT_EQ(out, vec(kPyColumnCount));
  // With MARIADB_CLIENT_CACHE_METADATA negotiated (the CLI did), MariaDB appends a
  // metadata-follows byte; ShardGate does not negotiate it and rejects such packets.
  EXPECT_FALSE(decode_column_count(span(kCliColumnCountExtended), n));
  const bytes zero = {0x00};
  EXPECT_FALSE(decode_column_count(zero, n));
  EXPECT_FALSE(decode_column_count({}, n));
}

struct column_case {
  const char* name;
  byte_span payload;
  std::string_view schema, table, org_table, col_name, org_name;
  std::uint16_t collation;
  std::uint32_t length;
  column_type type;
  std::uint16_t flags;
  std::uint8_t decimals;
};

TEST(captured_resultset, column_definitions_decode_and_reencode) {
  const std::vector<column_case> cases = {
      {"id", span(kPyColumnId), "shop", "t", "t", "id", "id", 63, 11, column_type::long_, 0x4203,
       0},
      {"v", span(kPyColumnV), "shop", "t", "t", "v", "v", 45, 40, column_type::var_string, 0, 0},
      {"null_literal", span(kPyColumnNull), "", "", "", "NULL", "", 63, 0, column_type::null,
       0x0080, 0},
      {"empty_literal", span(kPyColumnEmpty), "", "", "", "", "", 45, 0, column_type::var_string,
       0x0001, 39},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    column_definition col;
    ASSERT_TRUE(decode_column_definition(c.payload, col));
    EXPECT_EQ(col.catalog, "def");
    EXPECT_EQ(col.schema, c.schema);
    EXPECT_EQ(col.table, c.table);
    EXPECT_EQ(col.org_table, c.org_table);
    EXPECT_EQ(col.name, c.col_name);
    EXPECT_EQ(col.org_name, c.org_name);
    EXPECT_EQ(col.collation, c.collation);
    EXPECT_EQ(col.column_length, c.length);
    EXPECT_EQ(col.type, c.type);
    EXPECT_EQ(col.flags, c.flags);
    EXPECT_EQ(col.decimals, c.decimals);
    bytes out;
    encode_column_definition(out, col);
    EXPECT_EQ(out, bytes(c.payload.begin(), c.payload.end()));
  }
}

TEST(captured_resultset, extended_metadata_column_definition_is_rejected) {
  // MARIADB_CLIENT_EXTENDED_METADATA (negotiated by the CLI) inserts a length-encoded
  // metadata block before the fixed fields; the decoder must refuse it, not misparse it.
  column_definition col;
  EXPECT_FALSE(decode_column_definition(span(kCliColumnDefExtended), col));
}

TEST(captured_resultset, text_rows_with_nulls_and_empty_strings) {
  struct row_case {
    const char* name;
    byte_span payload;
    text_row expected;
  };
  using sv = std::string_view;
  const std::vector<row_case> cases = {
      {"py_row1", span(kPyRow1), {sv("1"), sv("x"), std::nullopt, sv("")}},
      {"py_row2", span(kPyRow2), {sv("2"), sv("y"), std::nullopt, sv("")}},
      {"cli_null_empty_abc_42",
       span(kCliRowNullEmpty),
       {std::nullopt, sv(""), sv("abc"), sv("42")}},
      {"cli_single_null", span(kCliRowSingleNull), {std::nullopt}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    text_row row;
    ASSERT_TRUE(decode_text_row(c.payload, c.expected.size(), row));
    EXPECT_EQ(row, c.expected);
    bytes out;
    encode_text_row(out, row);
    EXPECT_EQ(out, bytes(c.payload.begin(), c.payload.end()));
    EXPECT_FALSE(decode_text_row(c.payload, c.expected.size() + 1, row));
    if (c.expected.size() > 1) {
      EXPECT_FALSE(decode_text_row(c.payload, c.expected.size() - 1, row));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Session state

struct recording_visitor : session_state_visitor {
  std::vector<std::pair<std::string, std::string>> vars;
  std::vector<std::string> schemas;
  void on_system_variable(std::string_view name, std::string_view value) override {
    vars.emplace_back(name, value);
  }
  void on_schema(std::string_view schema) override { schemas.emplace_back(schema); }
};

TEST(captured_session_state, blocks_from_use_set_names_and_time_zone) {
  struct state_case {
    const char* name;
    byte_span ok;
    std::vector<std::pair<std::string, std::string>> vars;
    std::vector<std::string> schemas;
  };
  const std::vector<state_case> cases = {
      {"login_db", span(kCliLoginOkWithSchema), {}, {"shop"}},
      {"use_mysql", span(kCliInitDbOk), {}, {"mysql"}},
      {"set_names_latin1",
       span(kCliSetNamesLatin1Ok),
       {{"character_set_client", "latin1"},
        {"character_set_connection", "latin1"},
        {"character_set_results", "latin1"}},
       {}},
      {"set_time_zone", span(kCliSetTimeZoneOk), {{"time_zone", "+01:00"}}, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ok_packet ok;
    ASSERT_TRUE(decode_ok(c.ok, kCliCaps, ok));
    recording_visitor v;
    ASSERT_TRUE(parse_session_state(as_bytes(ok.session_state), v));
    EXPECT_EQ(v.vars, c.vars);
    EXPECT_EQ(v.schemas, c.schemas);
  }
}

TEST(captured_session_state, schema_block_encodes_like_mariadb) {
  bytes block;
  append_session_schema(block, "shop");
  ok_packet ok;
  ASSERT_TRUE(decode_ok(span(kCliLoginOkWithSchema), kCliCaps, ok));
  EXPECT_EQ(as_string_view(block), ok.session_state);
}

TEST(captured_session_state, unknown_entry_types_are_skipped) {
  bytes block = {static_cast<std::uint8_t>(session_track_type::state_change), 0x02, 0x01, '1'};
  append_session_schema(block, "shop");
  block.insert(block.end(), {static_cast<std::uint8_t>(session_track_type::gtids), 0x00});
  append_session_variable(block, "autocommit", "OFF");
  recording_visitor v;
  ASSERT_TRUE(parse_session_state(block, v));
  EXPECT_EQ(v.schemas, std::vector<std::string>{"shop"});
  ASSERT_EQ(v.vars.size(), 1u);
  EXPECT_EQ(v.vars[0].first, "autocommit");
  EXPECT_EQ(v.vars[0].second, "OFF");
}

TEST(captured_session_state, malformed_entries_fail) {
  recording_visitor v;
  // A variable entry whose inner strings overrun the entry.
  const bytes bad_var = {0x00, 0x03, 0x05, 'a', 'b'};
  EXPECT_FALSE(parse_session_state(bad_var, v));
  const bytes bad_schema = {0x01, 0x01, 0x09};
  EXPECT_FALSE(parse_session_state(bad_schema, v));
  const bytes bad_len = {0x00, 0xff};
  EXPECT_FALSE(parse_session_state(bad_len, v));
  EXPECT_TRUE(parse_session_state({}, v));
  EXPECT_TRUE(v.vars.empty());
  EXPECT_TRUE(v.schemas.empty());
}

// ---------------------------------------------------------------------------------------------
// Truncation: every decoder, every captured packet, cut after each byte. The cut copy lives in
// its own exactly-sized heap buffer so that ASan builds catch any read past the end.
// `accepted` lists the prefix lengths a decoder may legitimately accept (field boundaries
// after which all remaining fields are optional); `accept_from` starts a range of accepted
// lengths (a trailing rest-of-packet string).

using decoder = std::function<bool(const bytes&)>;

struct truncation_case {
  const char* name;
  byte_span full;
  decoder decode;
  std::vector<std::size_t> accepted;
  std::size_t accept_from = SIZE_MAX;
};

decoder ok_decoder(std::uint32_t caps) {
  return [caps](const bytes& b) {
    ok_packet ok;
    bool r = decode_ok(b, caps, ok);
    if (r) {
      EXPECT_TRUE(inside(ok.info, b) && inside(ok.session_state, b));
    }
    return r;
  };
}
decoder err_decoder(std::uint32_t caps) {
  return [caps](const bytes& b) {
    err_packet err;
    bool r = decode_err(b, caps, err);
    if (r) {
      EXPECT_TRUE(inside(err.sql_state, b) && inside(err.message, b));
    }
    return r;
  };
}
bool eof_decode(const bytes& b) {
  eof_packet eof;
  return decode_eof(b, eof);
}
bool greeting_decode(const bytes& b) {
  handshake_v10 hs;
  return decode_handshake_v10(b, hs);
}
bool response_decode(const bytes& b) {
  handshake_response r;
  return decode_handshake_response(b, r);
}
bool auth_switch_decode(const bytes& b) {
  auth_switch_request r;
  return decode_auth_switch_request(b, r);
}
bool column_decode(const bytes& b) {
  column_definition c;
  bool r = decode_column_definition(b, c);
  if (r) {
    EXPECT_TRUE(inside(c.catalog, b) && inside(c.schema, b) && inside(c.table, b) &&
                inside(c.org_table, b) && inside(c.name, b) && inside(c.org_name, b));
  }
  return r;
}
decoder row_decoder(std::size_t columns) {
  return [columns](const bytes& b) {
    text_row row;
    bool r = decode_text_row(b, columns, row);
    if (r) {
      for (const auto& cell : row) {
        if (cell) {
          EXPECT_TRUE(inside(*cell, b));
        }
      }
    }
    return r;
  };
}
bool count_decode(const bytes& b) {
  std::uint64_t n;
  return decode_column_count(b, n);
}
bool state_decode(const bytes& b) {
  recording_visitor v;
  return parse_session_state(b, v);
}

TEST(captured_truncation, every_decoder_fails_cleanly_on_every_cut) {
  ok_packet names_ok;
  ASSERT_TRUE(decode_ok(span(kCliSetNamesLatin1Ok), kCliCaps, names_ok));
  const byte_span names_block = as_bytes(names_ok.session_state);

  const std::vector<truncation_case> cases = {
      // version NUL at 34, caps (pre-4.1 greeting ends) at 49, scramble part 2 ends at 78,
      // then the plugin name (rest of packet, NUL optional).
      {"greeting", span(kMariaDbGreeting), greeting_decode, {49}, 78},
      // username ends 36, auth response 57, database 62, plugin 84, attributes 212.
      {"cli_response", span(kCliHandshakeResponse), response_decode, {57, 62, 84, 212}},
      {"py_response", span(kPyHandshakeResponse), response_decode, {57, 62, 84, 160}},
      {"auth_switch", span(kAuthSwitchRequest), auth_switch_decode, {}, 23},
      // header+affected+insert id+status+warnings = 7, info lenenc, session state lenenc.
      {"ok_login_schema", span(kCliLoginOkWithSchema), ok_decoder(kCliCaps), {7, 8, 16}},
      {"ok_set_names", span(kCliSetNamesLatin1Ok), ok_decoder(kCliCaps), {7, 8, 104}},
      {"ok_time_zone", span(kCliSetTimeZoneOk), ok_decoder(kCliCaps), {7, 8, 28}},
      {"ok_insert_tracked", span(kCliInsertOk), ok_decoder(kCliCaps), {7, 46}},
      {"ok_py_insert", span(kPyInsertOk), ok_decoder(kPyCaps), {7}},
      {"ok_py_update", span(kPyUpdateOk), ok_decoder(kPyCaps), {}, 7},
      // code (3 bytes) alone is accepted; '#' then needs 5 SQLSTATE bytes; message = rest.
      {"err_41", span(kCliErrNoSuchTable), err_decoder(kCliCaps), {3}, 9},
      {"err_py", span(kPyErrUnknownColumn), err_decoder(kPyCaps), {3}, 9},
      {"err_pre41", span(kPre41ErrAccessDenied), err_decoder(0), {}, 3},
      {"eof", span(kPyEof), eof_decode, {1, 5}},
      {"eof_warning", span(kCliEofOneWarning), eof_decode, {1, 5}},
      {"column_count", span(kPyColumnCount), count_decode, {1}},
      {"column_id", span(kPyColumnId), column_decode, {32}},
      {"column_v", span(kPyColumnV), column_decode, {30}},
      {"column_null", span(kPyColumnNull), column_decode, {26}},
      {"column_empty", span(kPyColumnEmpty), column_decode, {22}},
      {"row_py", span(kPyRow1), row_decoder(4), {6}},
      {"row_cli", span(kCliRowNullEmpty), row_decoder(4), {9}},
      {"row_single_null", span(kCliRowSingleNull), row_decoder(1), {1}},
      {"session_state_set_names", names_block, state_decode, {0, 30, 64, 95}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    for (std::size_t len = 0; len <= c.full.size(); ++len) {
      SCOPED_TRACE(len);
      const bytes cut(c.full.begin(), c.full.begin() + static_cast<std::ptrdiff_t>(len));
      const bool expected =
          std::find(c.accepted.begin(), c.accepted.end(), len) != c.accepted.end() ||
          len >= c.accept_from;
      EXPECT_EQ(c.decode(cut), expected);
    }
  }
}

// Every single-byte corruption of every captured packet must be survivable (no crash, views
// stay inside the buffer); the result itself is not checked.
TEST(captured_truncation, single_byte_corruptions_do_not_crash) {
  const std::vector<std::pair<byte_span, decoder>> cases = {
      {span(kMariaDbGreeting), greeting_decode},
      {span(kCliHandshakeResponse), response_decode},
      {span(kPyHandshakeResponse), response_decode},
      {span(kAuthSwitchRequest), auth_switch_decode},
      {span(kCliSetNamesLatin1Ok), ok_decoder(kCliCaps)},
      {span(kCliInsertOk), ok_decoder(kCliCaps)},
      {span(kCliErrNoSuchTable), err_decoder(kCliCaps)},
      {span(kPyColumnId), column_decode},
      {span(kCliRowNullEmpty), row_decoder(4)},
  };
  for (const auto& [full, decode] : cases) {
    for (std::size_t i = 0; i < full.size(); ++i) {
      for (std::uint8_t v : {0x00, 0x01, 0x0c, 0x7f, 0xfb, 0xfc, 0xfd, 0xfe, 0xff}) {
        bytes b(full.begin(), full.end());
        b[i] = v;
        (void)decode(b);
      }
    }
  }
}

}  // namespace
}  // namespace shardgate::protocol
