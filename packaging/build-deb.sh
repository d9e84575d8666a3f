#!/usr/bin/env bash
# Builds ShardGate's Debian package: a Release build in build-deb/ (its own build directory),
# then build-deb/shardgate_<version>_<arch>.deb with dpkg-deb. Prints the .deb's path last.
#   /usr/bin/shardgate                      stripped
#   /etc/shardgate/shardgate.yaml           conffile (packaging/deb/shardgate.yaml)
#   /lib/systemd/system/shardgate.service   hardened unit, user shardgate
#   /usr/share/man/man1/shardgate.1.gz      packaging/shardgate.1
# The version is project(VERSION) in the top CMakeLists.txt; Depends comes from dpkg-shlibdeps.
# Env:
#   SHARDGATE_BINARY=PATH     package this binary instead of building (its --version must say
#                             the same version)
#   SHARDGATE_DEB_SOURCE=tree (default) build the working tree; =head: build the committed
#                             HEAD (git archive into build-deb/src; useful while the working
#                             tree holds others' unfinished edits)
#   SHARDGATE_DEB_DIR=DIR     the build directory (default <repo>/build-deb)
#   SHARDGATE_BUILD_JOBS=N    parallel compile jobs (default 2)
set -Eeuo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${SHARDGATE_DEB_DIR:-$REPO/build-deb}
JOBS=${SHARDGATE_BUILD_JOBS:-2}
step="starting"
on_error() {  # on_error LINE COMMAND: which step failed, and the command that failed it
  local rc=$?
  echo "build-deb: error: step '$step' failed (exit $rc) at line $1: $2" >&2
  exit "$rc"
}
trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR

say() { printf '==> %s\n' "$*"; }
die() { echo "build-deb: error: $*" >&2; exit 1; }

step="read the version"
VERSION=$(sed -n 's/^project(shardgate VERSION \([0-9][0-9.]*\).*/\1/p' "$REPO/CMakeLists.txt")
[ -n "$VERSION" ] || die "no 'project(shardgate VERSION x.y.z' line in $REPO/CMakeLists.txt"
ARCH=$(dpkg --print-architecture)
mkdir -p "$OUT"

build() {  # builds the shardgate target; sets BIN
  local src=$REPO rev_arg=()
  if [ "${SHARDGATE_DEB_SOURCE:-tree}" = head ]; then
    step="export HEAD"
    src=$OUT/src
    local export_dir rev
    export_dir=$(mktemp -d)
    git -C "$REPO" archive --format=tar HEAD | tar -x -C "$export_dir"
    # Only changed files are rewritten, so an unchanged file keeps its mtime (no rebuild).
    mkdir -p "$src"
    rsync -rc --delete "$export_dir/" "$src/"
    rm -rf "$export_dir"
    rev=$(git -C "$REPO" describe --always)
    rev_arg=(-DSHARDGATE_GIT_REVISION="$rev")
    say "Building HEAD ($rev) from $src"
  elif [ "${SHARDGATE_DEB_SOURCE:-tree}" != tree ]; then
    die "SHARDGATE_DEB_SOURCE must be tree or head, not '$SHARDGATE_DEB_SOURCE'"
  fi
  step="configure $OUT/build"
  say "Configuring $OUT/build (Release)"
  cmake -S "$src" -B "$OUT/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSHARDGATE_TESTS=OFF \
    -DSHARDGATE_BENCHMARKS=OFF "${rev_arg[@]}" >"$OUT/configure.log" \
    || { tail -n 30 "$OUT/configure.log" >&2; false; }
  step="build shardgate (-j$JOBS)"
  say "Building shardgate (-j$JOBS)"
  cmake --build "$OUT/build" -j"$JOBS" --target shardgate
  BIN=$OUT/build/shardgate
}

if [ -n "${SHARDGATE_BINARY:-}" ]; then
  BIN=$SHARDGATE_BINARY
  [ -x "$BIN" ] || die "SHARDGATE_BINARY=$BIN is not an executable file"
  say "Packaging $BIN (not building)"
else
  build
fi

step="check the binary's version"
got=$("$BIN" --version)
case "$got" in
  "shardgate $VERSION (git "*")") ;;
  *) die "$BIN --version says '$got', not 'shardgate $VERSION (git ...)'" ;;
esac

step="stage the package tree"
say "Staging the package tree"
PKG=$OUT/pkg
rm -rf "$PKG"
install -d -m 0755 "$PKG/DEBIAN" "$PKG/usr/bin" "$PKG/etc/shardgate" "$PKG/lib/systemd/system" \
  "$PKG/usr/share/man/man1" "$PKG/usr/share/doc/shardgate"
install -m 0755 "$BIN" "$PKG/usr/bin/shardgate"
strip --strip-unneeded "$PKG/usr/bin/shardgate"
install -m 0644 "$REPO/packaging/deb/shardgate.yaml" "$PKG/etc/shardgate/shardgate.yaml"
install -m 0644 "$REPO/packaging/deb/shardgate.service" "$PKG/lib/systemd/system/shardgate.service"
sed "s/\"ShardGate\" \"User Commands\"/\"ShardGate $VERSION\" \"User Commands\"/" \
  "$REPO/packaging/shardgate.1" | gzip -9n >"$PKG/usr/share/man/man1/shardgate.1.gz"
printf '%s: a MySQL-protocol sharding proxy.\nSee man shardgate.\n' "$got" \
  >"$PKG/usr/share/doc/shardgate/README"
for script in postinst prerm postrm; do
  install -m 0755 "$REPO/packaging/deb/$script" "$PKG/DEBIAN/$script"
done
echo /etc/shardgate/shardgate.yaml >"$PKG/DEBIAN/conffiles"

step="compute Depends (dpkg-shlibdeps)"
# dpkg-shlibdeps wants a debian/control in its working directory; give it a minimal one.
shlib_dir=$(mktemp -d)
mkdir -p "$shlib_dir/debian"
printf 'Source: shardgate\n\nPackage: shardgate\nArchitecture: any\n' >"$shlib_dir/debian/control"
shlibs=$(cd "$shlib_dir" && dpkg-shlibdeps -O -e"$PKG/usr/bin/shardgate" 2>"$OUT/shlibdeps.log") \
  || { cat "$OUT/shlibdeps.log" >&2; rm -rf "$shlib_dir"; false; }
rm -rf "$shlib_dir"
depends=${shlibs#shlibs:Depends=}
if [ -z "$depends" ] || [ "$depends" = "$shlibs" ]; then die "dpkg-shlibdeps printed '$shlibs'"; fi

step="write DEBIAN/control"
size_kb=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
cat >"$PKG/DEBIAN/control" <<EOF
Package: shardgate
Version: $VERSION
Architecture: $ARCH
Maintainer: ShardGate developers <shardgate@localhost>
Installed-Size: $size_kb
Depends: $depends, adduser
Section: database
Priority: optional
Description: MySQL-protocol sharding proxy
 ShardGate speaks the MySQL protocol to applications and routes each statement to the
 MySQL/MariaDB shard that owns its key (hash, range, directory placement), with pooled
 connections, read/write splitting, scatter-gather reads and XA cross-shard commits.
 The shardgate.service unit runs it as the shardgate system user with
 /etc/shardgate/shardgate.yaml.
EOF
(cd "$PKG" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z \
  | xargs -0 md5sum >DEBIAN/md5sums)

step="dpkg-deb --build"
DEB=$OUT/shardgate_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$PKG" "$DEB" >/dev/null
say "Package contents"
dpkg-deb --info "$DEB" | sed -n '/Package:/,/Depends:/p'
dpkg-deb --contents "$DEB"
echo "$DEB"
