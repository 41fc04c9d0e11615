// Prefetching a build index beside cargo (see prefetch.h).
#include "core/prefetch.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "core/build_index.h"
#include "store/tiered_store.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"

namespace kiln {
namespace {

std::string planned_path(const std::string& dir, const Digest& key) { return dir + "/" + key.hex(); }

// The keys an index entry lists; empty when it is not one.
std::vector<Digest> index_keys(const std::optional<ActionResult>& index) {
  std::vector<Digest> keys;
  if (!index || index->meta.kind != EntryKind::Index) return keys;
  auto j = nlohmann::json::parse(index->meta.payload, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("keys") || !j["keys"].is_array()) {
    debug("build index: malformed");
    return keys;
  }
  for (const auto& k : j["keys"])
    if (k.is_string())
      if (auto d = Digest::from_hex(k.get<std::string>())) keys.push_back(*d);
  return keys;
}

}  // namespace

std::unique_ptr<Prefetch> Prefetch::start(const Config& cfg, const Digest& index_key, int threads,
                                          const std::string& dir) {
  std::unique_ptr<Prefetch> p(new Prefetch());
  p->chains_.push_back(make_store_chain(cfg));
  TieredStore* tiered = p->chains_[0].tiered();
  if (!tiered) return nullptr;
  // The newest index is on the servers (a local copy is this machine's own last build,
  // whose entries are local anyway).
  auto index = tiered->get_remote_action(index_key, &p->index_from_);
  debug("build index " + index_key.hex() + (index ? " found" : " not found"));
  p->keys_ = index_keys(index);
  p->report_.listed = p->keys_.size();
  if (p->keys_.empty() || !make_dirs(dir)) return nullptr;
  for (const auto& of : index->output_files) {
    if (of.path != kIndexPackPath) continue;
    auto bytes = tiered->get_remote_blob(of.digest);
    auto pack = bytes ? decode_index_pack(*bytes) : Result<IndexPack>(make_error("not on the remotes"));
    if (pack) {
      p->pack_ = std::move(*pack);
      p->has_pack_ = true;
    }
    debug("build index pack " + of.digest.hex() + ": " +
          (pack ? std::to_string(p->pack_.entries.size()) + " entries, " + std::to_string(p->pack_.blobs.size()) + " blobs, " +
                       std::to_string(p->pack_.names.size()) + " remote blob names"
                : pack.error().message));
  }
  p->dir_ = dir;
  for (const auto& k : p->keys_) {
    int fd = ::open(planned_path(dir, k).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
  }
  // One store chain per thread, made here before any thread starts (library set-up such as
  // curl_global_init stays on this thread).
  for (int i = 1; i < threads; ++i) p->chains_.push_back(make_store_chain(cfg));
  // The pack's names of the larger blobs spare a registry one manifest GET per entry.
  if (!p->pack_.names.empty())
    for (auto& c : p->chains_)
      if (c.tiered()) c.tiered()->learn_wire_names(p->pack_.names);
  for (size_t i = 0; i < p->chains_.size(); ++i) {
    try {
      p->threads_.emplace_back(&Prefetch::work, p.get(), i);
    } catch (const std::exception&) {  // fewer threads then
      break;
    }
  }
  if (p->threads_.empty()) {  // nobody would fetch: nobody may wait
    (void)remove_all(dir);
    return nullptr;
  }
  return p;
}

bool Prefetch::fetch(size_t chain, const Digest& key) {
  StoreChain& c = chains_[chain];
  auto packed = pack_.entries.find(key);
  if (packed == pack_.entries.end()) {
    auto e = c.store().get_action(key);  // a remote entry is copied locally, a result's blobs first
    return e && *e;
  }
  if (auto have = c.local().get_action(key); have && *have) return true;
  for (const auto& of : packed->second.output_files)
    if (auto blob = pack_.blobs.find(of.digest); blob != pack_.blobs.end())
      if (auto have = c.local().has_blob(of.digest); have && !*have) (void)c.local().put_fetched_blob(of.digest, blob->second);
  return c.tiered()->import_entry(key, packed->second);  // the larger blobs from the remotes
}

PrefetchReport Prefetch::progress() const {
  PrefetchReport r;
  r.listed = keys_.size();
  r.present = present_.load();
  r.bytes_down = bytes_.load();
  return r;
}

bool Prefetch::done() const { return tried_.load() >= keys_.size(); }

void Prefetch::work(size_t chain) {
  uint64_t counted = 0;  // of this chain's bytes, already in bytes_
  for (size_t i; !stop_.load() && (i = next_.fetch_add(1)) < keys_.size();) {
    double t0 = now_ms();
    bool ok = false;
    try {  // an exception must not end cargo kiln (and the build) from a helper thread
      ok = fetch(chain, keys_[i]);
    } catch (const std::exception& e) {
      debug(std::string("prefetch: ") + e.what());
    }
    if (ok) present_.fetch_add(1);
    if (auto* t = chains_[chain].tiered()) {
      uint64_t sum = 0;
      for (size_t r = 0; r < t->remote_count(); ++r) sum += t->counters(r).bytes_down;
      bytes_.fetch_add(sum - counted);
      counted = sum;
    }
    tried_.fetch_add(1);
    if (debug_enabled())
      debug("prefetch " + std::to_string(i) + " " + keys_[i].hex() + (ok ? " in " : " missing after ") +
            std::to_string(int(now_ms() - t0)) + " ms");
    ::unlink(planned_path(dir_, keys_[i]).c_str());  // a waiting compilation looks again
  }
}

PrefetchReport Prefetch::finish() {
  if (finished_) return report_;
  finished_ = true;
  stop_.store(true);
  for (auto& t : threads_) t.join();
  (void)remove_all(dir_);
  report_.present = present_.load();
  debug("prefetch finished: " + std::to_string(report_.present) + " of " + std::to_string(keys_.size()) +
        " present, " + std::to_string(std::min(next_.load(), keys_.size())) + " started");
  for (auto& c : chains_)
    if (c.tiered())
      for (size_t i = 0; i < c.tiered()->remote_count(); ++i) report_.bytes_down += c.tiered()->counters(i).bytes_down;
  return report_;
}

bool Prefetch::index_lists_exactly(const std::vector<Digest>& keys) {
  // Another writable remote may lack the index (one added since, or down then): store it again.
  if (!has_pack_ || !chains_[0].tiered()->only_writable(index_from_)) return false;
  std::set<Digest> listed(keys_.begin(), keys_.end()), used(keys.begin(), keys.end());
  return listed == used;
}

Prefetch::~Prefetch() { finish(); }

bool wait_for_prefetch(const std::string& dir, const Digest& key, int max_ms) {
  if (dir.empty() || !path_exists(dir)) return false;
  std::string planned = planned_path(dir, key);
  if (path_exists(planned)) {
    double deadline = now_ms() + max_ms;
    while (path_exists(planned) && now_ms() < deadline) ::usleep(1000);
    debug("waited for the prefetch of " + key.hex());
  }
  return true;  // the prefetch may also have brought it just before we looked
}

}  // namespace kiln
