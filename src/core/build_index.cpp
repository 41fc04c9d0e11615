// The build index (see build_index.h).
#include "core/build_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <atomic>
#include <thread>

#include "store/store_factory.h"
#include "store/tiered_store.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"

namespace kiln {

void note_used_keys(const std::vector<Digest>& keys) {
  const char* file = std::getenv("KILN_INDEX_FILE");
  if (!file || !*file || keys.empty()) return;
  std::string line;
  for (const auto& k : keys) line += k.hex() + "\n";
  int fd = ::open(file, O_WRONLY | O_APPEND | O_CLOEXEC);
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

Status put_index(Store& store, const Digest& index_key, const std::vector<Digest>& keys) {
  nlohmann::json j;
  j["version"] = 1;
  j["keys"] = nlohmann::json::array();
  for (const auto& k : keys) j["keys"].push_back(k.hex());
  ActionResult entry;
  entry.meta.kind = "index";
  entry.meta.crate_name = "(build index)";
  entry.meta.created_unix = static_cast<int64_t>(::time(nullptr));
  entry.meta.payload = j.dump();
  return store.put_action(index_key, entry);
}

PrefetchReport prefetch_index(const Config& cfg, const Digest& index_key, int threads) {
  PrefetchReport report;
  double t0 = now_ms();
  std::vector<StoreChain> chains;
  chains.push_back(make_store_chain(cfg));
  if (!chains[0].tiered()) return report;
  // The newest index is on the servers (a local copy is this machine's own last build,
  // whose entries are local anyway).
  auto index = chains[0].tiered()->get_remote_action(index_key);
  debug("build index " + index_key.hex() + (index ? " found" : " not found"));
  std::vector<Digest> keys;
  if (index && index->meta.kind == "index") {
    auto j = nlohmann::json::parse(index->meta.payload, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("keys") && j["keys"].is_array()) {
      report.found = true;
      for (const auto& k : j["keys"])
        if (k.is_string())
          if (auto d = Digest::from_hex(k.get<std::string>())) keys.push_back(*d);
    } else {
      debug("build index: malformed");
    }
  }
  report.listed = keys.size();
  // Store chains are made here, one per thread, before any thread starts (library set-up
  // such as curl_global_init stays on this thread).
  for (int i = 1; i < threads && !keys.empty(); ++i) chains.push_back(make_store_chain(cfg));
  std::atomic<size_t> next{0}, present{0};
  auto work = [&](Store& store) {
    for (size_t i; (i = next.fetch_add(1)) < keys.size();) {
      auto e = store.get_action(keys[i]);  // a remote entry is copied locally, a result's blobs first
      if (e && *e) present.fetch_add(1);
    }
  };
  std::vector<std::thread> pool;
  for (size_t i = 1; i < chains.size(); ++i) {
    try {
      pool.emplace_back(work, std::ref(chains[i].store()));
    } catch (const std::exception&) {  // no thread: the calling thread does the work
      break;
    }
  }
  work(chains[0].store());
  for (auto& t : pool) t.join();
  report.present = present.load();
  for (auto& c : chains)
    for (size_t i = 0; i < c.tiered()->remote_count(); ++i) report.bytes_down += c.tiered()->counters(i).bytes_down;
  report.ms = now_ms() - t0;
  return report;
}

}  // namespace kiln
