#!/usr/bin/env bash
# Installs every Debian package ShardGate's build, test suite and demo need.
# Idempotent: packages already present are skipped; safe to run again.
# Usage: packaging/install-deps.sh   (as root on Debian 12)
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config clang-format
  libboost1.81-dev libssl-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libxxhash-dev zlib1g-dev
  prometheus-cpp-dev libmariadb-dev zlib1g-dev
  # unit tests, benchmarks, fuzzing
  libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
  # real servers and real clients for the integration suite and the demo
  mariadb-server mariadb-client sysbench python3 python3-pymysql
  procps curl ca-certificates
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

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Do not let the mariadb-server package start a system-wide server: ShardGate's
# demo and tests start their own servers on their own ports and data directories.
policy_created=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  policy_created=1
fi
# The trap's last status becomes the script's: it must end in success when there is nothing
# to remove (an existing policy-rc.d, as in most container images).
cleanup() {
  if [ "$policy_created" -eq 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
  return 0
}
trap cleanup EXIT
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
