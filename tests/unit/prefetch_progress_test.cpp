// The prefetch's progress line text (cli/prefetch_progress.h).
#include <gtest/gtest.h>

#include "cli/prefetch_progress.h"

namespace kiln {
namespace {

TEST(PrefetchProgress, Line) {
  PrefetchReport p;
  EXPECT_EQ(PrefetchProgress::format(p, 1.0), "");
  p.listed = 138;
  p.present = 42;
  p.bytes_down = 64ull << 20;
  EXPECT_EQ(PrefetchProgress::format(p, 2.0), "kiln: prefetching the last build: 42/138 entries, 64.0 MiB, 32.0 MiB/s");
  EXPECT_EQ(PrefetchProgress::format(p, 0.0), "kiln: prefetching the last build: 42/138 entries, 64.0 MiB, 0.0 MiB/s");
  PrefetchProgress off(nullptr, true);  // no prefetch: relays only
  off.stop();
}

}  // namespace
}  // namespace kiln
