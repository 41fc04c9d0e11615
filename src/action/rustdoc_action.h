// The rustdoc action kind: one documentation run of a crate, as `cargo doc` starts it. cargo
// never routes rustdoc through RUSTC_WRAPPER, but it runs the program `RUSTDOC` names (the
// Cargo Book, "Environment variables Cargo reads"); `cargo kiln` sets RUSTDOC to kiln under
// the name `kiln-rustdoc` and KILN_RUSTDOC to the real rustdoc.
//
// The action: pre-key = rustdoc's digest + the toolchain identity + the arguments (paths made
// portable) + the variables rustc's key takes; full key = pre-key + what the run read, traced
// (the crate's sources, the externs' and their dependencies' metadata, files named by flags).
// Outputs: the crate's pages (`<crate>/…`, `src/<crate>/…`: one tar archive, a blob) and its cross-crate info
// (rustdoc/doc_root.h); the doc root's shared files are merged by kiln after every run, hit or
// miss. stdout/stderr (rustdoc's JSON diagnostics for cargo) are replayed.
// Passed through uncached, with the reason: doctests (`cargo test --doc` runs them; a test run
// is not something to replay), flags kiln does not model (rustdoc_invocation.h), a doc root
// that holds crates documented without kiln.
#pragma once

#include <string>
#include <vector>

namespace kiln {

/// The name under which kiln is a rustdoc (a symlink to kiln; main.cpp dispatches on it).
inline constexpr const char* kRustdocShimName = "kiln-rustdoc";

/// Where `cargo kiln` finds the real rustdoc.
inline constexpr const char* kRealRustdocVar = "KILN_RUSTDOC";

/// Handles `kiln-rustdoc ARGS…` (cargo's rustdoc command line). Returns rustdoc's exit code;
/// may exec the real rustdoc and not return.
int run_rustdoc(const std::vector<std::string>& args);

/// The real rustdoc: KILN_RUSTDOC, else the first `rustdoc` on PATH that is not kiln itself;
/// "" when there is none.
std::string real_rustdoc_command();

}  // namespace kiln
