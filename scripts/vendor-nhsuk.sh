#!/usr/bin/env bash
# Refreshes the vendored NHS.UK frontend (compiled CSS, JS and assets) from the npm registry.
# The result is committed, so building and running Steward needs no npm.
set -euo pipefail
VERSION=10.6.1
here=$(cd "$(dirname "$0")/.." && pwd)
# Served at /assets/: the compiled CSS refers to /assets/images/...
dest="$here/crates/steward-web/static"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "nhsuk-frontend@$VERSION" >/dev/null && tar xzf nhsuk-frontend-*.tgz)
pkg="$work/package"
rm -rf "$dest/images" "$dest"/nhsuk.min.* && mkdir -p "$dest"
cp "$pkg"/dist/nhsuk/nhsuk-frontend.min.css "$dest/nhsuk.min.css"
cp "$pkg"/dist/nhsuk/nhsuk-frontend.min.js "$dest/nhsuk.min.js"
cp -r "$pkg"/dist/nhsuk/assets/images "$dest/images"
echo "nhsuk-frontend $VERSION (MIT licence)" > "$dest/NHSUK-FRONTEND-VERSION"
echo "vendored nhsuk-frontend $VERSION into $dest"
