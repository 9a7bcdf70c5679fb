#!/usr/bin/env bash
# Builds the Debian package from this tree: build-deb/p1gateway_<version>_<arch>.deb.
# Needs the build dependencies of debian/control (deploy/install-deps.sh
# installs them) and dpkg-dev, debhelper. Then, as root:
#   apt install ./build-deb/p1gateway_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/build-deb
rm -rf "$out"
mkdir -p "$out/src"
# A copy of the sources (tracked and new, not ignored) only, so that build trees, editor files and
# the dpkg-buildpackage by-products never land in the package or the tree.
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$out/src"
(cd "$out/src" && dpkg-buildpackage -us -uc -b -j"$(nproc)" >"$out/build.log" 2>&1) || {
  tail -40 "$out/build.log" >&2
  exit 1
}
ls "$out"/*.deb
