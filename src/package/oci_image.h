// An OCI image made from a base and one new layer, written as an image layout archive.
//
// image-spec 1.1 (https://github.com/opencontainers/image-spec/blob/v1.1.0/image-layout.md):
// the archive is a tar holding `oci-layout`, `index.json` and `blobs/sha256/…`; it also holds a
// Docker `manifest.json` naming the same config and layer blobs, which `docker load` (20.10
// reads only that) needs, while podman, skopeo and umoci read the OCI files. The base's
// layers are kept as they are; the new layer (gzip, `application/vnd.oci.image.layer.v1.tar+gzip`)
// holds the files the caller lists, with their parent directories. Reproducible: entries
// sorted, owner 0:0, every mtime and `created` from `epoch`, gzip without timestamps, JSON
// with sorted keys — the same inputs give the same manifest digest.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "package/base_layers.h"
#include "util/expected.h"

namespace kiln {

/// A file of the new layer: where its content is on the host, where it goes in the image.
struct ImageFile {
  std::string source;  // host path
  std::string dest;    // absolute path in the image ("/usr/local/bin/rg")
  unsigned mode = 0644;
};

/// What the image's config says beyond the base's (empty fields keep the base's).
struct ImageSettings {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "NAME=value", replacing the base's NAME
  std::string workdir;
  std::string user;
  std::vector<std::string> ports;  // "8080", "53/udp"
  std::map<std::string, std::string> labels;
};

/// An image ready to be written or pushed.
struct BuiltImage {
  std::string manifest_json, config_json;
  std::string manifest_digest, config_digest;  // "sha256:<hex>"
  std::vector<LayoutBlob> layers;              // base's, then the new one
  std::string config_path;                     // file holding config_json
};

/// Builds the image: the new layer and config in `work_dir`. `epoch` is seconds since 1970.
/// Errors: a file cannot be read, the disk is full.
Result<BuiltImage> build_oci_image(const BaseImage& base, const std::vector<ImageFile>& files,
                                   const ImageSettings& settings, int64_t epoch, const std::string& work_dir);

/// Writes `image` as an OCI layout archive (plus manifest.json) at `output`, naming it `tag`
/// ("rg:13.0.0"). Written beside `output` first and renamed: no partial archive is left.
/// Errors: the directory is not writable, the disk is full.
Status write_oci_archive(const BuiltImage& image, const std::string& tag, int64_t epoch, const std::string& output);

/// What a push did.
struct PushReport {
  std::string digest;  // the manifest's, "sha256:<hex>"
  int uploaded = 0, skipped = 0;
};

/// Pushes `image` to `url` ("oci://host[:port]/repository[:tag]", ?tls=on|off; plain HTTP
/// for loopback hosts) with the OCI store's registry client and credentials
/// (remote_username / remote_password, or the URL's userinfo), uploading only blobs the
/// registry lacks. The tag defaults to `default_tag`. Errors: a bad URL, the registry refuses.
Result<PushReport> push_oci_image(const BuiltImage& image, const std::string& url, const std::string& default_tag,
                                  const Config& cfg);

/// RFC 3339 UTC time of `epoch` ("2026-12-01T21:00:00Z").
std::string rfc3339(int64_t epoch);

}  // namespace kiln
