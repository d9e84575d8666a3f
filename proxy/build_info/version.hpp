// ShardGate's version and the source revision it was built from. Both come from one
// generated file (cmake/version.cpp.in): the version from project(VERSION) in the top
// CMakeLists.txt, the revision from `git describe --always --dirty` at build time, so
// changing either recompiles that one file only.
#pragma once

namespace shardgate::build_info {

const char* version() noexcept;       // e.g. "0.3.0"
const char* git_revision() noexcept;  // e.g. "7b60f84-dirty"; "unknown" outside a git checkout

}  // namespace shardgate::build_info
