// Layered settings (see config.h): defaults < user config.toml < Cargo.toml metadata < KILN_*.
// TOML is parsed with toml++ (https://marzer.github.io/tomlplusplus/, TOML v1.0.0).
// Finding the project's Cargo.toml follows cargo's own search (a package's workspace root is
// the nearest Cargo.toml above it with a [workspace] table), with one safety rule: a
// downloaded package (registry, git checkout, vendored directory source) never configures
// kiln — a dependency must not be able to point a build at its own remote store.
#include "config/config.h"

#include <algorithm>

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <toml++/toml.h>

#include "util/expected.h"
#include "util/fs.h"
#include "util/log.h"

namespace kiln {
namespace {

// A setting's value as found in a file or the environment, before its key interprets it.
struct RawValue {
  enum Kind { Str, Int, Bool, List } kind = Str;
  std::string s;
  int64_t i = 0;
  bool b = false;
  std::vector<std::string> list;
};

// Where a layer's values come from: relative paths in files are relative to the file's dir.
struct Layer {
  std::string origin;
  std::string base_dir;  // "" for the environment
  std::string home;
};

using Apply = Status (*)(Config&, const RawValue&, const Layer&);

struct KeyDef {
  ConfigKeyDoc doc;
  Apply apply;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

Result<bool> as_bool(const RawValue& v) {
  if (v.kind == RawValue::Bool) return v.b;
  if (v.kind == RawValue::Str) {
    std::string t = lower(v.s);
    if (t == "1" || t == "true" || t == "yes" || t == "on") return true;
    if (t == "0" || t == "false" || t == "no" || t == "off") return false;
  }
  return make_error("expected true/false (or on/off, 1/0)");
}

Result<std::string> as_string(const RawValue& v) {
  if (v.kind != RawValue::Str) return make_error("expected a string");
  return v.s;
}

// "~/x" → $HOME/x; a relative path in a file → relative to the file's directory.
Result<std::string> as_path(const RawValue& v, const Layer& layer) {
  auto s = as_string(v);
  if (!s) return s;
  std::string p = *s;
  if (p.empty()) return make_error("expected a path, got an empty string");
  if ((p == "~" || p.rfind("~/", 0) == 0) && !layer.home.empty()) p = layer.home + p.substr(1);
  if (p[0] != '/' && !layer.base_dir.empty()) p = absolute_path(p, layer.base_dir);
  return p;
}

Status apply_dir(Config& c, const RawValue& v, const Layer& l) {
  auto p = as_path(v, l);
  if (!p) return p.error();
  c.dir = *p;
  return {};
}

Status apply_cache_size(Config& c, const RawValue& v, const Layer&) {
  uint64_t n = 0;
  if (v.kind == RawValue::Int && v.i > 0) n = static_cast<uint64_t>(v.i);
  else if (v.kind == RawValue::Str) n = parse_size(v.s);
  if (n == 0) return make_error("expected a size such as \"10G\", \"500M\" or a number of bytes");
  c.cache_size_bytes = n;
  return {};
}

Status apply_remap(Config& c, const RawValue& v, const Layer&) {
  auto b = as_bool(v);
  if (!b) return b.error();
  c.remap = *b;
  return {};
}

Status apply_hard_links(Config& c, const RawValue& v, const Layer&) {
  auto b = as_bool(v);
  if (!b) return b.error();
  c.hard_links = *b;
  return {};
}

Status apply_disable(Config& c, const RawValue& v, const Layer&) {
  auto b = as_bool(v);
  if (!b) return b.error();
  c.disabled = *b;
  return {};
}

Status apply_remote(Config& c, const RawValue& v, const Layer&) {
  if (v.kind == RawValue::List) c.remotes = v.list;
  else if (v.kind == RawValue::Str) c.remotes = split_ws(v.s);
  else return make_error("expected an array of URLs");
  return {};
}

Status apply_remote_timeout(Config& c, const RawValue& v, const Layer&) {
  int64_t n = 0;
  if (v.kind == RawValue::Int) n = v.i;
  else if (v.kind == RawValue::Str && !v.s.empty() && v.s.size() < 10 &&
           v.s.find_first_not_of("0123456789") == std::string::npos)
    n = std::atoll(v.s.c_str());
  if (n <= 0 || n > 24 * 3600 * 1000) return make_error("expected a number of milliseconds");
  c.remote_timeout_ms = static_cast<int>(n);
  return {};
}

Status apply_upload(Config& c, const RawValue& v, const Layer&) {
  if (v.kind != RawValue::Str || (v.s != "all" && v.s != "dependencies" && v.s != "none"))
    return make_error("expected \"all\", \"dependencies\" or \"none\"");
  c.upload = v.s;
  return {};
}

Status apply_username(Config& c, const RawValue& v, const Layer&) {
  auto s = as_string(v);
  if (!s) return s.error();
  c.remote_username = *s;
  return {};
}

Status apply_password(Config& c, const RawValue& v, const Layer&) {
  auto s = as_string(v);
  if (!s) return s.error();
  c.remote_password = *s;
  return {};
}

// A list of names: a TOML array, or comma- or space-separated in the environment.
Result<std::vector<std::string>> name_list(const RawValue& v, const std::string& what) {
  std::vector<std::string> names;
  if (v.kind == RawValue::List) return v.list;
  if (v.kind != RawValue::Str) return make_error("expected " + what + " (an array; comma-separated in the env)");
  std::string cur;
  for (char ch : v.s + ",") {
    if (ch == ',' || ch == ' ') {
      if (!cur.empty()) names.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  return names;
}

Status apply_no_cache(Config& c, const RawValue& v, const Layer&) {
  auto names = name_list(v, "crate names");
  if (!names) return names.error();
  c.no_cache = *names;
  return {};
}

Status apply_remote_env(Config& c, const RawValue& v, const Layer&) {
  auto names = name_list(v, "variable names");
  if (!names) return names.error();
  c.remote_env = *names;
  return {};
}

Status apply_image_apt(Config& c, const RawValue& v, const Layer&) {
  auto names = name_list(v, "Debian package names");
  if (!names) return names.error();
  for (const auto& n : *names)
    if (n.empty() || n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789+-.:") != std::string::npos)
      return make_error("'" + n + "' is not a Debian package name");
  c.image_apt = *names;
  return {};
}

Status apply_executor(Config& c, const RawValue& v, const Layer&) {
  if (v.kind != RawValue::Str || (v.s != "local" && v.s != "buildkit"))
    return make_error("expected \"local\" or \"buildkit\"");
  c.executor = v.s;
  return {};
}

Status apply_sandbox(Config& c, const RawValue& v, const Layer&) {
  if (v.kind != RawValue::Str || (v.s != "off" && v.s != "network" && v.s != "strict"))
    return make_error("expected \"off\", \"network\" or \"strict\"");
  c.sandbox = v.s;
  return {};
}

// A word setting that also takes a bool: true/on/1/yes mean `yes`, false/off/0/no mean `no`;
// otherwise one of `words`. Errors: anything else, naming the accepted words.
Result<std::string> choice_or_bool(const RawValue& v, const std::string& yes, const std::string& no,
                                   const std::vector<std::string>& words) {
  std::string t = v.kind == RawValue::Bool ? (v.b ? yes : no) : v.kind == RawValue::Str ? lower(v.s) : "";
  if (t == "1" || t == "true" || t == "yes" || t == "on") t = yes;
  if (t == "0" || t == "false" || t == "no" || t == "off" || t == "none") t = no;
  if (std::find(words.begin(), words.end(), t) != words.end()) return t;
  std::string expected;
  for (size_t i = 0; i < words.size(); ++i)
    expected += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + ("\"" + words[i] + "\"");
  return make_error("expected " + expected);
}

Status apply_remote_compression(Config& c, const RawValue& v, const Layer&) {
  auto t = choice_or_bool(v, "zstd", "off", {"zstd", "off"});
  if (!t) return t.error();
  c.remote_compression = *t;
  return {};
}

Status apply_background_store(Config& c, const RawValue& v, const Layer&) {
  auto t = choice_or_bool(v, "on", "off", {"auto", "on", "off"});
  if (!t) return t.error();
  c.background_store = *t;
  return {};
}

Status apply_linker(Config& c, const RawValue& v, const Layer&) {
  if (v.kind != RawValue::Str || (v.s != "default" && v.s != "mold" && v.s != "lld"))
    return make_error("expected \"default\", \"mold\" or \"lld\"");
  c.linker = v.s;
  return {};
}

Status apply_container_image(Config& c, const RawValue& v, const Layer&) {
  auto s = as_string(v);
  if (!s) return s.error();
  c.container_image = *s;
  return {};
}

Status apply_container_base_image(Config& c, const RawValue& v, const Layer&) {
  auto s = as_string(v);
  if (!s) return s.error();
  if (s->empty()) return make_error("expected an image reference");
  c.container_base_image = *s;
  return {};
}

Status apply_container_runtime(Config& c, const RawValue& v, const Layer& l) {
  auto s = as_string(v);
  if (!s) return s.error();
  if (!s->empty() && *s != "podman" && *s != "docker" && s->find('/') == std::string::npos)
    return make_error("expected \"podman\", \"docker\" or a program's path");
  if (s->find('/') != std::string::npos) {
    auto p = as_path(v, l);
    if (!p) return p.error();
    c.container_runtime = *p;
  } else {
    c.container_runtime = *s;
  }
  return {};
}

Status apply_container_caches(Config& c, const RawValue& v, const Layer&) {
  auto t = choice_or_bool(v, "auto", "off", {"auto", "host", "volumes", "off"});
  if (!t) return t.error();
  c.container_caches = *t;
  return {};
}

Status apply_container_network(Config& c, const RawValue& v, const Layer&) {
  if (v.kind != RawValue::Str || (v.s != "none" && v.s != "host"))
    return make_error("expected \"none\" or \"host\" (kiln never uses a bridge network)");
  c.container_network = v.s;
  return {};
}

Status apply_container_run_args(Config& c, const RawValue& v, const Layer&) {
  std::vector<std::string> args;
  if (v.kind == RawValue::List) {
    args = v.list;
  } else if (v.kind == RawValue::Str) {
    std::string cur;
    for (char ch : v.s + " ") {
      if (ch == ' ' || ch == '\t') {
        if (!cur.empty()) args.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    }
  } else {
    return make_error("expected arguments (an array; space-separated in the env)");
  }
  c.container_run_args = args;
  return {};
}

Status apply_ca_bundle(Config& c, const RawValue& v, const Layer& l) {
  auto p = as_path(v, l);
  if (!p) return p.error();
  c.remote_ca_bundle = *p;
  return {};
}

const std::vector<KeyDef>& key_defs() {
  static const std::vector<KeyDef> defs = {
      {{"dir", "KILN_DIR", "path", "$XDG_CACHE_HOME/kiln, else ~/.cache/kiln",
        "The local store: action entries, blobs, stats. \"~/\" is the home directory; a relative "
        "path in a file is relative to that file's directory."},
       apply_dir},
      {{"cache_size", "KILN_CACHE_SIZE", "size: \"10G\", \"500M\", \"64K\" or bytes", "10G",
        "Cap on the local store; kiln evicts entries to stay under it (binary units)."},
       apply_cache_size},
      {{"remap", "KILN_REMAP", "bool (on/off, true/false, 1/0)", "on",
        "Add --remap-path-prefix for the workspace, package and target directories so that "
        "outputs carry no machine path and hit from any checkout. Off: keys include the paths."},
       apply_remap},
      {{"disable", "KILN_DISABLE", "bool", "off",
        "Run rustc directly: no lookup, no store, no stats."},
       apply_disable},
      {{"hard_links", "KILN_HARD_LINKS", "bool", "on",
        "A hit restores each output of 32 KiB or more as a hard link to the local store's copy "
        "(checked first; docs/architecture.md, Stores). Off: outputs are copied."},
       apply_hard_links},
      {{"remote", "KILN_REMOTE", "array of URLs (space-separated in the env)", "[]",
        "Remote stores, searched in order after the local store: http(s)://host/prefix (Bazel "
        "HTTP cache), redis://host:port, oci://host[:port]/repository (OCI registry; "
        "oci+http:// for plain HTTP). Append \"#read-only\" or \"#write-only\" to a URL to use "
        "it one way only. KILN_REMOTE set to an empty value turns remotes off."},
       apply_remote},
      {{"remote_timeout", "KILN_REMOTE_TIMEOUT", "milliseconds", "5000",
        "Bound on remote traffic: connect/request timeout; a remote that times out is not "
        "asked again during the build."},
       apply_remote_timeout},
      {{"upload", "KILN_UPLOAD", "\"all\", \"dependencies\" or \"none\"", "all",
        "What goes to write-enabled remotes: every result; only crates that are not "
        "workspace members (registry, git and path dependencies outside the workspace); or "
        "nothing (every remote read-only)."},
       apply_upload},
      {{"remote_username", "KILN_REMOTE_USERNAME", "string", "(none)",
        "User name for remotes whose URL has no userinfo (Basic auth; for OCI registries also "
        "the credentials sent to the token endpoint)."},
       apply_username},
      {{"remote_password", "KILN_REMOTE_PASSWORD", "string", "(none)",
        "Password or token that goes with remote_username. Prefer the user file or the "
        "environment over a committed Cargo.toml. Printed masked.",
        true},
       apply_password},
      {{"no_cache", "KILN_NO_CACHE", "array of crate names (comma-separated in the env)", "[]",
        "Crates never looked up nor stored: rustc runs for them as without kiln (a package "
        "name or its crate name). A package can also opt out itself with `cache = false` in "
        "its own [package.metadata.kiln]."},
       apply_no_cache},
      {{"executor", "KILN_EXECUTOR", "\"local\" or \"buildkit\"", "local",
        "Where a miss runs: \"local\" (a child process of the wrapper), or \"buildkit\": one "
        "BuildKit build per miss on the daemon DOCKER_HOST names (unix socket, tcp:// or "
        "ssh://user@host), in the toolchain image, without network; a daemon that is down means a "
        "warning and local runs (docs/remote-execution.md)."},
       apply_executor},
      {{"remote_env", "KILN_REMOTE_ENV", "array of variable names (comma-separated in the env)", "[]",
        "Variables a remote executor may send besides those cargo and the C toolchain use "
        "(CARGO_*, RUST*, DEP_*, CC, CFLAGS, PKG_CONFIG_*, …). A miss that reads a variable set "
        "here but not sent runs locally instead."},
       apply_remote_env},
      {{"image_apt", "KILN_IMAGE_APT", "array of Debian package names", "[]",
        "Extra Debian packages in the toolchain image (installed once, when the image is made; "
        "the image's tag changes with them). Also `image-apt` in [workspace.metadata.kiln]."},
       apply_image_apt},
      {{"sandbox", "KILN_SANDBOX", "\"off\", \"network\" or \"strict\"", "off",
        "Run misses (compilations and build scripts) in bubblewrap: without network "
        "(\"network\"), or also on a read-only file system except their outputs, OUT_DIR and a "
        "private /tmp (\"strict\"). A sandbox that cannot start stops the build with the reason. "
        "Keys do not depend on it."},
       apply_sandbox},
      {{"remote_compression", "KILN_REMOTE_COMPRESSION", "\"zstd\" or \"off\"", "zstd",
        "How blobs travel to Redis and OCI remotes: as zstd frames (level 1) when that saves 10 % "
        "or more, else raw; \"off\": always raw. Reading accepts both either way, and checks "
        "the content's SHA-256. HTTP remotes always get raw bytes (the Bazel protocol's /cas/)."},
       apply_remote_compression},
      {{"background_store", "KILN_BACKGROUND_STORE", "\"auto\", \"on\" or \"off\"", "auto",
        "Store a miss's outputs (compress, digest, write, upload) in a background process, so "
        "that cargo goes on as soon as rustc has finished. \"auto\": under `cargo kiln`, which "
        "counts them at once and waits for them at the end only with remotes or on CI; a bare RUSTC_WRAPPER=kiln stores before it "
        "returns, so a script that copies the store afterwards finds everything. \"on\" "
        "everywhere (then `kiln cache wait` waits for pending stores), \"off\" nowhere."},
       apply_background_store},
      {{"remote_ca_bundle", "KILN_REMOTE_CA_BUNDLE", "path (PEM)", "$CURL_CA_BUNDLE, else $SSL_CERT_FILE, else the system's",
        "CA certificates that https remotes must chain to (e.g. a private registry's CA)."},
       apply_ca_bundle},
      {{"linker", "KILN_LINKER", "\"default\", \"mold\" or \"lld\"", "default",
        "Linker for crates that link (bins, dylibs, cdylibs, proc-macros, tests): kiln adds "
        "-C link-arg=-fuse-ld=mold (or lld) unless the crate chose a linker itself. Part of the "
        "key, with the linker's binary. A linker that is not installed: a warning, the default one."},
       apply_linker},
      {{"container_image", "KILN_CONTAINER_IMAGE", "image reference", "(the toolchain image)",
        "Image that `cargo kiln --container` and `kiln run` use. Unset: the toolchain image kiln "
        "builds from container_base_image and the host's toolchain (`kiln image build-toolchain`; "
        "built on first use). Also `container-image` in [workspace.metadata.kiln]."},
       apply_container_image},
      {{"container_base_image", "KILN_CONTAINER_BASE_IMAGE", "image reference", "kiln-base:bookworm",
        "Base of the toolchain image: a Debian-like image whose glibc is at least the host's. "
        "`kiln image build-base` makes kiln-base:bookworm offline from Debian's archive."},
       apply_container_base_image},
      {{"container_runtime", "KILN_CONTAINER_RUNTIME", "\"podman\", \"docker\" or a path", "(choose)",
        "Container runtime. Unset: docker first when DOCKER_HOST is set, else podman, then docker; "
        "CONTAINER_HOST makes podman talk to that service."},
       apply_container_runtime},
      {{"container_caches", "KILN_CONTAINER_CACHES", "\"auto\", \"host\", \"volumes\" or \"off\"", "auto",
        "cargo's registry and git caches in a container: the host's ~/.cargo/registry and "
        "~/.cargo/git (\"host\"), named volumes kiln-cargo-registry and kiln-cargo-git "
        "(\"volumes\"), or none; \"auto\": each from the host when it exists there, else its volume."},
       apply_container_caches},
      {{"container_network", "KILN_CONTAINER_NETWORK", "\"none\" or \"host\"", "none",
        "Network of a container run. \"none\" keeps builds hermetic (dependencies must be "
        "fetched or vendored already); \"host\" is needed to fetch."},
       apply_container_network},
      {{"container_run_args", "KILN_CONTAINER_RUN_ARGS", "array of arguments (space-separated in the env)", "[]",
        "Extra arguments for `podman run` / `docker run`, before the image."},
       apply_container_run_args},
  };
  return defs;
}

const KeyDef* find_key(std::string name) {
  std::replace(name.begin(), name.end(), '-', '_');  // `container-image` in Cargo.toml
  for (const auto& d : key_defs())
    if (d.doc.name == name) return &d;
  return nullptr;
}

// Converts a TOML value to a RawValue; an Error for tables and mixed or non-string arrays.
Result<RawValue> from_toml(const toml::node& node) {
  RawValue v;
  if (auto s = node.as_string()) {
    v.kind = RawValue::Str;
    v.s = s->get();
  } else if (auto i = node.as_integer()) {
    v.kind = RawValue::Int;
    v.i = i->get();
  } else if (auto b = node.as_boolean()) {
    v.kind = RawValue::Bool;
    v.b = b->get();
  } else if (auto a = node.as_array()) {
    v.kind = RawValue::List;
    for (const auto& e : *a) {
      auto es = e.as_string();
      if (!es) return make_error("expected an array of strings");
      v.list.push_back(es->get());
    }
  } else {
    return make_error("unsupported value type");
  }
  return v;
}

void apply_table(ConfigReport& r, const toml::table& table, const Layer& layer, const std::string& where) {
  for (const auto& [k, node] : table) {
    std::string key(k.str());
    if (key == "cache" && where.find("[package.metadata.kiln]") != std::string::npos) continue;  // per package
    const KeyDef* def = find_key(key);
    if (!def) {
      r.warnings.push_back(where + ": unknown key `" + key + "` (ignored; see `kiln config --doc`)");
      continue;
    }
    auto raw = from_toml(node);
    Status s = raw ? def->apply(r.config, *raw, layer) : Status(raw.error());
    if (!s) {
      r.warnings.push_back(where + ": `" + key + "`: " + s.error().message + " (ignored)");
      continue;
    }
    r.origin[def->doc.name] = layer.origin;
  }
}

Result<toml::table> parse_toml_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  try {
    return toml::parse(*text, path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return make_error(path + ":" + std::to_string(where.line) + ":" + std::to_string(where.column) + ": " +
                      std::string(e.description()));
  }
}

bool is_file(const std::string& path) {
  auto st = stat_file(path);
  return st && S_ISREG(st->mode);
}

// A package cargo downloaded or vendored: never a source of settings (see the file comment).
bool is_downloaded_package_dir(const std::string& dir, const std::string& cargo_home) {
  if (!cargo_home.empty() && (path_is_under(dir, path_join(cargo_home, "registry")) ||
                              path_is_under(dir, path_join(cargo_home, "git"))))
    return true;
  return is_file(path_join(dir, ".cargo-checksum.json")) || is_file(path_join(dir, ".cargo-ok"));
}

struct FoundManifest {
  std::string path;
  toml::table table;
};

// The workspace root's Cargo.toml from `start` upward: the first Cargo.toml with a
// [workspace] table, else the first Cargo.toml found. Reads at most that many files as there
// are Cargo.toml files on the way (one in the wrapper, whose cwd is the workspace root).
std::optional<FoundManifest> find_project_manifest(const std::string& start, const std::string& cargo_home,
                                                   std::vector<std::string>& warnings) {
  std::optional<FoundManifest> first;
  std::string dir = normalize_path(start);
  while (!dir.empty()) {
    std::string path = path_join(dir, "Cargo.toml");
    if (is_file(path)) {
      if (is_downloaded_package_dir(dir, cargo_home)) break;
      auto table = parse_toml_file(path);
      if (!table) {
        warnings.push_back("cannot read " + table.error().message + " (its [*.metadata.kiln] ignored)");
        if (!first) break;  // cargo would fail on it as well
      } else if (table->contains("workspace")) {
        return FoundManifest{path, std::move(*table)};
      } else if (!first) {
        first = FoundManifest{path, std::move(*table)};
      }
    }
    if (dir == "/") break;
    dir = dir_name(dir);
  }
  return first;
}

std::string getenv_or(const ConfigInputs& in, const std::string& name) {
  auto v = in.env ? in.env(name) : std::nullopt;
  return v ? *v : "";
}

}  // namespace

ConfigInputs ConfigInputs::from_process() {
  ConfigInputs in;
  in.env = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
  in.cwd = current_dir();
  char buf[4096];
  std::string link = "/proc/" + std::to_string(::getppid()) + "/cwd";
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf - 1);
  if (n > 0) in.parent_cwd.assign(buf, static_cast<size_t>(n));
  return in;
}

ConfigReport explain_config(const ConfigInputs& in) {
  ConfigReport r;
  for (const auto& d : key_defs()) r.origin[d.doc.name] = "default";
  std::string home = getenv_or(in, "HOME");

  // 1. Defaults.
  std::string cache_home = getenv_or(in, "XDG_CACHE_HOME");
  r.config.dir = !cache_home.empty() ? cache_home + "/kiln" : home + "/.cache/kiln";

  // 2. The user file.
  std::string config_home = getenv_or(in, "XDG_CONFIG_HOME");
  r.user_file = (!config_home.empty() ? config_home : home + "/.config") + "/kiln/config.toml";
  if (is_file(r.user_file)) {
    r.user_file_found = true;
    auto table = parse_toml_file(r.user_file);
    if (!table) {
      r.warnings.push_back("cannot read " + table.error().message + " (file ignored)");
    } else {
      Layer layer{"user file " + r.user_file, dir_name(r.user_file), home};
      apply_table(r, *table, layer, r.user_file);
    }
  }

  // 3. The project's Cargo.toml. The wrapper runs in the workspace root for workspace
  // members; for a downloaded package cargo runs it in the package's directory, so the
  // search starts where cargo itself runs.
  std::string cargo_home = getenv_or(in, "CARGO_HOME");
  if (cargo_home.empty() && !home.empty()) cargo_home = home + "/.cargo";
  std::string start = in.cwd;
  std::string manifest_dir = getenv_or(in, "CARGO_MANIFEST_DIR");
  if (!manifest_dir.empty() && normalize_path(manifest_dir) == normalize_path(in.cwd) &&
      is_downloaded_package_dir(in.cwd, cargo_home))
    start = in.parent_cwd;
  if (!start.empty()) {
    if (auto found = find_project_manifest(start, cargo_home, r.warnings)) {
      r.cargo_toml = found->path;
      Layer layer{"", dir_name(found->path), home};
      for (const char* section : {"workspace", "package"}) {
        const toml::node* node = found->table[section]["metadata"]["kiln"].node();
        if (!node) continue;
        std::string where = found->path + " [" + section + ".metadata.kiln]";
        if (const toml::table* t = node->as_table()) {
          layer.origin = where;
          apply_table(r, *t, layer, where);
        } else {
          r.warnings.push_back(where + " is not a table (ignored)");
        }
      }
    }
  }

  // 4. The environment. An empty variable counts as unset, except KILN_REMOTE, where an
  // empty value turns remotes off.
  Layer env_layer{"", "", home};
  for (const auto& d : key_defs()) {
    auto v = in.env ? in.env(d.doc.env) : std::nullopt;
    if (!v || (v->empty() && d.doc.name != "remote")) continue;
    env_layer.origin = "env " + d.doc.env;
    RawValue raw;
    raw.s = *v;
    Status s = d.apply(r.config, raw, env_layer);
    if (!s) {
      r.warnings.push_back(d.doc.env + "=" + (d.doc.secret ? "****" : *v) + ": " + s.error().message + " (ignored)");
      continue;
    }
    r.origin[d.doc.name] = env_layer.origin;
  }
  return r;
}

bool package_opts_out(const std::string& manifest_path, const std::string& cargo_home) {
  if (manifest_path.empty() || is_downloaded_package_dir(dir_name(manifest_path), cargo_home)) return false;
  auto text = read_file(manifest_path);
  if (!text || text->find("kiln") == std::string::npos) return false;  // the common case: no table
  try {
    toml::table t = toml::parse(*text, manifest_path);
    auto v = t["package"]["metadata"]["kiln"]["cache"].value<bool>();
    return v && !*v;
  } catch (const std::exception&) {
    return false;
  }
}

bool cache_opted_out(const Config& cfg, const std::vector<std::string>& names, const std::string& manifest_path) {
  for (const auto& n : cfg.no_cache)
    for (const auto& name : names)
      if (!name.empty() && n == name) return true;
  const char* home = std::getenv("CARGO_HOME");
  const char* user_home = std::getenv("HOME");
  std::string cargo_home = home && *home ? home : std::string(user_home ? user_home : "") + "/.cargo";
  return package_opts_out(manifest_path, cargo_home);
}

Config load_config() {
  ConfigReport r = explain_config(ConfigInputs::from_process());
  for (const auto& w : r.warnings) warn("config: " + w);
  return std::move(r.config);
}

const std::vector<ConfigKeyDoc>& config_key_docs() {
  static const std::vector<ConfigKeyDoc> docs = [] {
    std::vector<ConfigKeyDoc> out;
    for (const auto& d : key_defs()) out.push_back(d.doc);
    return out;
  }();
  return docs;
}

namespace {

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string config_value_text(const Config& c, const std::string& key) {
  if (key == "dir") return toml_string(c.dir);
  if (key == "cache_size") return toml_string(format_size(c.cache_size_bytes));
  if (key == "remap") return c.remap ? "true" : "false";
  if (key == "disable") return c.disabled ? "true" : "false";
  if (key == "hard_links") return c.hard_links ? "true" : "false";
  if (key == "remote") {
    std::string out = "[";
    for (size_t i = 0; i < c.remotes.size(); ++i)
      out += (i ? ", " : "") + toml_string(mask_url_credentials(c.remotes[i]));
    return out + "]";
  }
  if (key == "remote_timeout") return std::to_string(c.remote_timeout_ms);
  if (key == "upload") return toml_string(c.upload);
  if (key == "remote_username") return toml_string(c.remote_username);
  if (key == "remote_password") return toml_string(c.remote_password.empty() ? "" : "****");
  if (key == "remote_ca_bundle") return toml_string(c.remote_ca_bundle);
  if (key == "executor") return toml_string(c.executor);
  if (key == "remote_env" || key == "image_apt") {
    const auto& list = key == "remote_env" ? c.remote_env : c.image_apt;
    std::string out = "[";
    for (size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + toml_string(list[i]);
    return out + "]";
  }
  if (key == "sandbox") return toml_string(c.sandbox);
  if (key == "background_store") return toml_string(c.background_store);
  if (key == "remote_compression") return toml_string(c.remote_compression);
  if (key == "linker") return toml_string(c.linker);
  if (key == "container_image") return toml_string(c.container_image);
  if (key == "container_base_image") return toml_string(c.container_base_image);
  if (key == "container_runtime") return toml_string(c.container_runtime);
  if (key == "container_caches") return toml_string(c.container_caches);
  if (key == "container_network") return toml_string(c.container_network);
  if (key == "container_run_args") {
    std::string out = "[";
    for (size_t i = 0; i < c.container_run_args.size(); ++i)
      out += (i ? ", " : "") + toml_string(c.container_run_args[i]);
    return out + "]";
  }
  if (key == "no_cache") {
    std::string out = "[";
    for (size_t i = 0; i < c.no_cache.size(); ++i) out += (i ? ", " : "") + toml_string(c.no_cache[i]);
    return out + "]";
  }
  return "";
}

std::string mask_url_credentials(const std::string& url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  size_t auth_start = scheme_end + 3;
  size_t auth_end = url.find_first_of("/?#", auth_start);
  if (auth_end == std::string::npos) auth_end = url.size();
  size_t at = url.rfind('@', auth_end);
  if (at == std::string::npos || at < auth_start) return url;
  size_t colon = url.find(':', auth_start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "****" + url.substr(at);
}

uint64_t parse_size(const std::string& text) {
  if (text.empty()) return 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0) return 0;
  std::string unit(end);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!unit.empty() && unit.back() == 'B') unit.pop_back();
  if (!unit.empty() && unit.back() == 'I') unit.pop_back();
  double mult = 1;
  if (unit == "K") mult = 1024.0;
  else if (unit == "M") mult = 1024.0 * 1024;
  else if (unit == "G") mult = 1024.0 * 1024 * 1024;
  else if (unit == "T") mult = 1024.0 * 1024 * 1024 * 1024;
  else if (!unit.empty()) return 0;
  return static_cast<uint64_t>(v * mult);
}

std::string format_size(uint64_t bytes) {
  static const char* units[] = {"", "K", "M", "G", "T"};
  int u = 0;
  while (u < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++u;
  }
  return std::to_string(bytes) + units[u];
}

}  // namespace kiln
