// kiln's settings, from four layers, each overriding the one before:
//   1. built-in defaults;
//   2. the user file: $XDG_CONFIG_HOME/kiln/config.toml (else ~/.config/kiln/config.toml);
//   3. the project: [workspace.metadata.kiln] then [package.metadata.kiln] of the workspace
//      root's Cargo.toml, found from the current directory upward;
//   4. the environment: KILN_*.
// Keys (TOML key / environment variable), documented for users in docs/configuration.md and
// by `kiln config --doc` (the table lives in config.cpp):
//   dir / KILN_DIR                     store directory ($XDG_CACHE_HOME/kiln, else ~/.cache/kiln)
//   cache_size / KILN_CACHE_SIZE       local store cap, "10G", "500M" or bytes (10 GiB)
//   remap / KILN_REMAP                 add --remap-path-prefix for path-independent outputs (on)
//   disable / KILN_DISABLE             run rustc directly, count nothing (off)
//   hard_links / KILN_HARD_LINKS       hits hard-link large outputs to the store's blobs (on)
//   remote / KILN_REMOTE               remote store URLs (TOML array; space-separated in env)
//   remote_timeout / KILN_REMOTE_TIMEOUT  bound on remote traffic, ms (5000)
//   upload / KILN_UPLOAD               "all", "dependencies" (never upload workspace crates), "none"
//   remote_username / KILN_REMOTE_USERNAME, remote_password / KILN_REMOTE_PASSWORD
//                                      credentials for remotes whose URL carries none
//   remote_ca_bundle / KILN_REMOTE_CA_BUNDLE  CA certificates (PEM file) for https remotes
//   no_cache / KILN_NO_CACHE           crates kiln leaves alone (TOML array; comma-separated in env)
//   executor / KILN_EXECUTOR           where misses run: "local" or "buildkit"
//   remote_env / KILN_REMOTE_ENV       extra variables a remote executor sends
//   image_apt / KILN_IMAGE_APT         extra Debian packages in the toolchain image
//   sandbox / KILN_SANDBOX             misses without network ("network") or also read-only ("strict")
//   remote_compression / KILN_REMOTE_COMPRESSION  blobs to Redis and OCI remotes: "zstd" or "off"
//   background_store / KILN_BACKGROUND_STORE  store a miss after the wrapper returned: "auto"
//                                      (under `cargo kiln`, which waits for them), "on", "off"
//   linker / KILN_LINKER               "default", "mold" or "lld" for crates that link
//   container_image / KILN_CONTAINER_IMAGE       image for `--container` and `kiln run` (a toolchain image kiln builds)
//   container_base_image / KILN_CONTAINER_BASE_IMAGE  base of that toolchain image (kiln-base:bookworm)
//   container_runtime / KILN_CONTAINER_RUNTIME   "podman", "docker" or a path ("" = choose)
//   container_caches / KILN_CONTAINER_CACHES     cargo's registry and git caches: "auto", "host", "volumes", "off"
//   container_network / KILN_CONTAINER_NETWORK   "none" or "host"
//   container_run_args / KILN_CONTAINER_RUN_ARGS extra arguments for `podman run` / `docker run`
// In Cargo.toml metadata a key may also be spelled with dashes (`container-image`).
// load_config() is on the wrapper's hot path: it reads at most two small TOML files.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln {

/// Effective settings for this process.
struct Config {
  std::string dir;
  bool remap = true;
  bool disabled = false;
  bool hard_links = true;  // hits link large outputs to the store's plain blob files
  uint64_t cache_size_bytes = 10ull << 30;
  std::vector<std::string> remotes;  // URLs, each possibly with a "#read-only"/"#write-only" suffix
  int remote_timeout_ms = 5000;
  std::string upload = "all";  // "all" | "dependencies" | "none"
  std::string remote_username;  // for remotes whose URL has no userinfo ("" = none)
  std::string remote_password;
  std::string remote_ca_bundle;  // PEM file for https remotes ("" = CURL_CA_BUNDLE, SSL_CERT_FILE, system)
  std::vector<std::string> no_cache;  // package or crate names never cached
  std::string executor = "local";     // where misses run: "local" | "buildkit" (exec/executor.h)
  std::vector<std::string> remote_env;  // extra variables a remote executor may send
  std::vector<std::string> image_apt;   // extra Debian packages in the toolchain image
  std::string sandbox = "off";        // "off" | "network" | "strict"
  std::string remote_compression = "zstd";  // "zstd" | "off" (store/remote/wire_compression.h)
  std::string background_store = "auto";  // "auto" | "on" | "off" (core/background_store.h)
  std::string linker = "default";  // "default" | "mold" | "lld" (rustc/linker_choice.h)
  // Containers (container/): "" image = the toolchain image kiln builds for this toolchain.
  std::string container_image;
  std::string container_base_image = "kiln-base:bookworm";
  std::string container_runtime;          // "" = choose (container/runtime.h)
  std::string container_caches = "auto";  // "auto" | "host" | "volumes" | "off"
  std::string container_network = "none";  // "none" | "host"
  std::vector<std::string> container_run_args;
};

/// What load_config reads besides files: the environment, the current directory and the
/// directory of the parent process (cargo). Tests substitute their own.
struct ConfigInputs {
  /// Value of an environment variable; nullopt when unset.
  std::function<std::optional<std::string>(const std::string&)> env;
  std::string cwd;
  /// Current directory of the process that started this one ("" = unknown). Used to find the
  /// workspace when the wrapper compiles a downloaded package (cargo runs rustc in its dir).
  std::string parent_cwd;

  /// The real environment, getcwd() and /proc/<ppid>/cwd.
  static ConfigInputs from_process();
};

/// The settings with, for each key, where its value came from.
struct ConfigReport {
  Config config;
  /// Key name → origin: "default", "user file PATH", "PATH [workspace.metadata.kiln]",
  /// "PATH [package.metadata.kiln]", "env KILN_…".
  std::map<std::string, std::string> origin;
  std::string user_file;      // the user file's path (whether or not it exists)
  bool user_file_found = false;
  std::string cargo_toml;     // the Cargo.toml read for layer 3 ("" = none found)
  std::vector<std::string> warnings;  // unreadable files, unknown keys, bad values (ignored)
};

/// One documented key: TOML name, environment variable, value syntax, default, meaning.
struct ConfigKeyDoc {
  std::string name;
  std::string env;
  std::string syntax;
  std::string default_text;
  std::string doc;
  bool secret = false;  // printed masked
};

/// Computes the settings and their origins from `in`. Never fails: a bad file or value is
/// reported in `warnings` and that file or value is ignored.
ConfigReport explain_config(const ConfigInputs& in);

/// True when kiln must leave an action alone: `cfg.no_cache` names one of `names` (the crate
/// and its package), or the package at `manifest_path` opts out itself (package_opts_out;
/// its CARGO_HOME from the environment).
bool cache_opted_out(const Config& cfg, const std::vector<std::string>& names, const std::string& manifest_path);

/// True when the package whose manifest is `manifest_path` opts out of caching itself:
/// `[package.metadata.kiln] cache = false`. Downloaded packages (under `cargo_home`'s
/// registry or git dirs, or vendored) never do. A file that cannot be read or parsed: false
/// (cargo reports it).
bool package_opts_out(const std::string& manifest_path, const std::string& cargo_home);

/// The settings of this process (explain_config of the real inputs); prints each warning as
/// one "kiln: warning: …" line on stderr.
Config load_config();

/// All keys, in display order.
const std::vector<ConfigKeyDoc>& config_key_docs();

/// The effective value of `key` in TOML syntax, credentials masked (see mask_url_credentials;
/// a password prints as "****").
std::string config_value_text(const Config& c, const std::string& key);

/// `url` with the password of its userinfo replaced by "****"
/// ("oci://u:secret@h/r" → "oci://u:****@h/r"); unchanged when it has none.
std::string mask_url_credentials(const std::string& url);

/// Parses a size such as "10G", "500M", "1024K", "123" (bytes; binary units). 0 on bad input.
uint64_t parse_size(const std::string& text);

/// A size in bytes as the shortest exact "NT"/"NG"/"NM"/"NK"/"N" text.
std::string format_size(uint64_t bytes);

}  // namespace kiln
