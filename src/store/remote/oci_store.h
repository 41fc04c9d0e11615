// OciStore: kiln's store in one repository of an OCI registry (distribution-spec v1.1:
// https://github.com/opencontainers/distribution-spec/blob/v1.1.0/spec.md), e.g. Docker's
// registry, Harbor, Zot, GHCR.
//   URL      oci://[user[:password]@]host[:port]/repository[?tls=on|off]
//            Plain HTTP for loopback hosts (localhost, 127.0.0.0/8, ::1), HTTPS otherwise, as
//            Docker and go-containerregistry default; ?tls=on|off overrides.
//   CAS      blobs of the repository: HEAD/GET /v2/<name>/blobs/sha256:<hex> (GET verified
//            against the digest); upload POST /v2/<name>/blobs/uploads/ → 202 + Location, then
//            PUT <Location>&digest=sha256:<hex> with the whole body (monolithic). A blob the
//            registry already has (HEAD 200) is not sent again; put_blob right after a
//            has_blob that found it missing does not ask again.
//   entries  an artifact manifest tagged with the 64-hex action key:
//              OCI image manifest, artifactType application/vnd.kiln.action.v1,
//              config = the empty descriptor (application/vnd.oci.empty.v1+json, "{}"),
//              layer 0 = ActionResult::encode() bytes, application/vnd.kiln.action-result.v1+protobuf,
//              then one layer per distinct output blob, application/vnd.kiln.output-file.v1
//              (titled with the file name), so that the registry checks the blobs exist when
//              the entry is pushed and its garbage collection keeps them while the tag lives.
//            The entry layer, up to 16 KiB, is also embedded in its descriptor's `data` field
//            (image-spec v1.1), so a lookup is one GET; the blob is always uploaded too.
//   auth     Basic or Bearer token flow (oci/registry_auth.h); credentials from the URL,
//            else from OciOptions (config remote_username/remote_password). Tokens are kept
//            for the next kiln process in OciOptions::auth_cache_dir.
//   TLS      CA bundle from OciOptions (config remote_ca_bundle), else $CURL_CA_BUNDLE, else
//            $SSL_CERT_FILE, else libcurl's default.
//   timeouts connect and request bounded by timeout_ms; blob transfers instead abort when
//            slower than 1 KiB/s for that long. Timeouts come back as timeout_error (health.h).
// The registry protocol itself (blobs, manifests, auth, transport) is oci/registry_client.h;
// this file is kiln's use of it: action entries as artifact manifests.
#pragma once

#include <memory>
#include <optional>
#include <map>
#include <set>
#include <utility>
#include <string>
#include <string_view>

#include "oci/registry_client.h"
#include "store/remote/remote_url.h"
#include "store/store.h"

namespace kiln {

/// Settings of an OciStore that do not come from its URL.
struct OciOptions {
  int timeout_ms = 5000;
  std::string username;   // used when the URL has no userinfo
  std::string password;
  std::string ca_bundle;  // PEM file; "" = $CURL_CA_BUNDLE, $SSL_CERT_FILE, libcurl's default
  /// Directory where tokens (never credentials) are kept between kiln processes, e.g.
  /// KILN_DIR/remote-auth; "" = in memory only. See OciAuth::use_cache_file.
  std::string auth_cache_dir;
  /// Output files go as zstd layers when that pays (store/remote/wire_compression.h).
  bool compress = true;
  /// Directory of the layer-name logs, e.g. KILN_DIR/remote-layers; "" = in memory only.
  /// One file per repository (named by a hash of api_base()), lines
  /// "<content hex> <layer digest hex> <layer size>\n" for every output file this machine's
  /// kiln processes uploaded or read a manifest for, so that `cargo kiln` can give a build
  /// index's pack the layer names of blobs that background stores uploaded (Store::known_wire_names).
  std::string layer_names_dir;
};

/// Media types of kiln's action artifacts.
inline constexpr const char* kOciManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciEmptyMediaType = "application/vnd.oci.empty.v1+json";
inline constexpr const char* kKilnActionArtifactType = "application/vnd.kiln.action.v1";
inline constexpr const char* kKilnActionLayerMediaType = "application/vnd.kiln.action-result.v1+protobuf";
inline constexpr const char* kKilnOutputMediaType = "application/vnd.kiln.output-file.v1";
/// An output file as a zstd frame: the "+zstd" structured suffix, as the image spec's
/// application/vnd.oci.image.layer.v1.tar+zstd. The layer's digest is the frame's (what the
/// registry checks); annotation kKilnContentDigestAnnotation holds the content's.
inline constexpr const char* kKilnOutputZstdMediaType = "application/vnd.kiln.output-file.v1+zstd";
inline constexpr const char* kKilnContentDigestAnnotation = "dev.kiln.content.digest";

/// How an output file travels in a registry when not as its raw bytes: the blob (a zstd frame)
/// and its size.
struct OciWireLayer {
  Digest frame_digest;
  int64_t frame_size = 0;
};

/// The layer an action manifest points to, and how its output files travel.
struct OciActionLayer {
  Digest digest;
  int64_t size = 0;
  std::optional<std::string> data;  // the embedded bytes, already checked against digest/size
  std::map<Digest, OciWireLayer> compressed;  // content digest → its zstd layer
  std::set<Digest> raw;                       // output files listed as their raw bytes
};

/// The manifest JSON of the action entry `result`, whose encoding is `layer_bytes`
/// (annotations name the entry kind and crate for people browsing the registry). Output files
/// found in `compressed` (content digest → frame) are listed as their zstd layers.
std::string make_action_manifest(const ActionResult& result, std::string_view layer_bytes,
                                 const std::map<Digest, OciWireLayer>& compressed = {});

/// Reads an action manifest. nullopt when it is not a kiln action artifact (another
/// artifactType; layer 0 not kiln's entry; other layers not output files, raw or zstd).
/// Errors: not JSON, bad digest, embedded data that does not match its descriptor, a zstd
/// layer without its content digest.
Result<std::optional<OciActionLayer>> parse_action_manifest(std::string_view json);

/// True for a valid distribution-spec repository name ("team/kiln-cache").
bool valid_oci_repository(std::string_view name);

/// Where an oci:// URL points: the registry's "http(s)://host[:port]" and the repository.
struct OciAddress {
  std::string origin;
  std::string repository;
};

/// The address of `url` (scheme oci): HTTPS unless the host is loopback, `?tls=on|off`
/// overriding. Errors: another scheme, a bad repository name, an unknown query parameter.
/// The OCI store and `cargo kiln package --push` both reach registries through it.
Result<OciAddress> oci_address(const RemoteUrl& url);

class OciStore : public Store {
 public:
  /// A store for `url` (scheme oci). Errors: bad repository name, unknown query parameter.
  static Result<std::unique_ptr<OciStore>> create(const RemoteUrl& url, const OciOptions& options);
  ~OciStore() override;
  OciStore(const OciStore&) = delete;
  OciStore& operator=(const OciStore&) = delete;

  std::string name() const override { return name_; }
  Result<std::optional<ActionResult>> get_action(const Digest& key) override;
  Status put_action(const Digest& key, const ActionResult& result) override;
  Result<std::optional<std::string>> get_blob(const Digest& digest) override;
  /// get_blob, keeping the frame of a zstd layer.
  Result<std::optional<FetchedBlob>> fetch_blob(const Digest& digest) override;
  Status put_blob(const Digest& digest, std::string_view data) override;
  Result<bool> has_blob(const Digest& digest) override;
  WireBytes take_wire_bytes() override { return std::exchange(wire_, WireBytes{}); }
  /// With compression on (what this kiln uploads); entries of kilns that sent raw blobs are
  /// still read, their blobs found by their digest.
  bool blobs_named_by_entry() const override { return compress_; }
  bool knows_blob_name(const Digest& digest) const override;
  void learn_wire_names(const WireNames& names) override;
  /// The layer-name log of this repository (OciOptions::layer_names_dir), then what this
  /// process knows; a raw layer as its own digest.
  WireNames known_wire_names() override;

  /// "http(s)://host[:port]/v2/<repository>" — the prefix of every request.
  const std::string& api_base() const { return client_.api_base(); }

  /// What prune removed.
  struct PruneReport {
    uint64_t removed = 0, kept = 0;
  };
  /// Deletes the action entries (tags of 64 hex) created `older_than_s` seconds ago or more
  /// (their EntryMeta's created time: a registry keeps no access time): the manifest by its
  /// digest (DELETE /v2/<name>/manifests/sha256:…), which removes its tag; the registry's
  /// garbage collection then frees the blobs no manifest references. Tags are listed with
  /// GET /v2/<name>/tags/list?n=1000&last=… (distribution-spec pagination). Errors: transport;
  /// a registry that does not allow deletes (405: e.g. docker-registry without
  /// storage.delete.enabled), with that fix.
  Result<PruneReport> prune(int64_t older_than_s);

 private:
  OciStore(const RemoteUrl& url, const OciOptions& options, const OciAddress& address);
  /// Uploads `data` as the blob `digest` unless the registry has it.
  Status put_raw_blob(const Digest& digest, std::string_view data);

  std::string name_;
  RegistryClient client_;  // blobs, manifests, auth (oci/registry_client.h)
  bool empty_config_present_ = false;
  std::set<Digest> seen_absent_;  // blobs a HEAD just found missing: put_blob skips its own HEAD
  bool compress_ = true;
  // Output files that travel as zstd layers: those this process uploaded (for the manifests
  // it writes) and those the manifests it read list (for the blobs it fetches next).
  std::map<Digest, OciWireLayer> compressed_;
  std::set<Digest> raw_named_;  // output files known to be there as their raw bytes
  std::string names_log_;       // this repository's layer-name log; "" = none
  /// Records where the output file `content` is (`layer` = its own digest: raw), and when
  /// `persist` and it is news to this process, appends it to the layer-name log.
  void remember(const Digest& content, const OciWireLayer& layer, bool persist);
  WireBytes wire_;
};

}  // namespace kiln
