#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds
# the release configuration (GCC) and the sanitizer/fuzz configuration (clang, ASan+UBSan),
# then runs every test through one ctest invocation and ends with ctest's summary line.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

packaging/install-deps.sh

jobs=${SHARDGATE_BUILD_JOBS:-2}
echo "== release build (build/)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSHARDGATE_SANITIZED_BUILD_DIR="$root/build-san"
echo "== sanitizer + fuzz build (build-san/)"
CC=clang CXX=clang++ cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DSHARDGATE_SANITIZE=ON -DSHARDGATE_FUZZ=ON -DSHARDGATE_BENCHMARKS=OFF
cmake --build build -j"$jobs"
cmake --build build-san -j"$jobs"

echo "== tests"
exec ctest --test-dir build --output-on-failure --timeout 900
