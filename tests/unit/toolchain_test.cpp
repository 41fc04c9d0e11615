// Toolchain identity (rustc/toolchain.h) over a fake sysroot: a shell-script rustc that answers
// -vV and --print sysroot, and two library files. The identity must follow every library's
// content — also when a library's digest was remembered on the file by an earlier run.
#include <sys/stat.h>
#include <sys/xattr.h>

#include "rustc/toolchain.h"
#include "test_support.h"

namespace kiln {
namespace {

using testing::set_mtime;
using testing::TempDir;

constexpr int64_t kOld = 1'600'000'000;  // files older than the digest cache's racy margin

struct FakeSysroot {
  TempDir dir;
  std::string rustc, driver, std_rlib;
  FakeSysroot() {
    rustc = dir.write("bin/rustc",
                      "#!/bin/sh\n"
                      "case \"$1\" in\n"
                      "  -vV) printf 'rustc 9.9.9 (fake)\\nhost: x86_64-unknown-linux-gnu\\n' ;;\n"
                      "  --print) echo '" + dir.path() + "' ;;\n"
                      "esac\n");
    ::chmod(rustc.c_str(), 0755);
    driver = dir.write("lib/librustc_driver-1.so", "driver v1");
    std_rlib = dir.write("lib/rustlib/x86_64-unknown-linux-gnu/lib/libstd-1.rlib", "std v1");
    set_mtime(driver, kOld);
    set_mtime(std_rlib, kOld);
  }
};

Digest identity_with_fresh_cache(const std::string& rustc) {
  TempDir cache;
  auto t = load_toolchain(rustc, cache.path());
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? t->identity() : Digest{};
}

TEST(Toolchain, ReadsVersionHostAndSysroot) {
  FakeSysroot s;
  TempDir cache;
  auto t = load_toolchain(s.rustc, cache.path());
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->host, "x86_64-unknown-linux-gnu");
  EXPECT_EQ(t->sysroot, s.dir.path());
  EXPECT_NE(t->version_verbose.find("rustc 9.9.9"), std::string::npos);
  // A second load comes from the cache record and agrees.
  auto again = load_toolchain(s.rustc, cache.path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->identity(), t->identity());
}

TEST(Toolchain, SameToolchainSameIdentityInEveryStore) {
  FakeSysroot s;
  EXPECT_EQ(identity_with_fresh_cache(s.rustc), identity_with_fresh_cache(s.rustc));
}

TEST(Toolchain, EveryLibraryChangesTheIdentity) {
  FakeSysroot s;
  Digest before = identity_with_fresh_cache(s.rustc);
  // The same size and a new mtime: a remembered digest must not be trusted.
  s.dir.write("lib/librustc_driver-1.so", "driver v2");
  set_mtime(s.driver, kOld + 10);
  Digest driver_changed = identity_with_fresh_cache(s.rustc);
  EXPECT_NE(driver_changed, before);
  s.dir.write("lib/rustlib/x86_64-unknown-linux-gnu/lib/libstd-1.rlib", "std v2");
  set_mtime(s.std_rlib, kOld + 10);
  EXPECT_NE(identity_with_fresh_cache(s.rustc), driver_changed);
}

TEST(Toolchain, RemembersLibraryDigestsOnTheFiles) {
  FakeSysroot s;
  (void)identity_with_fresh_cache(s.rustc);
  char buf[160];
  ssize_t n = ::getxattr(s.std_rlib.c_str(), "user.kiln.sha256", buf, sizeof buf);
  if (n < 0 && errno == ENOTSUP) GTEST_SKIP() << "no user xattrs on this filesystem";
  EXPECT_GT(n, 64);
}

}  // namespace
}  // namespace kiln
