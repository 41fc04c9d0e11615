// The protocol between `cargo kiln` and the kiln processes cargo starts under it (wrappers,
// build-script launchers): a few environment variables that `cargo kiln` sets before it runs
// cargo, read here and nowhere else.
//   KILN_SESSION        an id of this `cargo kiln` run (stats events, one warning per build)
//   KILN_INDEX_FILE     a file each action appends the keys it used to (the build index)
//   KILN_PREFETCH_DIR   where the build index prefetch leaves "entry arrived" marks
//   KILN_WARNINGS_FILE  warnings go here, printed once by `cargo kiln` after cargo ends
#pragma once

#include <string>

namespace kiln {

/// The session variables as this process received them ("" = unset).
struct SessionEnv {
  std::string session;
  std::string index_file;
  std::string prefetch_dir;
  std::string warnings_file;
};

/// The names of the variables, for `cargo kiln`, which sets them.
inline constexpr const char* kSessionVar = "KILN_SESSION";
inline constexpr const char* kIndexFileVar = "KILN_INDEX_FILE";
inline constexpr const char* kPrefetchDirVar = "KILN_PREFETCH_DIR";
inline constexpr const char* kWarningsFileVar = "KILN_WARNINGS_FILE";

/// This process's session variables, read from the environment each call (`cargo kiln`
/// itself changes them while it runs; a wrapper reads them once).
SessionEnv session_env();

}  // namespace kiln
