// The environment of a command in a container: what kiln sets and what passes from the host.
//
// Set by kiln (the toolchain image's layout, see toolchain_image.h): HOME=/home/kiln,
// CARGO_HOME=/home/kiln/.cargo, a PATH with cargo's bin, the toolchain and kiln,
// RUST_BACKTRACE=1 unless the host sets it, and kiln's own (KILN_DIR=/kiln/store,
// KILN_IN_CONTAINER=1). Passed from the host by name, when set there: proxies (HTTP_PROXY,
// HTTPS_PROXY, NO_PROXY, ALL_PROXY and lowercase), cargo's settings (CARGO_NET_*,
// CARGO_REGISTRIES_*, CARGO_BUILD_*, CARGO_PROFILE_*, CARGO_TARGET_*, CARGO_TERM_*,
// CARGO_INCREMENTAL, CARGO_ENCODED_RUSTFLAGS…), RUSTFLAGS, RUSTDOCFLAGS, RUST_LOG,
// RUST_BACKTRACE, SOURCE_DATE_EPOCH, TERM, CI, and kiln's settings (KILN_*) except those
// about the container itself and the store's host path. Never passed: CARGO (the host's
// cargo binary), CARGO_HOME, RUSTC / RUSTC_WRAPPER / RUSTUP_* (host paths), PATH, HOME.
#pragma once

#include <string>

namespace kiln {

/// Paths of the toolchain container's layout.
inline constexpr const char* kContainerHome = "/home/kiln";
inline constexpr const char* kContainerCargoHome = "/home/kiln/.cargo";
inline constexpr const char* kContainerToolchain = "/usr/local/rust";
inline constexpr const char* kContainerKilnBin = "/opt/kiln/bin";
inline constexpr const char* kContainerStore = "/kiln/store";
inline constexpr const char* kContainerSshAgent = "/run/kiln/ssh-agent.sock";

/// Set (to "1") inside a container kiln started: `cargo kiln` there waits for its background
/// stores before it exits, since the container's end would kill them.
inline constexpr const char* kInContainerVar = "KILN_IN_CONTAINER";

/// PATH inside the container.
std::string container_path_value();

/// True when the host variable `name` is passed into the container by name (see above).
bool passes_into_container(const std::string& name);

}  // namespace kiln
