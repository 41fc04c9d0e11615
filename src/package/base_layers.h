// The base of a packaged image: its config and layers, as an OCI image layout on disk.
//
// A base is named as skopeo names images (https://github.com/containers/skopeo): an image in
// the local podman store (`containers-storage:NAME`), in docker's (`docker-daemon:NAME:TAG`),
// an OCI layout (`oci:DIR[:REF]`), an OCI or Docker archive (`oci-archive:FILE`,
// `docker-archive:FILE`), or a bare name looked up in the container runtime kiln would use
// (container/runtime.h). kiln copies it once with `skopeo copy` into an OCI layout under
// <store>/package/bases/, keyed by the image's ID (for files: path, size, mtime), and then
// uses its layers unchanged — the same bytes, the same digests. `scratch` is no base at all.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "util/expected.h"

namespace kiln {

/// A blob of an OCI layout: its descriptor and where its bytes are.
struct LayoutBlob {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  int64_t size = 0;    // bytes
  std::string path;    // file holding it
};

/// A base image, ready to build on.
struct BaseImage {
  std::string ref;         // as the user named it ("scratch" for none)
  std::string id;          // what identifies its content (image ID, or file identity)
  nlohmann::json config;   // its image config (an empty one for scratch)
  std::vector<LayoutBlob> layers;
  bool scratch() const { return ref == "scratch"; }
};

/// Loads `ref` (see above), copying it into `cache_dir` when not there yet. `say` gets a
/// progress line when a copy runs. Errors: the image does not exist (with where kiln
/// looked), skopeo is missing or fails, the layout is not one kiln can read.
Result<BaseImage> load_base_image(const std::string& ref, const Config& cfg, const std::string& cache_dir,
                                  const std::function<void(const std::string&)>& say);

}  // namespace kiln
