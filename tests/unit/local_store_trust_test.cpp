// Trustworthiness of the local store (src/store/local/) and of the stats (src/stats/):
// the size cap holds on inserts with LRU order (a read refreshes recency); an evicted blob
// makes its entry a miss and a restore writes nothing; corrupt or truncated files are misses,
// removed and counted; temp files of killed writers are never read and are cleaned by verify;
// verify reports damage; counters match the files; parallel writers and parallel stats
// appenders (with folds running meanwhile) lose nothing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "core/replay.h"
#include "key/path_anchors.h"
#include "stats/stats.h"
#include "stats/stats_fold.h"
#include "store/local/eviction.h"
#include "store/local/local_store.h"
#include "store/local/size_counters.h"
#include "store/local/store_files.h"
#include "store/local/store_verify.h"
#include "test_support.h"
#include "util/clock.h"
#include "util/fs.h"

namespace kiln {
namespace {

// Incompressible bytes, distinct per (seed, i).
std::string noise(size_t n, uint64_t seed) {
  std::mt19937_64 r(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(r());
  return s;
}

uint64_t disk_total(const std::string& dir) { return scan_store(dir, wall_ns()).disk_bytes; }

void overwrite(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
  ASSERT_TRUE(f.good());
}

class TrustTest : public ::testing::Test {
 protected:
  kiln::testing::TempDir tmp_;
  std::string dir_ = tmp_ / "store";
};

TEST_F(TrustTest, SizeCapHoldsOnInsert) {
  const uint64_t cap = 1 << 20;  // 64 KiB per bucket
  LocalStore store(dir_, cap);
  for (uint64_t i = 0; i < 400; ++i) {
    std::string data = noise(8192, i);
    ASSERT_TRUE(store.put_blob(sha256(data), data).ok());
  }
  // Each bucket is cleaned when over its share; at most one file above it remains.
  uint64_t total = disk_total(dir_);
  EXPECT_LE(total, cap + kStoreBuckets * 12288) << total;
  EXPECT_GT(total, cap / 4);
  StatsSummary s = read_stats(dir_);
  EXPECT_GT(s.evicted_files, 100u);
  // Counters agree with the files.
  EXPECT_EQ(static_cast<uint64_t>(SizeCounters(dir_).total().bytes), total);
}

// A file bigger than a bucket's share (cap/16) stays while the store as a whole has room.
TEST_F(TrustTest, FileBiggerThanAShareIsKeptWhileTheStoreHasRoom) {
  const uint64_t cap = 1 << 20;
  LocalStore store(dir_, cap);
  std::string big = noise(200 * 1024, 4242);
  ASSERT_TRUE(store.put_blob(sha256(big), big).ok());
  for (uint64_t i = 0; i < 40; ++i) {
    std::string data = noise(8192, 5000 + i);
    ASSERT_TRUE(store.put_blob(sha256(data), data).ok());
  }
  EXPECT_TRUE(path_exists(store.blob_path(sha256(big))));
  EXPECT_EQ(read_stats(dir_).evicted_files, 0u);
}

TEST_F(TrustTest, LeastRecentlyUsedGoesFirst) {
  LocalStore store(dir_, 0);
  std::vector<Digest> ds;
  int64_t now_s = wall_ns() / 1000000000;
  for (uint64_t i = 0; i < 64; ++i) {
    std::string data = noise(8192, 100 + i);
    ds.push_back(sha256(data));
    ASSERT_TRUE(store.put_blob(ds.back(), data).ok());
    kiln::testing::set_mtime(store.blob_path(ds.back()), now_s - 10000 + static_cast<int64_t>(i));
  }
  // Reading the 8 oldest makes them the most recent.
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(store.get_blob(ds[i])->has_value());
  uint64_t each = disk_total(dir_) / 64;
  EvictionReport r = collect_garbage(dir_, each * 32);
  EXPECT_EQ(r.files_removed, 32u);
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(path_exists(store.blob_path(ds[i]))) << "read blob " << i << " evicted";
  for (int i = 8; i < 40; ++i) EXPECT_FALSE(path_exists(store.blob_path(ds[i]))) << "old blob " << i << " kept";
  for (int i = 40; i < 64; ++i) EXPECT_TRUE(path_exists(store.blob_path(ds[i]))) << "recent blob " << i << " evicted";
  EXPECT_EQ(SizeCounters(dir_).total().files, 32);
}

TEST_F(TrustTest, EntryWithEvictedBlobRestoresNothing) {
  LocalStore store(dir_, 0);
  std::string a = noise(5000, 1), b = noise(7000, 2);
  ASSERT_TRUE(store.put_blob(sha256(a), a).ok());
  ASSERT_TRUE(store.put_blob(sha256(b), b).ok());
  ActionResult e;
  e.output_files.push_back({"{{kiln:target}}/debug/deps/libx-1.rlib", sha256(a), 5000, false});
  e.output_files.push_back({"{{kiln:target}}/debug/deps/libx-1.rmeta", sha256(b), 7000, false});
  e.meta.crate_name = "x";
  Digest key = sha256("key");
  ASSERT_TRUE(store.put_action(key, e).ok());
  // b is the least recently used file: evict exactly it.
  kiln::testing::set_mtime(store.blob_path(sha256(b)), 1000000000);
  EvictionReport r = collect_garbage(dir_, disk_total(dir_) - 1);
  ASSERT_EQ(r.files_removed, 1u);
  ASSERT_FALSE(path_exists(store.blob_path(sha256(b))));

  PathAnchors anchors;
  anchors.add({"target", tmp_ / "target", ""});
  auto entry = store.get_action(key);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  Status st = restore_outputs(store, **entry, anchors);
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(path_exists(tmp_ / "target/debug/deps/libx-1.rlib")) << "partial outputs written";
  EXPECT_FALSE(path_exists(tmp_ / "target/debug/deps/libx-1.rmeta"));
  // verify drops the incomplete entry without calling it damage.
  VerifyReport v = verify_store(dir_);
  EXPECT_TRUE(v.clean());
  EXPECT_EQ(v.dangling_removed, 1u);
  EXPECT_FALSE(path_exists(store.action_path(key)));
}

// A miss first unlinks its outputs that share an inode (a hit's hard link to a store blob), so
// whatever writes them cannot reach the store's copy; the store's copy is untouched.
TEST_F(TrustTest, AMissBreaksItsOutputsHardLinksToTheStore) {
  LocalStore store(dir_, 0);
  std::string data = noise(100000, 9);
  Digest d = sha256(data);
  ASSERT_TRUE(store.put_blob(d, data).ok());
  std::string rlib = tmp_ / "target/debug/deps/libx-1.rlib";
  ASSERT_TRUE(*store.restore_blob(d, rlib, false, /*may_link=*/true));
  ASSERT_EQ(stat_file(rlib)->inode, stat_file(store.blob_path(d))->inode);
  std::string alone = tmp_ / "target/debug/deps/libx-1.rmeta";
  ASSERT_TRUE(write_file_atomic(alone, "rmeta").ok());
  break_shared_links({rlib, alone, tmp_ / "target/debug/deps/absent"});
  EXPECT_FALSE(path_exists(rlib));
  EXPECT_TRUE(path_exists(alone)) << "a file of its own stays";
  auto again = store.get_blob(d);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ(**again, data);
}

TEST_F(TrustTest, CorruptAndTruncatedFilesAreCountedMisses) {
  LocalStore store(dir_, 0);
  std::string data = noise(20000, 7);
  Digest d = sha256(data);
  ASSERT_TRUE(store.put_blob(d, data).ok());
  ActionResult e;
  e.output_files.push_back({"{{kiln:target}}/x", d, 20000, false});
  Digest key = sha256("k");
  ASSERT_TRUE(store.put_action(key, e).ok());

  auto bytes = read_file(store.blob_path(d));
  ASSERT_TRUE(bytes.ok());
  overwrite(store.blob_path(d), bytes->substr(0, bytes->size() / 2));  // truncated
  auto entry_bytes = read_file(store.action_path(key));
  std::string flipped = *entry_bytes;
  flipped[flipped.size() - 3] ^= 0x20;
  overwrite(store.action_path(key), flipped);

  auto blob = store.get_blob(d);
  ASSERT_TRUE(blob.ok());
  EXPECT_FALSE(blob->has_value());
  auto entry = store.get_action(key);
  ASSERT_TRUE(entry.ok());
  EXPECT_FALSE(entry->has_value());
  EXPECT_FALSE(path_exists(store.blob_path(d)));
  EXPECT_FALSE(path_exists(store.action_path(key)));
  EXPECT_EQ(store.corrupt_found(), 2);
  EXPECT_EQ(read_stats(dir_).corrupt, 2u);
  // Stored again afterwards, it reads back fine.
  ASSERT_TRUE(store.put_blob(d, data).ok());
  EXPECT_EQ(**store.get_blob(d), data);
}

TEST_F(TrustTest, TempFilesAreNeverReadAndVerifyCleansTheAbandonedOnes) {
  LocalStore store(dir_, 0);
  std::string data = noise(3000, 9);
  Digest d = sha256(data);
  ASSERT_TRUE(store.put_blob(d, data).ok());
  auto good = read_file(store.blob_path(d));
  ASSERT_TRUE(good.ok());
  ASSERT_EQ(::unlink(store.blob_path(d).c_str()), 0);
  // A complete temp file of a dead writer, and one of a live writer (us).
  pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  std::string dead_tmp = store.blob_path(d) + ".tmp." + std::to_string(dead) + ".abcdefghij";
  std::string live_tmp = store.blob_path(d) + ".tmp." + std::to_string(::getpid()) + ".abcdefghij";
  overwrite(dead_tmp, *good);
  overwrite(live_tmp, *good);
  auto miss = store.get_blob(d);
  ASSERT_TRUE(miss.ok());
  EXPECT_FALSE(miss->has_value());
  VerifyReport v = verify_store(dir_);
  EXPECT_TRUE(v.clean());
  EXPECT_EQ(v.temps_removed, 1u);
  EXPECT_EQ(v.temps_live, 1u);
  EXPECT_FALSE(path_exists(dead_tmp));
  EXPECT_TRUE(path_exists(live_tmp));
  // An old temp file goes even if its pid is running (pids are reused).
  kiln::testing::set_mtime(live_tmp, wall_ns() / 1000000000 - 2 * 3600);
  EXPECT_EQ(collect_garbage(dir_, 1ull << 40).temps_removed, 1u);
  EXPECT_FALSE(path_exists(live_tmp));
}

// A writer killed but not yet reaped (a background store reparented to a slow init) is a
// zombie: its temp file is abandoned, not in use.
TEST_F(TrustTest, AZombieWritersTempFileIsAbandoned) {
  pid_t zombie = ::fork();
  if (zombie == 0) ::_exit(0);
  std::string name = std::string(62, 'a') + ".tmp." + std::to_string(zombie) + ".abcdefghij";
  int64_t now = wall_ns();
  bool abandoned = false;
  for (int i = 0; i < 200 && !abandoned; ++i) {  // until the child has exited (unreaped)
    abandoned = store_temp_abandoned(name, now, now);
    if (!abandoned) ::usleep(5000);
  }
  EXPECT_TRUE(abandoned);
  EXPECT_FALSE(store_temp_abandoned(std::string(62, 'a') + ".tmp." + std::to_string(::getpid()) + ".x", now, now));
  ::waitpid(zombie, nullptr, 0);
}

TEST_F(TrustTest, VerifyFindsAndRemovesDamage) {
  LocalStore store(dir_, 0);
  std::vector<Digest> keys;
  for (int i = 0; i < 10; ++i) {
    std::string data = noise(4000, 200 + i);
    ASSERT_TRUE(store.put_blob(sha256(data), data).ok());
    ActionResult e;
    e.output_files.push_back({"{{kiln:target}}/f" + std::to_string(i), sha256(data), 4000, false});
    keys.push_back(sha256("key" + std::to_string(i)));
    ASSERT_TRUE(store.put_action(keys.back(), e).ok());
  }
  VerifyReport ok = verify_store(dir_);
  EXPECT_TRUE(ok.clean());
  EXPECT_EQ(ok.entries_ok, 10u);
  EXPECT_EQ(ok.blobs_ok, 10u);

  std::string b3 = store.blob_path(sha256(noise(4000, 203)));
  overwrite(b3, "not zstd");
  overwrite(store.action_path(keys[5]), "");
  VerifyReport bad = verify_store(dir_);
  EXPECT_FALSE(bad.clean());
  EXPECT_EQ(bad.blobs_damaged, 1u);
  EXPECT_EQ(bad.entries_damaged, 1u);
  EXPECT_EQ(bad.dangling_removed, 1u);  // entry 3 lost its blob
  EXPECT_EQ(bad.entries_ok, 8u);
  EXPECT_FALSE(path_exists(b3));
  VerifyReport again = verify_store(dir_);
  EXPECT_TRUE(again.clean());
  EXPECT_EQ(again.entries_ok, 8u);
  EXPECT_EQ(static_cast<uint64_t>(SizeCounters(dir_).total().bytes), disk_total(dir_));
}

TEST_F(TrustTest, MissingCounterIsRebuiltAndPruneByAge) {
  LocalStore store(dir_, 0);
  std::vector<Digest> ds;
  for (int i = 0; i < 40; ++i) {
    std::string data = noise(2000, 300 + i);
    ds.push_back(sha256(data));
    ASSERT_TRUE(store.put_blob(ds.back(), data).ok());
  }
  SizeCounters counters(dir_);
  for (int b = 0; b < kStoreBuckets; ++b) ::unlink(counters.path(b).c_str());
  EXPECT_EQ(counters.total().files, 40);
  int64_t old_s = wall_ns() / 1000000000 - 8 * 86400;
  for (int i = 0; i < 10; ++i) kiln::testing::set_mtime(store.blob_path(ds[i]), old_s);
  EvictionReport r = prune_older_than(dir_, 7LL * 86400 * 1000000000);
  EXPECT_EQ(r.files_removed, 10u);
  EXPECT_EQ(r.files_after, 30u);
  EXPECT_EQ(counters.total().files, 30);
}

TEST_F(TrustTest, ParallelWritersKeepTheStoreConsistent) {
  const int kProcs = 4;
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    if (pid == 0) {
      LocalStore store(dir_, 512 * 1024);  // small: evictions run while others write
      for (int i = 0; i < 150; ++i) {
        std::string data = noise(6000, static_cast<uint64_t>(i % 100));  // shared among writers
        if (!store.put_blob(sha256(data), data).ok()) ::_exit(1);
        ActionResult e;
        e.output_files.push_back({"{{kiln:target}}/o", sha256(data), 6000, false});
        if (!store.put_action(sha256("k" + std::to_string(i % 100)), e).ok()) ::_exit(1);
      }
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t k : kids) {
    int status = 0;
    ::waitpid(k, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  StoreScan s = scan_store(dir_, wall_ns());
  EXPECT_TRUE(s.temps.empty());
  VerifyReport v = verify_store(dir_);
  EXPECT_TRUE(v.clean());
  EXPECT_LE(disk_total(dir_), 512u * 1024 + kStoreBuckets * 12288);
}

// A session's stats count only its own events, also beside a session whose name it begins
// (sessions are told by the whole field, however the lines are skipped).
TEST_F(TrustTest, SessionStatsCountOnlyThatSession) {
  for (const char* session : {"7", "77", "7", ""}) {
    StatsEvent e;
    e.outcome = Outcome::Hit;
    e.crate_type = "lib";
    e.saved_ms = 10;
    e.session = session;
    record_event(dir_, e);
  }
  EXPECT_EQ(read_stats(dir_, std::string("7")).hits, 2u);
  EXPECT_EQ(read_stats(dir_, std::string("7")).time_saved_ms, 20);
  EXPECT_EQ(read_stats(dir_, std::string("77")).hits, 1u);
  EXPECT_EQ(read_stats(dir_).hits, 4u);
}

// N processes append hit events while the parent folds shards as fast as it can:
// exactly N hits are counted, and the shards were folded (bounded).
TEST_F(TrustTest, ParallelStatsWithFoldsLoseNothing) {
  const int kProcs = 8, kEach = 300;
  ASSERT_TRUE(make_dirs(dir_ + "/stats").ok());
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    if (pid == 0) {
      for (int i = 0; i < kEach; ++i) {
        StatsEvent e;
        e.outcome = Outcome::DirectHit;
        e.crate_type = "lib";
        e.kiln_ms = 1 + (i % 100);
        e.session = "s" + std::to_string(p % 2);
        record_event(dir_, e);
      }
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  int folds = 0;
  for (int alive = kProcs; alive > 0;) {
    if (fold_stats(dir_, 1, false)) ++folds;
    while (alive > 0 && ::waitpid(-1, nullptr, WNOHANG) > 0) --alive;
  }
  EXPECT_GT(folds, 0);
  StatsSummary s = read_stats(dir_);
  EXPECT_EQ(s.hits, static_cast<uint64_t>(kProcs * kEach));
  EXPECT_EQ(read_stats(dir_, std::string("s0")).hits, static_cast<uint64_t>(kProcs / 2 * kEach));
  EXPECT_NEAR(s.hit_ms_p50, 50, 10);
  EXPECT_NEAR(s.hit_ms_p95, 95, 10);
  // Fold everything: still exact, and the shards are empty.
  ASSERT_TRUE(fold_stats(dir_, 0, true));
  EXPECT_EQ(read_stats(dir_).hits, static_cast<uint64_t>(kProcs * kEach));
  for (const auto& n : list_dir(dir_ + "/stats")) {
    if (n.rfind("events.", 0) == 0) EXPECT_EQ(stat_file(dir_ + "/stats/" + n)->size, 0u) << n;
  }
  zero_stats(dir_);
  EXPECT_EQ(read_stats(dir_).hits, 0u);
}

// A fold killed before writing the summary leaves fold.<id>.log: counted by readers, folded
// later. One killed after it leaves a file whose id the summary lists: never counted twice.
TEST_F(TrustTest, KilledFoldsCountEveryLineOnce) {
  auto hit_line = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "e\t-\tdirect_hit\tlib\t-\t5.000\t1.0\n";
    return s;
  };
  StatsEvent e;
  e.outcome = Outcome::DirectHit;
  for (int i = 0; i < 4; ++i) record_event(dir_, e);
  ASSERT_TRUE(fold_stats(dir_, 0, true));
  EXPECT_EQ(read_stats(dir_).hits, 4u);
  auto summary = nlohmann::json::parse(*read_file(dir_ + "/stats/summary.json"));
  std::string folded_id = summary["folded"].back();

  tmp_.write("store/stats/fold.crashed-before.log", hit_line(3));       // not in the summary
  tmp_.write("store/stats/fold." + folded_id + ".log", hit_line(100));  // already counted
  EXPECT_EQ(read_stats(dir_).hits, 7u);
  ASSERT_TRUE(fold_stats(dir_, 0, true));
  EXPECT_EQ(read_stats(dir_).hits, 7u);
  EXPECT_FALSE(path_exists(dir_ + "/stats/fold.crashed-before.log"));
  EXPECT_FALSE(path_exists(dir_ + "/stats/fold." + folded_id + ".log"));
  // A record cut short (a full disk) is ignored, and does not swallow the next one.
  tmp_.write("store/stats/events." + std::to_string(::getpid() % 16) + ".log", hit_line(2) + "e\t-\tdirect_h");
  EXPECT_EQ(read_stats(dir_).hits, 9u);
  record_event(dir_, e);
  EXPECT_EQ(read_stats(dir_).hits, 10u);
}

// A fold's summary stays bounded however many events were folded.
TEST_F(TrustTest, FoldedSummaryIsBounded) {
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 500; ++i) {
      StatsEvent e;
      e.outcome = i % 3 ? Outcome::DirectHit : Outcome::Miss;
      e.kiln_ms = i;
      e.session = "session-" + std::to_string(round);
      record_event(dir_, e);
    }
    ASSERT_TRUE(fold_stats(dir_, 0, true));
  }
  auto st = stat_file(dir_ + "/stats/summary.json");
  ASSERT_TRUE(st.has_value());
  EXPECT_LT(st->size, 64u * 1024);
  StatsSummary s = read_stats(dir_);
  EXPECT_EQ(s.hits + s.misses, 10000u);
  EXPECT_EQ(read_stats(dir_, std::string("session-19")).hits + read_stats(dir_, std::string("session-19")).misses, 500u);
}

}  // namespace
}  // namespace kiln
