// Which program really runs when cargo names a rustup proxy (~/.cargo/bin/rustc,
// clippy-driver…) or a bare name found on PATH (RUSTC=rustc). The proxies are one binary
// (rustup) that picks a toolchain at run time, so their path and contents say nothing about
// the compiler: kiln resolves them as rustup does (https://rust-lang.github.io/rustup/overrides.html),
// in order: RUSTUP_TOOLCHAIN, a directory override in $RUSTUP_HOME/settings.toml, a
// rust-toolchain.toml or rust-toolchain file in the current directory or a parent, the
// default toolchain. A name the toolchains dir does not settle ("1.95" with several
// matches, a missing toolchain) is asked of `rustup which` itself. The resolved binary is
// both what the key identifies and what a miss runs, so the two cannot disagree.
#pragma once

#include <string>

#include "util/expected.h"

namespace kiln {

/// The real program behind `tool` (absolute path, bare name on PATH, or rustup proxy) when run
/// from `cwd`. Not a proxy: `tool` itself, made absolute. Errors: not found on PATH, or a
/// proxy whose toolchain cannot be determined.
Result<std::string> resolve_tool(const std::string& tool, const std::string& cwd);

/// True when `path` is a rustup proxy: the same file as `rustup` beside it (hard link or
/// symlink).
bool is_rustup_proxy(const std::string& path);

}  // namespace kiln
