// Tests of the compilation's side of a prefetch (src/core/prefetch.h): an entry listed as
// still to come is waited for until the prefetch removes its file (or the bound passes);
// without a running prefetch nothing waits. Prefetch::start against real servers is covered by
// tests/e2e/test_remote_redis.sh and test_remote_http.sh.
#include <gtest/gtest.h>

#include <thread>

#include "core/prefetch.h"
#include "test_support.h"
#include "util/clock.h"
#include "util/fs.h"

namespace kiln {
namespace {

TEST(PrefetchWait, WaitsForAListedEntryUntilItArrives) {
  testing::TempDir tmp;
  std::string dir = tmp / "prefetch";
  Digest key = sha256("entry");
  std::string planned = tmp.write("prefetch/" + key.hex(), "");
  std::thread prefetcher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
    ::unlink(planned.c_str());
  });
  double t0 = now_ms();
  EXPECT_TRUE(wait_for_prefetch(dir, key, 5000));
  double waited = now_ms() - t0;
  prefetcher.join();
  EXPECT_GE(waited, 60.0);
  EXPECT_LT(waited, 4000.0);
}

TEST(PrefetchWait, ABoundAndNoPrefetch) {
  testing::TempDir tmp;
  std::string dir = tmp / "prefetch";
  Digest key = sha256("entry");
  tmp.write("prefetch/" + key.hex(), "");
  double t0 = now_ms();
  EXPECT_TRUE(wait_for_prefetch(dir, key, 50));  // never arrives: gives up after the bound
  EXPECT_GE(now_ms() - t0, 40.0);
  EXPECT_TRUE(wait_for_prefetch(dir, sha256("not listed"), 5000)) << "a running prefetch: look locally again";
  EXPECT_FALSE(wait_for_prefetch("", key, 5000));
  EXPECT_FALSE(wait_for_prefetch(tmp / "no-prefetch", key, 5000));
}

}  // namespace
}  // namespace kiln
