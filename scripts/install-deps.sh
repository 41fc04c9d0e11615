#!/usr/bin/env bash
# Installs everything kiln needs to build and test, from Debian's archive only.
# Idempotent and quick when everything is already there. Needs root (apt-get).
set -euo pipefail
packages=(
  # build
  cmake ninja-build g++ pkg-config
  libssl-dev libcurl4-openssl-dev libzstd-dev liblz4-dev libxxhash-dev libhiredis-dev libtomlplusplus-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libgtest-dev libgmock-dev
  # tests: real crates, real servers, tools
  librust-serde-dev librust-serde-derive-dev librust-serde-json-dev librust-cc-dev librust-pkg-config-dev
  pkg-config zlib1g-dev bubblewrap
  bc binutils python3 openssl ca-certificates curl python3-prometheus-client
  # the build report is checked in a headless browser
  chromium
  redis-server nginx-extras docker-registry apache2-utils skopeo
  # containers: both runtimes, an init for PID 1, and debootstrap for an offline base image
  podman runc docker.io tini debootstrap
  # remote execution: a BuildKit daemon reached over ssh (tests start their own sshd)
  openssh-server openssh-client
  # linkers (KILN_LINKER)
  mold lld
  # packaging: tar layers (libarchive, loaded at run time), umoci to check images
  libarchive-dev umoci
  # benchmark baseline
  sccache
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The services are started by the tests that need them, never at boot.
for s in redis-server nginx docker-registry docker containerd podman ssh; do
  (systemctl stop "$s" || service "$s" stop) >/dev/null 2>&1 || true
done
# Rust: rustup's stable toolchain (preinstalled) must come before Debian's old rustc.
if ! "$HOME/.cargo/bin/cargo" --version >/dev/null 2>&1; then
  echo "install-deps: rustup's cargo not found in ~/.cargo/bin" >&2
  exit 1
fi
