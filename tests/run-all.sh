#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds
#   build/       the release configuration (GCC, what users run),
#   build-san/   the same code under AddressSanitizer + UBSan (GCC: it also catches GCC's own
#                coroutine code-generation faults, which a clang build would not show),
#   build-fuzz/  the libFuzzer targets (clang),
# then runs every test through one ctest invocation, which ends with ctest's summary line.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

packaging/install-deps.sh

jobs=${SHARDGATE_BUILD_JOBS:-2}
echo "== configure"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSHARDGATE_SANITIZED_BUILD_DIR="$root/build-san" -DSHARDGATE_FUZZ_BUILD_DIR="$root/build-fuzz"
cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSHARDGATE_SANITIZE=ON \
  -DSHARDGATE_BENCHMARKS=OFF
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSHARDGATE_FUZZ=ON -DSHARDGATE_BENCHMARKS=OFF

echo "== build"
cmake --build build -j"$jobs"
cmake --build build-san -j"$jobs" --target shardgate unit_tests
cmake --build build-fuzz -j"$jobs" --target fuzz_packet_decoder fuzz_statement_scan fuzz_sql_lexer \
  fuzz_routing

echo "== tests"
exec ctest --test-dir build --output-on-failure --timeout 900
