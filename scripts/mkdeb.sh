#!/usr/bin/env bash
# Build the Debian package from a built tree: install it under /usr into a staging root
# (cmake --install, DESTDIR), add the control files from packaging/debian/ with the shared-library
# dependencies computed by dpkg-shlibdeps, and pack it with dpkg-deb. `make deb` runs this on
# its own build tree (build-deb, prefix /usr); tests/packaging/test_deb.sh on the tree under test.
#
#   scripts/mkdeb.sh BUILD_DIR OUT_DIR      # prints the path of OUT_DIR/cerelay_VERSION_ARCH.deb
set -euo pipefail
BUILD=$(cd "${1:?usage: mkdeb.sh BUILD_DIR OUT_DIR}" && pwd)
OUT=${2:?usage: mkdeb.sh BUILD_DIR OUT_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
for t in dpkg-deb dpkg-shlibdeps; do
  command -v "$t" >/dev/null || { echo "mkdeb: $t is missing; run: scripts/deps.sh deb" >&2; exit 1; }
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/root

VERSION=$("$BUILD/cerelay" --version | awk '{print $2}')-1
ARCH=$(dpkg --print-architecture)
DESTDIR=$STAGE cmake --install "$BUILD" --prefix /usr >"$WORK/install.log" ||
  { cat "$WORK/install.log" >&2; exit 1; }

# Dependencies of the program, as Debian package names with versions.
mkdir -p "$WORK/src/debian"
printf 'Source: cerelay\n\nPackage: cerelay\nArchitecture: any\n' >"$WORK/src/debian/control"
DEPENDS=$(cd "$WORK/src" && dpkg-shlibdeps -O -e"$STAGE/usr/bin/cerelay" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
[ -n "$DEPENDS" ] || { echo "mkdeb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$STAGE/DEBIAN"
SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$SIZE/" \
  -e "s/@DEPENDS@/$DEPENDS/" "$ROOT/packaging/debian/control.in" >"$STAGE/DEBIAN/control"
install -m 755 "$ROOT/packaging/debian/postinst" "$ROOT/packaging/debian/prerm" \
  "$ROOT/packaging/debian/postrm" "$STAGE/DEBIAN/"
(cd "$STAGE" && find etc -type f | sed 's|^|/|') >"$STAGE/DEBIAN/conffiles"
# man pages are compressed in Debian packages
find "$STAGE/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +
(cd "$STAGE" && find usr -type f -print0 | sort -z | xargs -0 md5sum) >"$STAGE/DEBIAN/md5sums"

DEB=$OUT/cerelay_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
