#!/usr/bin/env bash
# The .deb of packaging/build-deb.sh, installed for real on this machine (root, Debian 12; no
# systemd as PID 1 needed): dpkg -i, the unit passes systemd-analyze verify, the shardgate
# user can check the shipped config, --version, the man page covers --help, dpkg -r keeps the
# conffile, dpkg -P removes everything and the user. A trap purges the package on any failure.
# Env: SHARDGATE_BINARY=PATH  package that binary (ctest passes the suite's build/shardgate, so
#                             nothing is compiled); unset: build-deb.sh builds build-deb/
#      SHARDGATE_DEB_DIR=DIR  build-deb.sh's directory (ctest: <build>/deb-test)
# Exit 77 (ctest: skipped) when not root or dpkg/systemd-analyze are missing.
set -Eeuo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "skip: needs root (dpkg -i)"; exit 77; fi
for tool in dpkg dpkg-deb dpkg-shlibdeps systemd-analyze runuser adduser groff; do
  command -v "$tool" >/dev/null || { echo "skip: $tool is missing (packaging/install-deps.sh)"; exit 77; }
done

failures=0
check() {  # check DESCRIPTION COMMAND...: one assertion
  if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi
}
pkg_state() { dpkg-query -W -f='${db:Status-Abbrev}' shardgate 2>/dev/null | tr -d ' ' || true; }
has_user() { getent passwd shardgate >/dev/null; }
has_group() { getent group shardgate >/dev/null; }

# A run killed before its cleanup (ctest's timeout) leaves this marker and its package.
marker=/var/tmp/shardgate-test-deb.installed
if [ -e "$marker" ]; then
  echo "purging the package a killed earlier run left ($marker)"
  dpkg -P shardgate >/dev/null
  rm -f "$marker"
fi
# Never touch a real installation or someone's own shardgate user.
if [ -n "$(pkg_state)" ] && [ "$(pkg_state)" != un ]; then
  echo "error: a shardgate package is already known to dpkg ($(pkg_state)); remove it first: dpkg -P shardgate" >&2
  exit 1
fi
if has_user || has_group; then
  echo "error: a shardgate user or group exists without the package; not touching it" >&2
  exit 1
fi

installed_by_us=0
cleanup() {
  local rc=$?
  if [ "$installed_by_us" -eq 1 ] && [ -n "$(pkg_state)" ] && [ "$(pkg_state)" != un ]; then
    echo "cleanup: purging the shardgate package"
    dpkg -P shardgate >/dev/null 2>&1 || rc=1
  fi
  if [ "$installed_by_us" -eq 1 ] && [ -z "$(pkg_state | grep -v '^un$' || true)" ]; then
    rm -f "$marker"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM  # so that the EXIT trap purges on a kill too
trap 'exit 130' INT

version=$(sed -n 's/^project(shardgate VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
echo "== build-deb.sh (version $version${SHARDGATE_BINARY:+, binary $SHARDGATE_BINARY})"
out=$("$root/packaging/build-deb.sh" 2>&1) || { echo "$out"; echo "FAIL build-deb.sh"; exit 1; }
deb=$(tail -n 1 <<<"$out")
check "build-deb.sh printed the .deb's path last" test -f "$deb"
check "named shardgate_${version}_amd64.deb" test "$(basename "$deb")" = "shardgate_${version}_amd64.deb"
check "Depends computed (libc6, libssl3, libyaml-cpp, adduser)" grep -Eq \
  '^ Depends: .*libc6 .*libssl3.*libyaml-cpp0\.7.*, adduser$' <<<"$(dpkg-deb --info "$deb")"
check "conffile listed" test "$(dpkg-deb --info "$deb" conffiles)" = /etc/shardgate/shardgate.yaml

echo "== dpkg -i"
installed_by_us=1
touch "$marker"
check "dpkg -i succeeds" dpkg -i "$deb"
check "state installed" test "$(pkg_state)" = ii
check "/usr/bin/shardgate executable" test -x /usr/bin/shardgate
check "unit installed" test -f /lib/systemd/system/shardgate.service
check "man page gzip'd" gzip -t /usr/share/man/man1/shardgate.1.gz
check "system user shardgate" test "$(getent passwd shardgate | cut -d: -f6,7)" = \
  "/var/lib/shardgate:/usr/sbin/nologin"
uid=$(id -u shardgate)
check "uid $uid is a system uid" test "$uid" -lt 1000
check "group shardgate" has_group
check "/var/lib/shardgate owned by shardgate, 0750" \
  test "$(stat -c '%U:%G %a' /var/lib/shardgate)" = "shardgate:shardgate 750"
check "config root:shardgate 0640" \
  test "$(stat -c '%U:%G %a' /etc/shardgate/shardgate.yaml)" = "root:shardgate 640"
check "dpkg registers the conffile" grep -q '/etc/shardgate/shardgate.yaml [0-9a-f]\{32\}' \
  <<<"$(dpkg-query -W -f='${Conffiles}' shardgate)"

echo "== the unit"
unit=/lib/systemd/system/shardgate.service
verify_rc=0
verify_out=$(systemd-analyze verify "$unit" 2>&1) || verify_rc=$?
printf '%s\n' "$verify_out" | sed 's/^/    /'
check "systemd-analyze verify exits 0" test "$verify_rc" -eq 0
# Tolerated: only the note that this container was not booted with systemd.
unexpected=$(grep -v -e '^$' -e 'System has not been booted with systemd' \
  -e 'not been booted with systemd' <<<"$verify_out" || true)
check "systemd-analyze verify says nothing else" test -z "$unexpected"
# shellcheck disable=SC2016  # $MAINPID is the unit's, not ours
for directive in 'User=shardgate' 'Group=shardgate' 'ProtectSystem=strict' 'ProtectHome=true' \
  'PrivateTmp=true' 'NoNewPrivileges=true' 'StateDirectory=shardgate' \
  'ReadWritePaths=/var/lib/shardgate' 'LimitNOFILE=1048576' 'ExecReload=/bin/kill -HUP $MAINPID' \
  'Restart=on-failure' 'CapabilityBoundingSet=' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
  'SystemCallFilter=@system-service' \
  'ExecStart=/usr/bin/shardgate --config /etc/shardgate/shardgate.yaml'; do
  check "unit has $directive" grep -qxF "$directive" "$unit"
done
check "no ambient capabilities" test -z "$(grep '^AmbientCapabilities' "$unit" || true)"

echo "== the binary as the service user"
check_out=$(runuser -u shardgate -- /usr/bin/shardgate --check-config \
  --config /etc/shardgate/shardgate.yaml 2>&1) || check_out="exit $?: $check_out"
echo "    $check_out"
check "shardgate user: shipped config passes --check-config" grep -q \
  '^/etc/shardgate/shardgate.yaml: OK (1 users, 1 clusters, default cluster main' <<<"$check_out"
ver=$(/usr/bin/shardgate --version) || ver="exit $?"
echo "    $ver"
check "--version is 'shardgate $version (git REV)'" \
  grep -Eq "^shardgate ${version//./\\.} \\(git [0-9A-Za-z._-]+\\)$" <<<"$ver"
check "nobody but root and the group reads the config" \
  test "$(runuser -u nobody -- cat /etc/shardgate/shardgate.yaml 2>/dev/null | wc -c)" -eq 0

echo "== the man page"
man_src=$(zcat /usr/share/man/man1/shardgate.1.gz)
check "man page names the version" grep -q "^\\.TH SHARDGATE 1 \"\" \"ShardGate $version\"" <<<"$man_src"
warnings=$(groff -man -Tutf8 -ww -z <<<"$man_src" 2>&1 || true)
check "groff reads it without warnings" test -z "$warnings"
man_text=$(groff -man -Tutf8 -P-cbou <<<"$man_src" 2>/dev/null | sed 's/\xe2\x80\x90/-/g')
for opt in $(/usr/bin/shardgate --help | grep -Eo -- '--[a-z][a-z-]*|check-config|route' | sort -u); do
  check "man page covers $opt from --help" grep -qF -- "$opt" <<<"$man_text"
done

echo "== dpkg -r (conffile kept)"
check "dpkg -r succeeds" dpkg -r shardgate
check "binary removed" test ! -e /usr/bin/shardgate
check "unit removed" test ! -e /lib/systemd/system/shardgate.service
check "conffile kept" test -f /etc/shardgate/shardgate.yaml
check "state config-files" test "$(pkg_state)" = rc
check "user kept until purge" has_user

echo "== dpkg -P (everything removed)"
check "dpkg -P succeeds" dpkg -P shardgate
check "conffile removed" test ! -e /etc/shardgate/shardgate.yaml
check "/etc/shardgate removed" test ! -e /etc/shardgate
check "/var/lib/shardgate removed" test ! -e /var/lib/shardgate
check "user removed" test -z "$(getent passwd shardgate || true)"
check "group removed" test -z "$(getent group shardgate || true)"
check "dpkg forgot the package" test -z "$(pkg_state | grep -v '^un$' || true)"

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all .deb checks passed"
