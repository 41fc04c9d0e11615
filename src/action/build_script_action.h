// The build-script action kind: cargo's run of a package's compiled build script (the Cargo
// Book, "Build Scripts"), cached like a compilation, so that every machine gets the same
// OUT_DIR and a clean build runs no build script twice.
//
// cargo runs build scripts itself, not through RUSTC_WRAPPER. So when kiln compiles a build
// script (action/rustc_action.cpp), it moves the binary to `<binary>.kiln-real` and leaves a
// small launcher (a shell script) where cargo expects it. cargo hard-links and runs the
// launcher; under kiln (RUSTC_WRAPPER is kiln) the launcher runs `kiln build-script-run REAL`,
// and otherwise — plain cargo, kiln uninstalled — the real binary directly.
//
// The action: pre-key = the script binary's digest + the toolchain identity (RUSTC) + the
// environment cargo gives build scripts (TARGET, HOST, PROFILE, OPT_LEVEL, DEBUG, CARGO_*
// with CARGO_CFG_*, CARGO_FEATURE_*, CARGO_PKG_*, CARGO_MANIFEST_LINKS, DEP_* of `links`
// dependencies, OUT_DIR, the C toolchain variables when set). Full key = pre-key + what the
// run read (traced: sources, headers, the C compiler, pkg-config files, variables) + the
// files named by `cargo:rerun-if-changed` (every file of the package when no rerun-if line
// is printed, as cargo does) + the values named by `cargo:rerun-if-env-changed`.
// Outputs: every file in OUT_DIR; stdout (the `cargo:` directives, paths made portable and
// put back on a hit), stderr, the exit code. Not cached, with a reason: a run that failed,
// wrote outside OUT_DIR, or left a symlink in it.
// C compiled by the script is made path-free: CFLAGS/CXXFLAGS (the variables the `cc`
// crate reads) get `-ffile-prefix-map` for the package and target dirs, as rustc gets
// `--remap-path-prefix`.
#pragma once

#include <string>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// The command a launcher runs: `kiln build-script-run REAL [ARGS…]`.
inline constexpr const char* kBuildScriptRunCommand = "build-script-run";

/// Moves the compiled build script at `binary` to `binary + ".kiln-real"` and writes a
/// launcher in its place (mode 755). Errors: the rename or the write failed (cargo then runs
/// the real binary, uncached, as before).
Status install_build_script_launcher(const std::string& binary);

/// `kiln build-script-run REAL [ARGS…]`: runs the build script REAL as a cached action, in
/// the current directory and environment cargo gave the launcher. Returns its exit code.
int run_build_script(const std::vector<std::string>& args);

/// The `cargo:` / `cargo::` directives of a build script's stdout that decide when it reruns.
struct RerunDirectives {
  std::vector<std::string> files;  // rerun-if-changed paths, as printed
  std::vector<std::string> env;    // rerun-if-env-changed names
  bool any() const { return !files.empty() || !env.empty(); }
};

/// Parses a build script's stdout (the Cargo Book, "Outputs of the Build Script").
RerunDirectives parse_rerun_directives(const std::string& stdout_text);

}  // namespace kiln
