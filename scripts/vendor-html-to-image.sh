#!/usr/bin/env bash
# Vendor html-to-image (MIT) into the package's static folder: the journey map's "Download PNG" uses it in the
# browser, served from /static like every other file (no CDN, nothing fetched at run time). The result is committed;
# run this again only to change the version (then update VERSION and SHA256 below and the README beside the file).
#   scripts/vendor-html-to-image.sh
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.11.13
SHA256=a90b42909d80964269ef6d5f3d1e4a5a7e2a4c263a5d2a76a9e7151901343262  # of dist/html-to-image.js
DEST=src/momentos/web/static/vendor/html-to-image
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# npm pack checks the tarball against the registry's integrity hash
(cd "$WORK" && npm pack --silent "html-to-image@$VERSION" >/dev/null && tar xzf "html-to-image-$VERSION.tgz")
echo "$SHA256  $WORK/package/dist/html-to-image.js" | sha256sum --check --quiet
mkdir -p "$DEST"
cp "$WORK/package/dist/html-to-image.js" "$DEST/html-to-image.min.js"
cp "$WORK/package/LICENSE" "$DEST/LICENSE"
echo "vendored html-to-image $VERSION into $DEST" >&2
