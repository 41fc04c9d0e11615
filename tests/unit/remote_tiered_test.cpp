// TieredStore over a real LocalStore and in-memory remotes (the Store interface, no network;
// the HTTP and Redis stores are tested against real servers in remote_http_test and
// remote_redis_test): copy-on-hit, uploads, read-only/write-only, upload policy, faults.
#include <gtest/gtest.h>

#include "core/direct_mode.h"

#include <cstdlib>
#include <map>

#include "key/source_manifest.h"
#include "stats/stats.h"
#include "store/local/local_store.h"
#include "store/remote/health.h"
#include "store/tiered_store.h"
#include "util/fs.h"

namespace kiln {
namespace {

std::string temp_dir() {
  std::string t = "/tmp/kiln-tiered-XXXXXX";
  return ::mkdtemp(t.data());
}

// A remote in memory, with call counters and an optional failure mode.
struct MemoryRemote : Store {
  std::map<Digest, ActionResult> ac;
  std::map<Digest, std::string> cas;
  int gets = 0, puts = 0, heads = 0, blob_puts = 0;
  std::string fail;  // when set, every call returns this error

  std::string name() const override { return "memory"; }
  Result<std::optional<ActionResult>> get_action(const Digest& key) override {
    ++gets;
    if (!fail.empty()) return make_error(fail);
    auto it = ac.find(key);
    if (it == ac.end()) return std::optional<ActionResult>{};
    return std::optional<ActionResult>(it->second);
  }
  Status put_action(const Digest& key, const ActionResult& r) override {
    ++puts;
    if (!fail.empty()) return make_error(fail);
    ac[key] = r;
    return {};
  }
  Result<std::optional<std::string>> get_blob(const Digest& d) override {
    if (!fail.empty()) return make_error(fail);
    auto it = cas.find(d);
    if (it == cas.end()) return std::optional<std::string>{};
    return std::optional<std::string>(it->second);
  }
  Status put_blob(const Digest& d, std::string_view data) override {
    ++blob_puts;
    if (!fail.empty()) return make_error(fail);
    cas[d] = std::string(data);
    return {};
  }
  Result<bool> has_blob(const Digest& d) override {
    ++heads;
    if (!fail.empty()) return make_error(fail);
    return cas.count(d) > 0;
  }
};

// A remote handed to the TieredStore (which owns it) while the test keeps a pointer.
struct Handle {
  MemoryRemote* p;
  std::unique_ptr<Store> owned;
};
Handle make_remote() {
  auto m = std::make_unique<MemoryRemote>();
  MemoryRemote* p = m.get();
  return {p, std::move(m)};
}

RemoteUrl url(const std::string& text) { return *parse_remote_url(text); }

ActionResult entry_with(const std::string& content, bool local_only = false) {
  ActionResult r;
  r.output_files.push_back({"{{kiln:target}}/debug/libx.rlib", sha256(content), (int64_t)content.size(), false});
  r.meta.crate_name = "x";
  r.meta.local_only = local_only;
  r.stderr_raw = "warning: x\n";
  return r;
}

struct TieredTest : ::testing::Test {
  std::string dir = temp_dir();
  LocalStore local{dir};
  void TearDown() override { (void)remove_all(dir); }
  Digest key = sha256("key");
};

}  // namespace

TEST_F(TieredTest, RemoteHitIsCopiedToLocal) {
  auto r = make_remote();
  r.p->cas[sha256("rlib")] = "rlib";
  r.p->ac[key] = entry_with("rlib");
  {
    TieredStore t(local, dir, "s", UploadPolicy::All);
    t.add_remote(url("http://h/c"), std::move(r.owned));
    auto got = t.get_action(key);
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((*got)->stderr_raw, "warning: x\n");
    EXPECT_EQ(t.counters(0).hits, 1u);
  }
  // Blob and entry are now local.
  auto e = local.get_action(key);
  ASSERT_TRUE(e && *e);
  auto b = local.get_blob(sha256("rlib"));
  ASSERT_TRUE(b && *b);
  EXPECT_EQ(**b, "rlib");
  auto s = read_stats(dir);
  EXPECT_EQ(s.stores["http://h/c"].hits, 1u);
  EXPECT_EQ(s.stores["http://h/c"].bytes_down > 4, true);
}

TEST_F(TieredTest, EntryWithMissingRemoteBlobIsAMiss) {
  auto r = make_remote();
  r.p->ac[key] = entry_with("rlib");  // blob not there
  TieredStore t(local, dir, "s", UploadPolicy::All);
  t.add_remote(url("http://h/c"), std::move(r.owned));
  auto got = t.get_action(key);
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got);
  EXPECT_FALSE(*local.get_action(key));
  EXPECT_EQ(t.counters(0).misses, 1u);
  // Asked once per process.
  (void)t.get_action(key);
  EXPECT_EQ(r.p->gets, 1);
}

TEST_F(TieredTest, UploadsBlobsThenEntryToWritableRemotesOnly) {
  auto rw = make_remote(), ro = make_remote(), wo = make_remote();
  TieredStore t(local, dir, "s", UploadPolicy::All);
  t.add_remote(url("http://rw/"), std::move(rw.owned));
  t.add_remote(url("http://ro/#read-only"), std::move(ro.owned));
  t.add_remote(url("http://wo/#write-only"), std::move(wo.owned));
  auto miss = t.get_action(key);
  ASSERT_TRUE(miss && !*miss);
  EXPECT_EQ(rw.p->gets, 1);
  EXPECT_EQ(ro.p->gets, 1);
  EXPECT_EQ(wo.p->gets, 0);  // never read
  ASSERT_TRUE(t.put_blob(sha256("rlib"), "rlib"));
  ASSERT_TRUE(t.put_action(key, entry_with("rlib")));
  EXPECT_EQ(rw.p->cas.count(sha256("rlib")), 1u);
  EXPECT_EQ(rw.p->ac.count(key), 1u);
  EXPECT_EQ(wo.p->ac.count(key), 1u);
  EXPECT_EQ(ro.p->puts + ro.p->blob_puts, 0);  // never written
  EXPECT_TRUE(*local.get_action(key));
  EXPECT_EQ(t.counters(0).bytes_up > 4, true);
  // A second entry naming the same blob: no second upload of it.
  ASSERT_TRUE(t.put_action(sha256("key2"), entry_with("rlib")));
  EXPECT_EQ(rw.p->blob_puts, 1);
}

TEST_F(TieredTest, BlobsTheRemoteHasAreNotSent) {
  auto r = make_remote();
  r.p->cas[sha256("rlib")] = "rlib";
  TieredStore t(local, dir, "s", UploadPolicy::All);
  t.add_remote(url("http://h/"), std::move(r.owned));
  ASSERT_TRUE(t.put_blob(sha256("rlib"), "rlib"));
  ASSERT_TRUE(t.put_action(key, entry_with("rlib")));
  EXPECT_EQ(r.p->heads, 1);
  EXPECT_EQ(r.p->blob_puts, 0);
  EXPECT_EQ(r.p->puts, 1);
}

TEST_F(TieredTest, UploadDependenciesKeepsWorkspaceCratesLocal) {
  auto r = make_remote();
  TieredStore t(local, dir, "s", UploadPolicy::Dependencies);
  t.add_remote(url("http://h/"), std::move(r.owned));
  ASSERT_TRUE(t.put_blob(sha256("mine"), "mine"));
  ASSERT_TRUE(t.put_action(key, entry_with("mine", true)));
  ActionResult manifest = entry_with("mine", true);
  manifest.output_files.clear();
  manifest.meta.kind = EntryKind::Manifest;
  ASSERT_TRUE(t.put_action(sha256("mkey"), manifest));
  EXPECT_TRUE(r.p->ac.empty());
  EXPECT_TRUE(r.p->cas.empty());
  ASSERT_TRUE(t.put_blob(sha256("dep"), "dep"));
  ASSERT_TRUE(t.put_action(sha256("k2"), entry_with("dep", false)));
  EXPECT_EQ(r.p->ac.size(), 1u);
  EXPECT_EQ(r.p->cas.size(), 1u);
  EXPECT_TRUE(*local.get_action(key));  // local gets everything
}

TEST_F(TieredTest, FailingRemoteIsMarkedDownWithOneWarning) {
  auto r = make_remote();
  r.p->fail = "timeout: GET http://h/ac/…: Operation timed out";
  ::testing::internal::CaptureStderr();
  {
    TieredStore t(local, dir, "build-1", UploadPolicy::All);
    t.add_remote(url("http://h/"), std::move(r.owned));
    auto got = t.get_action(key);
    ASSERT_TRUE(got);
    EXPECT_FALSE(*got);
    EXPECT_TRUE(t.is_down(0));
    // Not used again in this process: the miss is recorded locally only.
    ASSERT_TRUE(t.put_blob(sha256("rlib"), "rlib"));
    ASSERT_TRUE(t.put_action(key, entry_with("rlib")));
    EXPECT_EQ(r.p->gets + r.p->puts + r.p->heads, 1);
    EXPECT_EQ(t.counters(0).timeouts, 1u);
  }
  // Another process of the same build: down, no call, no warning.
  auto r2 = make_remote();
  {
    TieredStore t(local, dir, "build-1", UploadPolicy::All);
    t.add_remote(url("http://h/"), std::move(r2.owned));
    EXPECT_TRUE(t.is_down(0));
    (void)t.get_action(sha256("other"));
    EXPECT_EQ(r2.p->gets, 0);
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  size_t n = 0;
  for (size_t p = err.find("kiln: warning:"); p != std::string::npos; p = err.find("kiln: warning:", p + 1)) ++n;
  EXPECT_EQ(n, 1u) << err;
  EXPECT_NE(err.find("http://h"), std::string::npos);
  EXPECT_EQ(read_stats(dir).stores["http://h"].timeouts, 1u);
}

TEST_F(TieredTest, CorruptRemoteBlobIsAMissAndAnError) {
  // A remote whose get_blob fails verification (as HttpStore/RedisStore report it).
  struct Lying : MemoryRemote {
    Result<std::optional<std::string>> get_blob(const Digest&) override {
      return make_error("GET http://h/cas/…: content does not match its digest");
    }
  };
  auto m = std::make_unique<Lying>();
  m->cas[sha256("rlib")] = "rlix";
  m->ac[key] = entry_with("rlib");
  ::testing::internal::CaptureStderr();
  TieredStore t(local, dir, "s", UploadPolicy::All);
  t.add_remote(url("http://h/"), std::move(m));
  auto got = t.get_action(key);
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(got);
  EXPECT_FALSE(*got);
  EXPECT_FALSE(*local.get_action(key));
  EXPECT_FALSE(*local.get_blob(sha256("rlib")));
  EXPECT_EQ(t.counters(0).errors, 1u);
  EXPECT_NE(err.find("does not match"), std::string::npos);
}

TEST_F(TieredTest, BrokenRemoteIsReportedOncePerBuild) {
  ::testing::internal::CaptureStderr();
  for (int i = 0; i < 3; ++i) {
    TieredStore t(local, dir, "b", UploadPolicy::All);
    t.add_broken_remote("#1", "htp://x", make_error("unsupported remote scheme htp://"));
    EXPECT_TRUE(t.is_down(0));
    EXPECT_FALSE(*t.get_action(key));
  }
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("kiln: warning"), err.rfind("kiln: warning")) << err;
  EXPECT_NE(err.find("unsupported"), std::string::npos);
}

TEST_F(TieredTest, ManifestRefreshMergesRemoteSourceSets) {
  auto manifest_entry = [](const std::string& content) {
    SourceManifest m;
    ManifestSet set;
    ManifestFile f;
    f.path = "{{kiln:ws}}/src/lib.rs";
    f.size = content.size();
    f.mtime_ns = 1;
    f.digest = sha256(content);
    set.files.push_back(f);
    m.add(set);
    ActionResult e;
    e.meta.kind = EntryKind::Manifest;
    e.meta.payload = m.to_json();
    return e;
  };
  Digest mkey = sha256("manifest key");
  ASSERT_TRUE(local.put_action(mkey, manifest_entry("old source")));
  auto r = make_remote();
  r.p->ac[mkey] = manifest_entry("new source");
  TieredStore t(local, dir, "s", UploadPolicy::All);
  t.add_remote(url("http://h/"), std::move(r.owned));
  // Normally the local manifest answers alone: no network on the hit path.
  auto first = t.get_action(mkey);
  ASSERT_TRUE(first && *first);
  EXPECT_EQ(SourceManifest::from_json((*first)->meta.payload)->sets.size(), 1u);
  EXPECT_EQ(r.p->gets, 0);
  // After a lookup found no matching set: merged, local set first, and stored locally.
  EXPECT_TRUE(t.refresh_manifests(merge_manifest_payload));
  auto merged = t.get_action(mkey);
  ASSERT_TRUE(merged && *merged);
  auto m = SourceManifest::from_json((*merged)->meta.payload);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->sets.size(), 2u);
  EXPECT_EQ(m->sets[0].files[0].digest, sha256("old source"));
  EXPECT_EQ(m->sets[1].files[0].digest, sha256("new source"));
  EXPECT_EQ(SourceManifest::from_json((*local.get_action(mkey))->meta.payload)->sets.size(), 2u);
  // Once per key and process.
  (void)t.get_action(mkey);
  EXPECT_EQ(r.p->gets, 1);
}

// An entry from a build index's pack: its blobs come from the first remote that has them all,
// then it is written locally; without them nothing is written.
TEST_F(TieredTest, ImportedEntryFetchesItsBlobsFirst) {
  auto empty = make_remote(), full = make_remote();
  full.p->cas[sha256("rlib")] = "rlib";
  TieredStore t(local, dir, "s", UploadPolicy::All);
  t.add_remote(url("http://h/empty"), std::move(empty.owned));
  t.add_remote(url("http://h/full"), std::move(full.owned));
  EXPECT_FALSE(t.import_entry(key, entry_with("not anywhere")));
  EXPECT_FALSE(*local.get_action(key));
  ASSERT_TRUE(t.import_entry(key, entry_with("rlib")));
  EXPECT_EQ(**local.get_blob(sha256("rlib")), "rlib");
  EXPECT_EQ((*local.get_action(key))->stderr_raw, "warning: x\n");
  EXPECT_EQ(t.counters(1).hits, 1u);
  EXPECT_EQ(empty.p->gets + full.p->gets, 0) << "the entry itself is not asked for";
}

// Remote-only reads for the build index: which remote answered; blobs not copied locally.
TEST_F(TieredTest, RemoteOnlyReadsSayWhereFrom) {
  auto a = make_remote(), b = make_remote();
  b.p->ac[key] = entry_with("rlib");
  b.p->cas[sha256("pack")] = "pack";
  TieredStore t(local, dir, "s", UploadPolicy::All);
  t.add_remote(url("http://h/a"), std::move(a.owned));
  t.add_remote(url("http://h/b#read-only"), std::move(b.owned));
  size_t from = 99;
  ASSERT_TRUE(t.get_remote_action(key, &from).has_value());
  EXPECT_EQ(from, 1u);
  EXPECT_EQ(t.get_remote_blob(sha256("pack")), std::optional<std::string>("pack"));
  EXPECT_FALSE(*local.has_blob(sha256("pack")));
  EXPECT_FALSE(t.get_remote_blob(sha256("absent")).has_value());
  // Remote 0 is the only one written to; remote 1 is read-only.
  EXPECT_TRUE(t.only_writable(0));
  EXPECT_FALSE(t.only_writable(1));
  TieredStore none(local, dir, "s", UploadPolicy::None);
  auto c = make_remote();
  none.add_remote(url("http://h/c"), std::move(c.owned));
  EXPECT_FALSE(none.only_writable(0)) << "upload = none writes nowhere";
}

TEST(UploadPolicy, Parse) {
  EXPECT_EQ(parse_upload_policy("all"), UploadPolicy::All);
  EXPECT_EQ(parse_upload_policy("dependencies"), UploadPolicy::Dependencies);
  EXPECT_EQ(parse_upload_policy("none"), UploadPolicy::None);
}

}  // namespace kiln
