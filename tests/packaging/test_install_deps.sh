#!/usr/bin/env bash
# packaging/install-deps.sh against stub apt-get / dpkg-query / sudo first on PATH, in a
# temporary directory: nothing is installed and the real /usr/sbin/policy-rc.d is never touched.
# Cases: (a) an existing policy-rc.d stays as it was, (b) a missing one is created for the
# install and removed afterwards, (c) one missing package is the only one apt-get installs,
# (d) a failing apt-get makes the script fail with a message, (e) nothing missing, no apt-get.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
script="$root/packaging/install-deps.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stubs="$tmp/bin"
mkdir -p "$stubs"

# dpkg-query: every package is installed except those in $STUB_MISSING (space-separated).
cat >"$stubs/dpkg-query" <<'EOF'
#!/usr/bin/env bash
pkg=${!#}
for m in ${STUB_MISSING:-}; do
  if [ "$m" = "$pkg" ]; then echo "dpkg-query: no packages found matching $pkg" >&2; exit 1; fi
done
printf 'install ok installed'
EOF
# apt-get: logs its arguments and what policy-rc.d says while it runs; `install` exits
# $STUB_APT_INSTALL_RC, `update` $STUB_APT_UPDATE_RC.
cat >"$stubs/apt-get" <<'EOF'
#!/usr/bin/env bash
echo "$*" >>"$STUB_LOG"
policy=absent
if [ -x "$SHARDGATE_POLICY_RC_D" ]; then
  policy=$("$SHARDGATE_POLICY_RC_D" mariadb start && echo allows || echo "refuses $?")
fi
echo "policy-rc.d: $policy" >>"$STUB_LOG"
case " $* " in
  *" update "*) exit "${STUB_APT_UPDATE_RC:-0}" ;;
  *" install "*) exit "${STUB_APT_INSTALL_RC:-0}" ;;
esac
EOF
# sudo (when the test is not run as root): runs the command as this user.
printf '#!/bin/sh\nexec "$@"\n' >"$stubs/sudo"
chmod +x "$stubs"/*

failures=0
check() {  # check DESCRIPTION COMMAND...: one assertion
  if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi
}

run() {  # run CASE: runs the script; sets rc, out (stdout+stderr) and log (apt-get calls)
  export STUB_LOG="$tmp/$1.apt.log" SHARDGATE_POLICY_RC_D="$tmp/$1.policy-rc.d"
  : >"$STUB_LOG"
  rc=0
  out=$(PATH="$stubs:$PATH" "$script" 2>&1) || rc=$?
  log=$(cat "$STUB_LOG")
  printf '%s\n' "--- $1: exit $rc" "$out" | sed 's/^/    /'
}

# (a) an existing policy-rc.d: used as it is, and byte-for-byte the same afterwards.
printf '#!/bin/sh\n# the machine'"'"'s own\nexit 101\n' >"$tmp/a.policy-rc.d"
chmod 755 "$tmp/a.policy-rc.d"
cp -p "$tmp/a.policy-rc.d" "$tmp/a.original"
STUB_MISSING=shellcheck run a
check "(a) exit 0 with an existing policy-rc.d" test "$rc" -eq 0
check "(a) policy-rc.d unchanged" cmp -s "$tmp/a.policy-rc.d" "$tmp/a.original"
check "(a) policy-rc.d still executable" test -x "$tmp/a.policy-rc.d"
check "(a) apt-get install ran" grep -q -- '^install .*shellcheck$' "$STUB_LOG"

# (b) no policy-rc.d: one refusing service starts exists while apt-get runs, gone afterwards.
STUB_MISSING=shellcheck run b
check "(b) exit 0 without a policy-rc.d" test "$rc" -eq 0
check "(b) policy-rc.d refused starts during apt-get" \
  test "$(grep -c '^policy-rc.d: refuses 101$' "$STUB_LOG")" -eq 2
check "(b) policy-rc.d removed afterwards" test ! -e "$tmp/b.policy-rc.d"

# (c) exactly the one missing package is installed.
STUB_MISSING=python3-cryptography run c
check "(c) exit 0" test "$rc" -eq 0
check "(c) apt-get update, then install of only python3-cryptography" \
  test "$(grep -v '^policy-rc.d' "$STUB_LOG")" = "$(printf '%s\n' 'update -qq' \
  'install -y -qq --no-install-recommends python3-cryptography')"
check "(c) says what it installs" grep -q 'installing python3-cryptography$' <<<"$out"

# (d) apt-get install fails: non-zero, a message naming the failure, policy-rc.d cleaned up.
STUB_MISSING="shellcheck dpkg-dev" STUB_APT_INSTALL_RC=100 run d
check "(d) non-zero exit when apt-get install fails" test "$rc" -ne 0
check "(d) clear message" grep -q \
  'install-deps: error: apt-get install failed (exit 100); packages not installed: shellcheck dpkg-dev' \
  <<<"$out"
check "(d) policy-rc.d removed after the failure" test ! -e "$tmp/d.policy-rc.d"
STUB_MISSING=shellcheck STUB_APT_UPDATE_RC=100 run d2
check "(d) non-zero exit when apt-get update fails" test "$rc" -ne 0
check "(d) clear message for update" grep -q 'apt-get update failed (exit 100)' <<<"$out"
check "(d) no install after a failed update" test "$(grep -c '^install' "$STUB_LOG")" -eq 0

# (e) nothing missing: no apt-get at all, no policy-rc.d written.
STUB_MISSING="" run e
check "(e) exit 0" test "$rc" -eq 0
check "(e) apt-get not called" test -z "$log"
check "(e) reports all present" grep -q '^install-deps: all [0-9]* packages present$' <<<"$out"
check "(e) no policy-rc.d left" test ! -e "$tmp/e.policy-rc.d"

# The package list names what the packaging and lint steps need.
for p in shellcheck python3-cryptography openssl systemd dpkg-dev adduser; do
  STUB_MISSING=$p run "list-$p" >/dev/null
  check "list has $p" grep -q "^install .* $p\$" "$STUB_LOG"
done

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all install-deps checks passed"
