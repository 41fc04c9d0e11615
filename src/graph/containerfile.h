// The crate graph of a build as one multi-stage Containerfile (`cargo kiln containerfile`).
//
// Each action of the build (graph/action_log.h) becomes a stage FROM the toolchain image whose
// one RUN step runs the action's command with its environment at the host's paths, as the
// BuildKit executor does (exec/buildkit/remote_context.h), and sees exactly its inputs:
//   - its sources from the build context: a workspace member's package dir (the root
//     package: each top-level entry but target/ and .git), a registry crate's from the
//     vendor dir the command fills (kiln-vendor/<package dir name>);
//   - each file an earlier stage made that it uses, mounted from that stage
//     (RUN --mount=type=bind,from=sN,source=F,target=F): its externs, the crates they depend
//     on (found through `-L dependency=`: .rmeta, and .rlib when it links), the native
//     libraries of `-L native=` dirs, the OUT_DIR of its build-script run, files named by
//     DEP_* variables, and for a build-script run the compiled script;
//   - the toolchain, mounted from the image at the host's sysroot path.
// So BuildKit's cache is as fine as the crate graph: a stage reruns only when one of its own
// inputs changed. A last stage FROM scratch holds the binary, for `docker build -o DIR`.
// No `# syntax=` line: the daemon's built-in frontend has RUN --mount.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "graph/action_log.h"
#include "util/expected.h"

namespace kiln {

/// What the Containerfile is made for.
struct ContainerfileRequest {
  std::vector<LoggedAction> actions;  // in log order
  std::string workspace_root;         // the build context's host path
  std::string image;                  // the toolchain image
  std::string sysroot;                // the host's sysroot (the image's /usr/local/rust is mounted there)
  std::string binary;                 // crate name of the bin whose binary the last stage holds
  std::string vendor_dir = "kiln-vendor";  // relative to workspace_root
};

/// The Containerfile, and the package dirs to copy into the vendor dir (host dir → path
/// relative to the workspace root).
struct Containerfile {
  std::string text;
  std::map<std::string, std::string> vendor;
  int stages = 0;
};

/// Builds the Containerfile from the actions and the outputs they left on disk. Errors: no
/// action builds `binary`; an action's output cannot be found.
Result<Containerfile> make_containerfile(const ContainerfileRequest& request);

}  // namespace kiln
