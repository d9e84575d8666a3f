#!/usr/bin/env bash
# Installs every Debian package ShardGate's build, test suite, packaging and demo need.
# Idempotent: packages already present are skipped; safe to run again.
# Usage: packaging/install-deps.sh   (as root on Debian 12, or through sudo)
# Env (for tests/packaging/test_install_deps.sh): SHARDGATE_POLICY_RC_D (default
# /usr/sbin/policy-rc.d). apt-get, dpkg-query and sudo are looked up on PATH.
# Exit: 0 when every package is installed afterwards; 1 when apt-get failed (with a message).
set -euo pipefail

POLICY_RC_D=${SHARDGATE_POLICY_RC_D:-/usr/sbin/policy-rc.d}

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config clang-format git
  libboost1.81-dev libssl-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libxxhash-dev zlib1g-dev
  prometheus-cpp-dev libmariadb-dev
  # unit tests, benchmarks, fuzzing
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  # real servers and real clients for the integration suite and the demo
  mariadb-server mariadb-client sysbench python3 python3-pymysql python3-cryptography openssl
  procps curl ca-certificates
  # shell lint, the .deb (dpkg-shlibdeps; adduser for its postinst; systemd-analyze verify;
  # rsync for building an exported HEAD)
  shellcheck dpkg-dev adduser systemd rsync
)
# Node's mysql2 client tests need node + npm; use the machine's if present.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Do not let the mariadb-server package start a system-wide server: ShardGate's demo and
# tests start their own servers on their own ports and data directories. An existing
# policy-rc.d (most container images have one) is the machine's policy and stays as it is;
# one this script creates is removed on every exit, with the script's own exit status kept.
policy_created=0
cleanup() {
  local rc=$?
  if [ "$policy_created" -eq 1 ]; then "${SUDO[@]}" rm -f "$POLICY_RC_D" || rc=1; fi
  exit "$rc"
}
trap cleanup EXIT
if [ ! -e "$POLICY_RC_D" ]; then
  policy_created=1
  printf '#!/bin/sh\n# written by ShardGate packaging/install-deps.sh; removed when it ends\nexit 101\n' |
    "${SUDO[@]}" tee "$POLICY_RC_D" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY_RC_D"
fi

fail() {
  echo "install-deps: error: $1 (exit $2); packages not installed: ${missing[*]}" >&2
  exit 1
}
rc=0
"${SUDO[@]}" apt-get update -qq || rc=$?
[ "$rc" -eq 0 ] || fail "apt-get update failed" "$rc"
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
[ "$rc" -eq 0 ] || fail "apt-get install failed" "$rc"
echo "install-deps: done"
