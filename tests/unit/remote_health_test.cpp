// Down-marks shared between kiln processes: one maker per build, validity by session or age.
#include <gtest/gtest.h>

#include <cstdlib>

#include "store/remote/health.h"
#include "util/fs.h"

namespace kiln {
namespace {

std::string temp_dir() {
  std::string t = "/tmp/kiln-health-XXXXXX";
  return ::mkdtemp(t.data());
}

}  // namespace

TEST(RemoteHealth, OneMakerPerSession) {
  std::string dir = temp_dir();
  RemoteHealth a(dir, "http://h:1/x", "s1"), b(dir, "http://h:1/x", "s1");
  EXPECT_FALSE(a.is_down());
  EXPECT_EQ(a.mark_down("HTTP 500"), RemoteHealth::MarkResult::Made);
  EXPECT_TRUE(b.is_down());
  EXPECT_EQ(b.reason(), "HTTP 500");
  EXPECT_EQ(b.mark_down("again"), RemoteHealth::MarkResult::AlreadyDown);
  // Another build (session) tries the remote again.
  RemoteHealth next(dir, "http://h:1/x", "s2");
  EXPECT_FALSE(next.is_down());
  EXPECT_EQ(next.mark_down("still"), RemoteHealth::MarkResult::Made);
  EXPECT_FALSE(a.is_down());
  // Other remotes are independent.
  EXPECT_FALSE(RemoteHealth(dir, "http://h:2/x", "s2").is_down());
  (void)remove_all(dir);
}

TEST(RemoteHealth, WithoutSessionByAge) {
  std::string dir = temp_dir();
  RemoteHealth a(dir, "redis://h", "", 60);
  EXPECT_EQ(a.mark_down("timeout: x"), RemoteHealth::MarkResult::Made);
  EXPECT_TRUE(RemoteHealth(dir, "redis://h", "", 60).is_down());
  EXPECT_FALSE(RemoteHealth(dir, "redis://h", "", 0).is_down());  // expired
  a.clear();
  EXPECT_FALSE(a.is_down());
  (void)remove_all(dir);
}

TEST(RemoteHealth, UnwritableDirFails) {
  RemoteHealth a("/proc/no-such-dir", "http://h", "s");
  EXPECT_EQ(a.mark_down("x"), RemoteHealth::MarkResult::Failed);
  EXPECT_FALSE(a.is_down());
}

TEST(RemoteHealth, TimeoutConvention) {
  EXPECT_TRUE(is_timeout(timeout_error("GET x: Operation timed out")));
  EXPECT_FALSE(is_timeout(make_error("GET x: HTTP 500")));
}

}  // namespace kiln
