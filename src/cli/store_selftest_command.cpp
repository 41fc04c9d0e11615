// `kiln __store-selftest URL` (hidden, for tests and for checking a remote by hand): talks to
// one remote store (any scheme the store factory knows) with the effective config's timeout
// and credentials, and checks the Store contract: a blob round trip (absent → put → present →
// identical bytes), an action entry round trip, misses for unknown keys. Deterministic data
// from --seed lets one process write (--mode put) and another read (--mode get). A reader
// asks for the entry before its blob, as kiln does: an OCI registry holds a compressed blob
// under the frame's digest, which the entry's manifest names (store/remote/oci_store.h).
// Prints one "ok …" line per check on stdout; "FAIL …" and exit 1 on the first failure.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "config/config.h"
#include "store/remote/remote_url.h"
#include "store/store_factory.h"

namespace kiln {
namespace {

struct Selftest {
  std::string url, seed = "1", mode = "both";
  size_t size = 100000;
};

Selftest g_selftest;  // bound to the command line by add_store_selftest_command

int fail(const std::string& what) {
  std::printf("FAIL %s\n", what.c_str());
  return 1;
}

std::string make_blob(const std::string& seed, size_t size) {
  std::string out;
  out.reserve(size);
  std::string chunk = sha256("kiln selftest blob " + seed).hex();
  while (out.size() < size) {
    out += chunk;
    chunk = sha256(chunk).hex();
  }
  out.resize(size);
  return out;
}

int run_selftest(const Selftest& t) {
  Config cfg = load_config();
  auto url = parse_remote_url(t.url);
  if (!url) return fail("url: " + url.error().message);
  auto store = make_remote_store(*url, cfg.remote_timeout_ms, &cfg);
  if (!store) return fail("store: " + store.error().message);
  Store& s = **store;
  std::printf("store %s\n", s.name().c_str());

  std::string blob = make_blob(t.seed, t.size);
  Digest digest = sha256(blob);
  Digest key = sha256("kiln selftest key " + t.seed);
  ActionResult entry;
  entry.output_files.push_back({"{{kiln:target}}/debug/deps/libselftest.rlib", digest, static_cast<int64_t>(blob.size()), false});
  entry.stderr_raw = "warning: selftest " + t.seed + "\n";
  entry.meta.crate_name = "selftest";
  entry.meta.crate_type = "lib";

  if (t.mode == "put" || t.mode == "both") {
    auto has = s.has_blob(digest);
    if (!has) return fail("has_blob before put: " + has.error().message);
    std::printf("ok has_blob before put: %s\n", *has ? "present" : "absent");
    Status put = s.put_blob(digest, blob);
    if (!put) return fail("put_blob: " + put.error().message);
    std::printf("ok put_blob %zu bytes\n", blob.size());
    Status again = s.put_blob(digest, blob);
    if (!again) return fail("put_blob again: " + again.error().message);
    std::printf("ok put_blob again\n");
    Status pa = s.put_action(key, entry);
    if (!pa) return fail("put_action: " + pa.error().message);
    std::printf("ok put_action %s\n", key.hex().c_str());
  }
  if (t.mode == "get" || t.mode == "both") {
    auto ga = s.get_action(key);
    if (!ga) return fail("get_action: " + ga.error().message);
    if (!*ga || (*ga)->encode() != entry.encode()) return fail("get_action: missing or different entry");
    std::printf("ok get_action\n");
    auto has = s.has_blob(digest);
    if (!has) return fail("has_blob: " + has.error().message);
    if (!*has) return fail("has_blob: absent after put");
    std::printf("ok has_blob\n");
    auto got = s.get_blob(digest);
    if (!got) return fail("get_blob: " + got.error().message);
    if (!*got || **got != blob) return fail("get_blob: missing or different bytes");
    std::printf("ok get_blob %zu bytes\n", (*got)->size());
    Digest unknown = sha256("kiln selftest unknown " + t.seed);
    auto miss = s.get_action(unknown);
    if (!miss) return fail("get_action(unknown): " + miss.error().message);
    if (*miss) return fail("get_action(unknown): a hit");
    auto bmiss = s.get_blob(unknown);
    if (!bmiss) return fail("get_blob(unknown): " + bmiss.error().message);
    if (*bmiss) return fail("get_blob(unknown): a hit");
    auto hmiss = s.has_blob(unknown);
    if (!hmiss) return fail("has_blob(unknown): " + hmiss.error().message);
    if (*hmiss) return fail("has_blob(unknown): present");
    std::printf("ok misses\n");
  }
  return 0;
}

}  // namespace

CLI::App* add_store_selftest_command(CLI::App& app) {
  Selftest& t = g_selftest;
  auto* cmd = app.add_subcommand("__store-selftest", "Check a remote store (for tests)");
  cmd->group("");  // hidden from --help
  cmd->add_option("url", t.url, "Remote store URL")->required();
  cmd->add_option("--seed", t.seed, "Seed of the test data");
  cmd->add_option("--mode", t.mode, "put, get or both")->check(CLI::IsMember({"put", "get", "both"}));
  cmd->add_option("--size", t.size, "Blob size (bytes)");
  return cmd;
}

int run_store_selftest_command() { return run_selftest(g_selftest); }

}  // namespace kiln
