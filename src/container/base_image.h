// A base image made offline: nothing here can pull from a registry, so kiln makes one from
// Debian's archive the way Debian's own images are made: `debootstrap --variant=minbase`
// into a directory, packed as a tar, imported with `podman import` / `docker import`. The
// packages a Rust build needs come with it (gcc, libc6-dev, pkg-config, ca-certificates,
// git, mold, lld, libcurl4), so the toolchain image built on it fetches nothing.
// Needs root and debootstrap (apt-get install debootstrap); ~1 min and ~700 MB.
#pragma once

#include <functional>
#include <string>

#include "container/runtime.h"
#include "util/expected.h"

namespace kiln {

/// How to make the base.
struct BaseImageRequest {
  std::string tag = "kiln-base:bookworm";
  std::string suite = "bookworm";
  std::string mirror = "http://deb.debian.org/debian";
  /// The root file system as a tar: reused when it exists, else written there (a cache for
  /// tests and CI; "" = a temporary file).
  std::string rootfs_tar;
  std::string work_dir;  // for the temporary root file system
};

/// The packages debootstrap adds to minbase.
const char* base_image_packages();

/// Makes `req.tag` in `rt`'s image store. `say` gets progress lines. Errors: not root,
/// debootstrap missing or failing (its last line), the import failing.
Status build_base_image(const ContainerRuntime& rt, const BaseImageRequest& req,
                        const std::function<void(const std::string&)>& say);

}  // namespace kiln
