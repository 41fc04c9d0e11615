// The build index (see build_index.h).
#include "core/build_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/index_pack.h"
#include "session/session_env.h"
#include "util/fs.h"
#include "util/log.h"

namespace kiln {

void note_used_keys(const std::vector<Digest>& keys) {
  std::string file = session_env().index_file;
  if (file.empty() || keys.empty()) return;
  std::string line;
  for (const auto& k : keys) line += k.hex() + "\n";
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return;
  (void)write_fd(fd, line);  // one write: lines from parallel processes do not interleave
  ::close(fd);
}

std::optional<Digest> compute_index_key(const std::vector<std::string>& cargo_args, const std::string& cwd,
                                        const std::string& rustc_version) {
  // The project: its Cargo.lock; before cargo has written one, the Cargo.toml files from
  // `cwd` up (the same on every machine that checks out the same sources).
  std::string project;
  for (std::string dir = cwd;; dir = dir_name(dir)) {
    if (auto lock = read_file(path_join(dir, "Cargo.lock"))) {
      project = "lock\n" + *lock;
      break;
    }
    if (auto manifest = read_file(path_join(dir, "Cargo.toml"))) project += "manifest\n" + *manifest;
    if (dir == "/" || dir == "." || dir.empty()) break;
  }
  if (project.empty()) return std::nullopt;
  Sha256 h;
  h.field("kiln build index v1");
  h.field(std::to_string(cargo_args.size()));
  for (const auto& a : cargo_args) h.field(a);
  h.field(sha256(project).hex());
  h.field(rustc_version);
  for (const char* v : {"RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_TARGET", "CARGO_BUILD_RUSTFLAGS"}) {
    const char* value = std::getenv(v);
    h.field(value ? std::string("=") + value : std::string("unset"));
  }
  return h.finish();
}

std::vector<Digest> read_used_keys(const std::string& path) {
  std::vector<Digest> out;
  for (const auto& line : read_distinct_lines(path))
    if (auto d = Digest::from_hex(line)) out.push_back(*d);
  return out;
}

Status put_index(Store& store, Store& local, const Digest& index_key, const std::vector<Digest>& keys,
                 bool pack_local_onlys, const WireNames& prior_names) {
  nlohmann::json j;
  j["version"] = 1;
  j["keys"] = nlohmann::json::array();
  for (const auto& k : keys) j["keys"].push_back(k.hex());
  ActionResult entry;
  entry.meta.kind = EntryKind::Index;
  entry.meta.crate_name = "(build index)";
  entry.meta.created_unix = static_cast<int64_t>(::time(nullptr));
  entry.meta.payload = j.dump();
  WireNames names = store.known_wire_names();
  for (const auto& n : prior_names) names.insert(n);  // what this machine saw itself wins
  if (auto pack = encode_index_pack(collect_index_pack(local, keys, pack_local_onlys, names))) {
    Digest d = sha256(*pack);
    if (auto st = store.put_blob(d, *pack); st)
      entry.output_files.push_back(OutputFile{kIndexPackPath, d, static_cast<int64_t>(pack->size()), false});
    else
      debug("build index: pack not stored: " + st.error().message);
  }
  return store.put_action(index_key, entry);
}

}  // namespace kiln
