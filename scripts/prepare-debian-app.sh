#!/usr/bin/env bash
# Prepares a real Rust application from its Debian source package so that cargo builds it
# offline against the crate sources Debian ships in /usr/share/cargo/registry.
#   scripts/prepare-debian-app.sh rust-ripgrep DEST     (ripgrep 13, 64 packages)
# Needs root (apt-get). DEST is reused when it already holds a prepared copy.
set -euo pipefail
pkg=$1
dest=$2
if [[ -f "$dest/.kiln-prepared" && "$(cat "$dest/.kiln-prepared")" == "$pkg" ]]; then
  echo "$dest"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! ls /etc/apt/sources.list.d/*-src.sources >/dev/null 2>&1; then
  # Source packages come from the same archive as the binary ones.
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
    >/etc/apt/sources.list.d/debian-src.sources
  apt-get update -qq
fi
apt-get build-dep -y -qq "$pkg" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get source -qq "$pkg" >/dev/null 2>&1)
src=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -1)
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$src" "$dest"
cd "$dest"
rm -f Cargo.lock
# Debian builds without dev-dependencies; dropping them keeps resolution offline.
awk '/^\[/{skip = ($0 ~ /^\[(target\..*\.)?dev-dependencies/)} !skip' Cargo.toml >Cargo.toml.kiln
mv Cargo.toml.kiln Cargo.toml
case "$pkg" in
  rust-ripgrep) sed -i '/^simd-accel = /d' Cargo.toml ;;  # needs a crate feature Debian lacks
esac
mkdir -p .cargo
cat >.cargo/config.toml <<'CFG'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
CFG
# Resolve once so every later build (and every copy) uses the same Cargo.lock.
PATH="$HOME/.cargo/bin:$PATH" cargo generate-lockfile -q
echo "$pkg" >.kiln-prepared
echo "$dest"
