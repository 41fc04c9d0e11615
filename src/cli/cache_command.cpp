// `kiln cache …`: looking after the local store (KILN_DIR).
//   du       size and entries, by crate          ls      entries: crate, version, type, size, last use
//   gc       evict least recently used files down to the cap (KILN_CACHE_SIZE or --max-size)
//   prune    remove what was not used for a while (--older-than 7d)
//   clear    remove every entry and blob (stats stay)
//   verify   check every blob and entry, remove damaged ones; exit 1 when damage was found
//   wait     wait for background stores (core/background_store.h) to finish
//   __fill   (hidden) write N synthetic entries, for bench/store_scale.sh
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "store/remote/oci_store.h"
#include "store/remote/redis_store.h"
#include "store/remote/remote_url.h"
#include "store/store_factory.h"
#include "config/config.h"
#include "core/background_store.h"
#include "store/local/eviction.h"
#include "store/local/local_store.h"
#include "store/local/size_counters.h"
#include "store/local/store_inventory.h"
#include "store/local/store_verify.h"
#include "store/local/synthetic_fill.h"
#include "util/clock.h"

namespace kiln {
namespace {

// `kiln cache prune --remote URL --older-than AGE`: what the server allows. Redis: by idle
// time (store/remote/redis_store.h); OCI registries: by creation time, deleting manifests
// (store/remote/oci_store.h). HTTP caches: their own size limit.
int prune_remote(const Config& cfg, const std::string& text, int64_t older_than_s) {
  auto url = parse_remote_url(text);
  if (!url) {
    std::fprintf(stderr, "kiln: error: %s\n", url.error().message.c_str());
    return 2;
  }
  if (url->scheme != "redis" && url->scheme != "oci") {
    std::fprintf(stderr, "kiln: error: pruning %s is not supported (redis:// and oci:// are); use the server's own tools\n",
                 url->name().c_str());
    return 2;
  }
  // The store as builds make it (store_factory.h): the same credentials, CA bundle, token cache.
  auto made = make_remote_store(*url, cfg.remote_timeout_ms, &cfg);
  if (!made) {
    std::fprintf(stderr, "kiln: error: %s\n", made.error().message.c_str());
    return 2;
  }
  if (auto* oci = dynamic_cast<OciStore*>(made->get())) {
    auto r = oci->prune(older_than_s);
    if (!r) {
      std::fprintf(stderr, "kiln: error: %s\n", r.error().message.c_str());
      return 1;
    }
    std::printf("kiln: pruned %s: %llu entries removed, %llu kept (the registry's garbage collection frees their blobs)\n",
                url->name().c_str(), static_cast<unsigned long long>(r->removed),
                static_cast<unsigned long long>(r->kept));
    return 0;
  }
  auto* store = dynamic_cast<RedisStore*>(made->get());
  if (!store) {
    std::fprintf(stderr, "kiln: error: %s is not a Redis store\n", url->name().c_str());
    return 2;
  }
  auto r = store->prune(older_than_s);
  if (!r) {
    std::fprintf(stderr, "kiln: error: %s\n", r.error().message.c_str());
    return 1;
  }
  std::printf("kiln: pruned %s: %llu entries and %llu blobs removed, %llu entries and %llu blobs kept\n",
              url->name().c_str(), static_cast<unsigned long long>(r->entries_removed),
              static_cast<unsigned long long>(r->blobs_removed), static_cast<unsigned long long>(r->entries_kept),
              static_cast<unsigned long long>(r->blobs_kept));
  return 0;
}


struct CacheOptions {
  bool json = false;
  bool all_kinds = false;
  std::string crate;
  std::string max_size;
  std::string older_than;
  std::string prune_remote;
  uint64_t fill_count = 0;
  size_t fill_blob_bytes = 4096;
  uint64_t fill_seed = 1;
  int wait_timeout_s = 600;
  CLI::App *wait = nullptr;
  CLI::App *du = nullptr, *ls = nullptr, *gc = nullptr, *prune = nullptr, *clear = nullptr, *verify = nullptr,
           *fill = nullptr;
};

CacheOptions& options() {
  static CacheOptions o;
  return o;
}

std::string version_of(const EntryMeta& m) {
  size_t sp = m.package.find(' ');
  return sp == std::string::npos ? std::string() : m.package.substr(sp + 1);
}

std::string ago(int64_t then_ns) {
  int64_t s = (wall_ns() - then_ns) / 1000000000;
  if (s < 0) s = 0;
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%llds ago", static_cast<long long>(s));
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%lldm ago", static_cast<long long>(s / 60));
  else if (s < 86400) std::snprintf(buf, sizeof buf, "%lldh ago", static_cast<long long>(s / 3600));
  else std::snprintf(buf, sizeof buf, "%lldd ago", static_cast<long long>(s / 86400));
  return buf;
}

// "7d", "12h", "30m", "45s", "2w"; a bare number is seconds. -1 on bad input.
int64_t parse_duration_ns(const std::string& text) {
  if (text.empty()) return -1;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0) return -1;
  std::string unit(end);
  double mult = 1;
  if (unit.empty() || unit == "s") mult = 1;
  else if (unit == "m" || unit == "min") mult = 60;
  else if (unit == "h") mult = 3600;
  else if (unit == "d") mult = 86400;
  else if (unit == "w") mult = 7 * 86400;
  else return -1;
  return static_cast<int64_t>(v * mult * 1e9);
}

int cmd_du(const Config& cfg, const CacheOptions& o) {
  Inventory inv = take_inventory(cfg.dir);
  struct Row {
    std::string crate, version;
    uint64_t entries = 0, bytes = 0;
  };
  std::map<std::pair<std::string, std::string>, Row> rows;
  uint64_t results = 0;
  for (const auto& e : inv.entries) {
    std::string crate = e.meta.crate_name.empty() ? "(unknown)" : e.meta.crate_name;
    Row& r = rows[{crate, version_of(e.meta)}];
    r.crate = crate;
    r.version = version_of(e.meta);
    r.bytes += e.entry_bytes + e.blob_bytes;
    if (e.meta.kind == EntryKind::Result) {
      ++r.entries;
      ++results;
    }
  }
  std::vector<Row> sorted;
  for (auto& [k, r] : rows) sorted.push_back(r);
  std::sort(sorted.begin(), sorted.end(), [](const Row& a, const Row& b) {
    return a.bytes != b.bytes ? a.bytes > b.bytes : a.crate < b.crate;
  });
  if (o.json) {
    nlohmann::json j;
    j["store"] = cfg.dir;
    j["bytes"] = inv.total_bytes;
    j["cap_bytes"] = cfg.cache_size_bytes;
    j["entries"] = results;
    j["action_files"] = inv.entries.size();
    j["blobs"] = inv.blobs;
    j["unreferenced_bytes"] = inv.unreferenced_blob_bytes;
    j["crates"] = nlohmann::json::array();
    for (const auto& r : sorted)
      j["crates"].push_back({{"crate", r.crate}, {"version", r.version}, {"entries", r.entries}, {"bytes", r.bytes}});
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%s: %s in %llu entries (%llu blobs); cap %s\n", cfg.dir.c_str(), human_bytes(inv.total_bytes).c_str(),
              static_cast<unsigned long long>(results), static_cast<unsigned long long>(inv.blobs),
              human_bytes(cfg.cache_size_bytes).c_str());
  if (sorted.empty()) return 0;
  std::printf("%-32s %-14s %8s %12s\n", "CRATE", "VERSION", "ENTRIES", "SIZE");
  for (const auto& r : sorted)
    std::printf("%-32s %-14s %8llu %12s\n", r.crate.c_str(), r.version.empty() ? "-" : r.version.c_str(),
                static_cast<unsigned long long>(r.entries), human_bytes(r.bytes).c_str());
  if (inv.unreferenced_blob_bytes)
    std::printf("%-32s %-14s %8s %12s\n", "(blobs of evicted entries)", "-", "-",
                human_bytes(inv.unreferenced_blob_bytes).c_str());
  return 0;
}

int cmd_ls(const Config& cfg, const CacheOptions& o) {
  Inventory inv = take_inventory(cfg.dir);
  std::vector<const InventoryEntry*> list;
  for (const auto& e : inv.entries) {
    if (!o.all_kinds && e.meta.kind != EntryKind::Result) continue;
    if (!o.crate.empty() && e.meta.crate_name != o.crate) continue;
    list.push_back(&e);
  }
  std::sort(list.begin(), list.end(), [](const InventoryEntry* a, const InventoryEntry* b) {
    return a->last_used_ns != b->last_used_ns ? a->last_used_ns > b->last_used_ns : a->key_hex < b->key_hex;
  });
  if (o.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto* e : list)
      j.push_back({{"key", e->key_hex},
                   {"kind", std::string(entry_kind_name(e->meta.kind))},
                   {"crate", e->meta.crate_name},
                   {"version", version_of(e->meta)},
                   {"crate_type", e->meta.crate_type},
                   {"workspace_member", e->meta.local_only},
                   {"bytes", e->entry_bytes + e->blob_bytes},
                   {"output_bytes", e->output_bytes},
                   {"outputs", e->outputs},
                   {"missing_blobs", e->missing_blobs},
                   {"compile_ms", e->meta.compile_ms},
                   {"last_used_unix", e->last_used_ns / 1000000000}});
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  if (list.empty()) return 0;
  std::printf("%-28s %-12s %-11s %10s  %-10s%s\n", "CRATE", "VERSION", "TYPE", "SIZE", "LAST USED",
              o.all_kinds ? "  KIND" : "");
  for (const auto* e : list) {
    std::string v = version_of(e->meta);
    std::printf("%-28s %-12s %-11s %10s  %-10s%s%s%s\n", e->meta.crate_name.c_str(), v.empty() ? "-" : v.c_str(),
                e->meta.crate_type.empty() ? "-" : e->meta.crate_type.c_str(),
                human_bytes(e->entry_bytes + e->blob_bytes).c_str(), ago(e->last_used_ns).c_str(),
                o.all_kinds ? "  " : "", o.all_kinds ? std::string(entry_kind_name(e->meta.kind)).c_str() : "",
                e->missing_blobs ? "  (incomplete: a miss)" : "");
  }
  return 0;
}

void print_eviction(const char* what, const EvictionReport& r) {
  std::printf("kiln cache %s: removed %llu files (%s), %llu temp files; %s in %llu files left\n", what,
              static_cast<unsigned long long>(r.files_removed), human_bytes(r.bytes_removed).c_str(),
              static_cast<unsigned long long>(r.temps_removed), human_bytes(r.bytes_after).c_str(),
              static_cast<unsigned long long>(r.files_after));
}

int cmd_verify(const Config& cfg, const CacheOptions& o) {
  VerifyReport r = verify_store(cfg.dir);
  if (o.json) {
    nlohmann::json j = {{"store", cfg.dir},
                        {"clean", r.clean()},
                        {"entries_ok", r.entries_ok},
                        {"blobs_ok", r.blobs_ok},
                        {"entries_damaged", r.entries_damaged},
                        {"blobs_damaged", r.blobs_damaged},
                        {"dangling_removed", r.dangling_removed},
                        {"temps_removed", r.temps_removed},
                        {"temps_live", r.temps_live},
                        {"strays_removed", r.strays_removed},
                        {"remove_failed", r.remove_failed},
                        {"damaged", r.damaged}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    for (const auto& d : r.damaged) std::printf("damaged: %s\n", d.c_str());
    std::printf(
        "kiln cache verify: %llu entries and %llu blobs ok; damaged: %llu entries, %llu blobs (removed); "
        "%llu entries without their blobs removed; %llu temp files of killed writers removed (%llu in use); "
        "%llu stray files removed%s\n",
        static_cast<unsigned long long>(r.entries_ok), static_cast<unsigned long long>(r.blobs_ok),
        static_cast<unsigned long long>(r.entries_damaged), static_cast<unsigned long long>(r.blobs_damaged),
        static_cast<unsigned long long>(r.dangling_removed), static_cast<unsigned long long>(r.temps_removed),
        static_cast<unsigned long long>(r.temps_live), static_cast<unsigned long long>(r.strays_removed),
        r.remove_failed ? (", " + std::to_string(r.remove_failed) + " files could not be removed").c_str() : "");
  }
  return r.clean() ? 0 : 1;
}

int cmd_wait(const Config& cfg, const CacheOptions& o) {
  StoreWait w = wait_for_background_stores(cfg.dir, "", o.wait_timeout_s * 1000);
  if (w.still_running > 0) {
    std::fprintf(stderr, "kiln cache wait: %d of %d background stores still running after %d s\n", w.still_running,
                 w.pending, o.wait_timeout_s);
    return 1;
  }
  if (w.pending > 0) std::printf("kiln cache wait: %d background stores finished in %.1f s\n", w.pending, w.waited_ms / 1000);
  return 0;
}

}  // namespace

CLI::App* add_cache_command(CLI::App& app) {
  CacheOptions& o = options();
  auto* cache = app.add_subcommand("cache", "Look after the local store (KILN_DIR): du, ls, gc, prune, clear, verify, wait");
  cache->require_subcommand(1);
  o.du = cache->add_subcommand("du", "Size and entries of the store, by crate");
  o.du->add_flag("--json", o.json, "Machine-readable output");
  o.ls = cache->add_subcommand("ls", "Entries: crate, version, crate type, size, last used (most recent first)");
  o.ls->add_flag("--json", o.json, "Machine-readable output");
  o.ls->add_option("--crate", o.crate, "Only entries of this crate");
  o.ls->add_flag("--all", o.all_kinds, "Also direct-mode manifests and path-bound redirects");
  o.gc = cache->add_subcommand("gc", "Evict least recently used entries down to the size cap");
  o.gc->add_option("--max-size", o.max_size, "Cap to apply instead of KILN_CACHE_SIZE (e.g. 500M, 10G)");
  o.prune = cache->add_subcommand("prune", "Remove entries and blobs not used for a while");
  o.prune->add_option("--older-than", o.older_than, "Age, e.g. 7d, 12h, 30m, 2w")->required();
  o.prune->add_option("--remote", o.prune_remote,
                      "Prune this remote instead (redis://: entries idle that long, then unlisted blobs; oci://: entries created that long ago)");
  o.clear = cache->add_subcommand("clear", "Remove every entry and blob (statistics stay)");
  o.verify = cache->add_subcommand("verify", "Check every blob and entry; remove damaged ones; exit 1 if any");
  o.verify->add_flag("--json", o.json, "Machine-readable output");
  o.wait = cache->add_subcommand("wait", "Wait until results being stored in the background are stored");
  o.wait->add_option("--timeout", o.wait_timeout_s, "Give up after this many seconds (exit 1)");
  o.fill = cache->add_subcommand("__fill", "Write N synthetic entries (benchmarks)");
  o.fill->group("");  // hidden
  o.fill->add_option("count", o.fill_count, "Number of entries")->required();
  o.fill->add_option("--blob-bytes", o.fill_blob_bytes, "Size of each entry's blob");
  o.fill->add_option("--seed", o.fill_seed, "Distinguishes fills");
  return cache;
}

int run_cache_command(CLI::App& /*cache*/) {
  const CacheOptions& o = options();
  Config cfg = load_config();
  if (o.du->parsed()) return cmd_du(cfg, o);
  if (o.ls->parsed()) return cmd_ls(cfg, o);
  if (o.verify->parsed()) return cmd_verify(cfg, o);
  if (o.wait->parsed()) return cmd_wait(cfg, o);
  if (o.gc->parsed()) {
    uint64_t cap = cfg.cache_size_bytes;
    if (!o.max_size.empty()) {
      cap = parse_size(o.max_size);
      if (cap == 0 && o.max_size != "0") {
        std::fprintf(stderr, "kiln: error: bad size %s (e.g. 500M, 10G)\n", o.max_size.c_str());
        return 2;
      }
    }
    print_eviction("gc", collect_garbage(cfg.dir, cap));
    return 0;
  }
  if (o.prune->parsed()) {
    int64_t age = parse_duration_ns(o.older_than);
    if (age < 0) {
      std::fprintf(stderr, "kiln: error: bad duration %s (e.g. 7d, 12h, 30m)\n", o.older_than.c_str());
      return 2;
    }
    if (!o.prune_remote.empty()) return prune_remote(cfg, o.prune_remote, age / 1'000'000'000);
    print_eviction("prune", prune_older_than(cfg.dir, age));
    return 0;
  }
  if (o.clear->parsed()) {
    print_eviction("clear", clear_store(cfg.dir));
    return 0;
  }
  if (o.fill->parsed()) {
    LocalStore store(cfg.dir, cfg.cache_size_bytes);
    if (auto st = fill_synthetic(store, o.fill_count, o.fill_blob_bytes, o.fill_seed); !st) {
      std::fprintf(stderr, "kiln: error: %s\n", st.error().message.c_str());
      return 1;
    }
    BucketUsage u = SizeCounters(cfg.dir).total();
    std::printf("kiln cache __fill: %llu entries written; store %s in %lld files\n",
                static_cast<unsigned long long>(o.fill_count), human_bytes(static_cast<uint64_t>(u.bytes)).c_str(),
                static_cast<long long>(u.files));
    return 0;
  }
  return 2;
}

}  // namespace kiln
