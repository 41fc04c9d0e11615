// The toolchain image: a base image plus the host's own Rust toolchain, so that a compilation
// in a container has the same toolchain identity (rustc -vV and the sysroot's library digests,
// rustc/toolchain.h) as on the host, and its action keys are the same.
//
// kiln writes a Containerfile and a build context holding the host toolchain's bin/, lib/,
// libexec/ and etc/ (hard links where the file system allows; not share/doc), at
// /usr/local/rust in the image; the toolchain's clippy, rustfmt and cargo subcommands come
// with it. A RUN step installs what crates commonly need that the base lacks (cc and libc
// headers, pkg-config, CA certificates, git, mold, lld, libcurl for kiln's remotes) from the
// base's apt sources; bases made by `kiln image build-base` have them all, so nothing is
// fetched. The image's tag names the rustc release and a digest of (toolchain identity, base
// image ID, Containerfile): kiln-toolchain:1.95.0-<12 hex>. Nothing here pulls from a
// registry: the base must be in the runtime's image store (base_image.h makes one offline).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "container/runtime.h"
#include "util/digest.h"
#include "util/expected.h"

namespace kiln {

/// The host's toolchain, as the image is made from it.
struct HostToolchain {
  std::string sysroot;          // `rustc --print sysroot`
  std::string release;          // "1.95.0" (from `rustc -vV`)
  std::string version_verbose;  // `rustc -vV`
  Digest identity;              // Toolchain::identity()
};

/// The toolchain cargo would use here ($RUSTC or rustc on PATH), identified through the
/// toolchain cache in `store_dir`. Errors: rustc cannot be run or its sysroot read.
Result<HostToolchain> find_host_toolchain(const std::string& store_dir);

/// The Containerfile for `base` and `tc` (no `# syntax=` line: it would pull a frontend), with
/// the Debian packages `extra_apt` (config `image_apt`) installed when the base lacks them.
std::string toolchain_containerfile(const std::string& base, const HostToolchain& tc,
                                    const std::vector<std::string>& extra_apt = {});

/// kiln-toolchain:<release>-<12 hex of (identity, base_id, containerfile)>.
std::string toolchain_image_tag(const HostToolchain& tc, const std::string& base_id, const std::string& containerfile);

/// Builds the toolchain image from `base` with `rt` (network host for the RUN step, in case
/// the base lacks packages), tags it `tag` ("" = toolchain_image_tag) and returns the tag.
/// `work_dir` holds the temporary build context. `say` gets progress lines; with `verbose`
/// the build's own output goes to stderr. Errors: the base is missing (with the fix), the
/// context cannot be made, the build failed (its last lines).
Result<std::string> build_toolchain_image(const ContainerRuntime& rt, const std::string& base, const HostToolchain& tc,
                                          const std::string& tag, const std::string& work_dir, bool verbose,
                                          const std::function<void(const std::string&)>& say,
                                          const std::vector<std::string>& extra_apt = {});

/// The image `cargo kiln --container` uses when none is configured: the toolchain image for
/// this host's toolchain and `base`, built first when the runtime does not have it.
/// Errors: as build_toolchain_image.
Result<std::string> default_toolchain_image(const ContainerRuntime& rt, const std::string& base,
                                            const std::string& store_dir, bool verbose,
                                            const std::function<void(const std::string&)>& say,
                                            const std::vector<std::string>& extra_apt = {});

}  // namespace kiln
