// Tests of direct-mode manifests (src/key/source_manifest.h): a source set built from the
// real dep-info of tests/data/depinfo/lib.d over a scratch copy of its sources; the JSON
// round trip; match_manifest finding the set while the files are unchanged (even from
// another checkout), rejecting it when a file changed or vanished, and rejecting it when a
// module-resolution alternative appears (src/foo.rs recorded, then src/foo/mod.rs created);
// a build script's package file list (key/package_listing.h) in the key and the manifest.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "key/action_key.h"
#include "key/package_listing.h"
#include "key/source_manifest.h"
#include "rustc/dep_info.h"
#include "test_support.h"
#include "util/clock.h"

namespace kiln {
namespace {

constexpr int64_t kPast = 1600000000;  // an mtime (s) long before any compilation in a test

// The sources the recorded lib.d lists, laid out under `ws` with old mtimes.
void write_mylib(const testing::TempDir& root, const std::string& ws) {
  const std::pair<const char*, const char*> files[] = {
      {"mylib/src/lib.rs", "mod nested;\n#[path = \"has space.rs\"]\nmod has_space;\n"},
      {"mylib/src/nested/mod.rs", "pub fn zero() -> u32 {\n    0\n}\n"},
      {"mylib/src/has space.rs", "pub fn one() -> u32 {\n    1\n}\n"},
      {"mylib/src/banner.txt", "kiln test banner\n"},
  };
  for (const auto& [rel, content] : files) testing::set_mtime(root.write(ws + "/" + rel, content), kPast);
}

PathAnchors ws_anchors(const std::string& ws) {
  PathAnchors a;
  a.add({"ws", ws, "."});
  return a;
}

class SourceManifestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.set("BUILD_GREETING", "hello from build.rs");
    env_.set("CARGO_PKG_VERSION", "0.3.1");
    env_.unset("KILN_TEST_SURELY_UNSET_VAR");
    ws_ = root_ / "ws";
    write_mylib(root_, "ws");
    auto dep = parse_dep_info(testing::read_data("depinfo/lib.d"));
    ASSERT_TRUE(dep.ok());
    dep_ = *dep;
    auto sets = source_set_from_dep_info(dep_, ws_, ws_anchors(ws_), wall_ns());
    ASSERT_TRUE(sets.ok()) << sets.error().message;
    sources_ = sets->first;
    set_ = sets->second;
    manifest_.add(set_);
  }

  std::optional<SourceSet> match() { return match_manifest(manifest_, ws_anchors(ws_)); }

  testing::ScopedEnv env_;
  testing::TempDir root_;
  std::string ws_;
  DepInfo dep_;
  SourceSet sources_;
  ManifestSet set_;
  SourceManifest manifest_;
};

TEST_F(SourceManifestTest, SetFromRealDepInfo) {
  ASSERT_EQ(sources_.files.size(), 4u);
  // Sorted by portable path.
  EXPECT_EQ(sources_.files[0].path, "{{kiln:ws}}/mylib/src/banner.txt");
  EXPECT_EQ(sources_.files[1].path, "{{kiln:ws}}/mylib/src/has space.rs");
  EXPECT_EQ(sources_.files[2].path, "{{kiln:ws}}/mylib/src/lib.rs");
  EXPECT_EQ(sources_.files[3].path, "{{kiln:ws}}/mylib/src/nested/mod.rs");
  EXPECT_EQ(sources_.files[0].digest, sha256("kiln test banner\n"));
  EXPECT_EQ(sources_.env_deps, (std::vector<EnvDep>{{"BUILD_GREETING", "hello from build.rs"},
                                                    {"CARGO_PKG_VERSION", "0.3.1"},
                                                    {"KILN_TEST_SURELY_UNSET_VAR", std::nullopt}}));
  ASSERT_EQ(set_.files.size(), 4u);
  EXPECT_EQ(set_.files[0].size, 17u);
  EXPECT_EQ(set_.files[0].mtime_ns, kPast * 1000000000);
  EXPECT_EQ(set_.env_names, (std::vector<std::string>{"BUILD_GREETING", "CARGO_PKG_VERSION", "KILN_TEST_SURELY_UNSET_VAR"}));
  // x/mod.rs ↔ x.rs alternatives must stay absent; crate roots and non-.rs files have none.
  std::vector<std::string> absent = set_.absent;
  std::sort(absent.begin(), absent.end());
  EXPECT_EQ(absent, (std::vector<std::string>{"{{kiln:ws}}/mylib/src/has space/mod.rs", "{{kiln:ws}}/mylib/src/nested.rs"}));
}

TEST_F(SourceManifestTest, JsonRoundTrip) {
  manifest_.sets[0].absent.push_back("{{kiln:ws}}/with \"quotes\" and ünïcode.rs");
  auto back = SourceManifest::from_json(manifest_.to_json());
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->sets.size(), 1u);
  const ManifestSet& a = manifest_.sets[0];
  const ManifestSet& b = back->sets[0];
  ASSERT_EQ(a.files.size(), b.files.size());
  for (size_t i = 0; i < a.files.size(); ++i) {
    EXPECT_EQ(a.files[i].path, b.files[i].path);
    EXPECT_EQ(a.files[i].size, b.files[i].size);
    EXPECT_EQ(a.files[i].mtime_ns, b.files[i].mtime_ns);
    EXPECT_EQ(a.files[i].digest, b.files[i].digest);
  }
  EXPECT_EQ(a.env_names, b.env_names);
  EXPECT_EQ(a.absent, b.absent);
  EXPECT_EQ(back->to_json(), manifest_.to_json());
}

// Version 2 stores each file record and absent path once: sets that share them (an edit loop's)
// cost little, and every set reads back as it was — also with records that differ only in
// identity (the same path hashed twice), and from a version-1 manifest an older kiln wrote.
TEST(SourceManifestJson, SetsShareTablesAndVersionOneStillReads) {
  auto file = [](std::string p, std::string content, int64_t ctime) {
    return ManifestFile{std::move(p), content.size(), 100, sha256(content), ctime, 7};
  };
  SourceManifest m;
  for (int edit = 0; edit < SourceManifest::kMaxSets; ++edit) {
    ManifestSet set;
    set.files = {file("{{kiln:ws}}/src/lib.rs", "shared", 5), file("{{kiln:ws}}/src/main.rs", "edit " + std::to_string(edit), 6 + edit)};
    set.env_names = {"CARGO_PKG_NAME"};
    set.absent = {"{{kiln:ws}}/src/lib/mod.rs", "/usr/local/bin/cc"};
    m.sets.push_back(std::move(set));
  }
  std::string text = m.to_json();
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["files"].size(), 1u + SourceManifest::kMaxSets) << "the shared file once";
  EXPECT_EQ(j["paths"].size(), 2u);
  auto back = SourceManifest::from_json(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->sets.size(), m.sets.size());
  for (size_t i = 0; i < m.sets.size(); ++i) {
    ASSERT_EQ(back->sets[i].files.size(), 2u);
    for (size_t k = 0; k < 2; ++k) {
      const ManifestFile& a = m.sets[i].files[k];
      const ManifestFile& b = back->sets[i].files[k];
      EXPECT_EQ(std::tie(a.path, a.size, a.mtime_ns, a.ctime_ns, a.inode, a.digest),
                std::tie(b.path, b.size, b.mtime_ns, b.ctime_ns, b.inode, b.digest));
    }
    EXPECT_EQ(back->sets[i].absent, m.sets[i].absent);
    EXPECT_EQ(back->sets[i].env_names, m.sets[i].env_names);
  }

  std::string d = sha256("x").hex();
  auto v1 = SourceManifest::from_json(R"({"version":1,"sets":[{"files":[{"p":"{{kiln:ws}}/a.rs","s":1,"m":2,"c":3,"i":4,"d":")" + d +
                                      R"("}],"env":["E"],"absent":["{{kiln:ws}}/a/mod.rs"]}]})");
  ASSERT_TRUE(v1.ok()) << v1.error().message;
  ASSERT_EQ(v1->sets.size(), 1u);
  EXPECT_EQ(v1->sets[0].files.at(0).ctime_ns, 3);
  EXPECT_EQ(v1->sets[0].absent, std::vector<std::string>{"{{kiln:ws}}/a/mod.rs"});

  for (const std::string bad : {R"({"version":2,"files":[],"paths":[],"sets":[{"f":[0],"env":[],"a":[]}]})",
                                R"({"version":2,"files":[],"paths":[],"sets":[{"f":[],"env":[],"a":[1]}]})",
                                R"({"version":2,"files":[],"paths":[],"sets":[{"f":[-1],"env":[],"a":[]}]})",
                                R"({"version":2,"paths":[],"sets":[]})", R"({"version":3,"files":[],"paths":[],"sets":[]})"}) {
    SCOPED_TRACE(bad);
    Result<SourceManifest> r = make_error("not run");
    EXPECT_NO_THROW(r = SourceManifest::from_json(bad));
    EXPECT_FALSE(r.ok()) << "an index outside the tables, a table missing, an unknown version";
  }
}

TEST(SourceManifestJson, MalformedIsAnError) {
  for (const char* text : {"", "[]", "{}", "not json", R"({"version":2,"sets":[]})", R"({"version":"1","sets":[]})",
                           R"({"version":null,"sets":[]})", R"({"version":1})", R"({"version":1,"sets":5})",
                           R"({"version":1,"sets":[{"files":[{"p":"a","s":1,"m":2,"d":"nothex"}],"env":[],"absent":[]}]})",
                           R"({"version":1,"sets":[{"files":[{"p":1,"s":1,"m":2,"d":"00"}],"env":[],"absent":[]}]})",
                           R"({"version":1,"sets":[{"files":[],"env":"x","absent":[]}]})",
                           R"({"version":1,"sets":[{"files":[]}]})"}) {
    SCOPED_TRACE(text);
    Result<SourceManifest> r = make_error("not run");
    EXPECT_NO_THROW(r = SourceManifest::from_json(text));
    EXPECT_FALSE(r.ok());
  }
  auto empty = SourceManifest::from_json(R"({"version":1,"sets":[]})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->sets.empty());
}

TEST_F(SourceManifestTest, MatchesWhileFilesAreUnchanged) {
  auto m = match();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->files, sources_.files);
  EXPECT_EQ(m->env_deps, sources_.env_deps);
  Digest pre = sha256("pre-key");
  EXPECT_EQ(compute_full_key(pre, *m), compute_full_key(pre, sources_));
}

TEST_F(SourceManifestTest, MatchesWhenOnlyTheMtimeChanged) {
  testing::set_mtime(ws_ + "/mylib/src/lib.rs", kPast + 100);  // touched, same contents: hashed again
  auto m = match();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->files, sources_.files);
}

TEST_F(SourceManifestTest, MatchesInAnotherCheckout) {
  // The same files at another path, with other mtimes: the same source set.
  std::string other = root_ / "elsewhere/checkout-2";
  write_mylib(root_, "elsewhere/checkout-2");
  testing::set_mtime(other + "/mylib/src/nested/mod.rs", kPast + 5);
  auto m = match_manifest(manifest_, ws_anchors(other));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->files, sources_.files);
}

TEST_F(SourceManifestTest, RejectsAChangedFile) {
  // Same size, other contents, other mtime.
  testing::set_mtime(root_.write("ws/mylib/src/banner.txt", "kiln TEST banner\n"), kPast + 1);
  EXPECT_FALSE(match().has_value());
  // Other size (even with the recorded mtime).
  testing::set_mtime(root_.write("ws/mylib/src/banner.txt", "kiln test banner, longer\n"), kPast);
  EXPECT_FALSE(match().has_value());
  // Back to the recorded contents: matches again.
  testing::set_mtime(root_.write("ws/mylib/src/banner.txt", "kiln test banner\n"), kPast + 2);
  EXPECT_TRUE(match().has_value());
}

TEST_F(SourceManifestTest, NamesWhatDifferedForTheLog) {
  std::string alt = root_.write("ws/mylib/src/nested.rs", "pub fn zero() -> u32 { 7 }\n");
  std::vector<std::string> why;
  EXPECT_FALSE(match_manifest(manifest_, ws_anchors(ws_), &why).has_value());
  EXPECT_EQ(why, (std::vector<std::string>{"{{kiln:ws}}/mylib/src/nested.rs: now exists"}));
  ASSERT_EQ(std::remove(alt.c_str()), 0);
  testing::set_mtime(root_.write("ws/mylib/src/banner.txt", "kiln TEST banner\n"), kPast + 1);
  why.clear();
  EXPECT_FALSE(match_manifest(manifest_, ws_anchors(ws_), &why).has_value());
  EXPECT_EQ(why, (std::vector<std::string>{"{{kiln:ws}}/mylib/src/banner.txt: content differs"}));
}

TEST_F(SourceManifestTest, RejectsAMissingFile) {
  ASSERT_EQ(std::remove((ws_ + "/mylib/src/has space.rs").c_str()), 0);
  EXPECT_FALSE(match().has_value());
}

TEST_F(SourceManifestTest, RejectsWhenAModuleAlternativeAppears) {
  // nested/mod.rs was read; a new nested.rs would make `mod nested;` ambiguous or resolve differently.
  std::string alt = root_.write("ws/mylib/src/nested.rs", "pub fn zero() -> u32 { 7 }\n");
  EXPECT_FALSE(match().has_value());
  ASSERT_EQ(std::remove(alt.c_str()), 0);
  EXPECT_TRUE(match().has_value());
}

TEST_F(SourceManifestTest, EnvDepValuesComeFromTheCurrentEnvironment) {
  env_.set("CARGO_PKG_VERSION", "0.3.2");
  env_.set("KILN_TEST_SURELY_UNSET_VAR", "now set");
  auto m = match();
  ASSERT_TRUE(m.has_value());  // the files still match…
  EXPECT_EQ(m->env_deps, (std::vector<EnvDep>{{"BUILD_GREETING", "hello from build.rs"},
                                              {"CARGO_PKG_VERSION", "0.3.2"},
                                              {"KILN_TEST_SURELY_UNSET_VAR", "now set"}}));
  Digest pre = sha256("pre-key");
  EXPECT_NE(compute_full_key(pre, *m), compute_full_key(pre, sources_));  // …but the full key differs
}

TEST(SourceManifestModules, FooRsThenFooModRs) {
  testing::ScopedEnv env;
  testing::TempDir root;
  std::string ws = root / "ws";
  testing::set_mtime(root.write("ws/src/lib.rs", "mod foo;\n"), kPast);
  testing::set_mtime(root.write("ws/src/foo.rs", "pub fn f() {}\n"), kPast);
  testing::set_mtime(root.write("ws/src/foo/bar.rs", "pub fn b() {}\n"), kPast);
  DepInfo dep;
  dep.targets = {ws + "/target/debug/deps/x.d"};
  dep.inputs = {"src/lib.rs", "src/foo.rs", "src/foo/bar.rs"};
  auto sets = source_set_from_dep_info(dep, ws, ws_anchors(ws), wall_ns());
  ASSERT_TRUE(sets.ok()) << sets.error().message;
  SourceManifest manifest;
  manifest.add(sets->second);
  ASSERT_TRUE(match_manifest(manifest, ws_anchors(ws)).has_value());

  // src/foo/mod.rs appears beside src/foo.rs: rustc would now fail (E0761) — no hit.
  std::string mod_rs = root.write("ws/src/foo/mod.rs", "pub fn f() {}\n");
  EXPECT_FALSE(match_manifest(manifest, ws_anchors(ws)).has_value());
  ASSERT_EQ(std::remove(mod_rs.c_str()), 0);
  // src/foo/bar/mod.rs is the alternative of src/foo/bar.rs.
  std::string bar_mod = root.write("ws/src/foo/bar/mod.rs", "pub fn b() {}\n");
  EXPECT_FALSE(match_manifest(manifest, ws_anchors(ws)).has_value());
  ASSERT_EQ(std::remove(bar_mod.c_str()), 0);
  EXPECT_TRUE(match_manifest(manifest, ws_anchors(ws)).has_value());
}

TEST(SourceManifestSets, FirstMatchingSetWinsAndAddKeepsNewestFirst) {
  testing::ScopedEnv env;
  testing::TempDir root;
  std::string ws = root / "ws";
  testing::set_mtime(root.write("ws/src/lib.rs", "v1\n"), kPast);
  DepInfo dep;
  dep.inputs = {"src/lib.rs"};
  auto v1 = source_set_from_dep_info(dep, ws, ws_anchors(ws), wall_ns());
  ASSERT_TRUE(v1.ok());
  testing::set_mtime(root.write("ws/src/lib.rs", "v2, longer\n"), kPast + 10);
  auto v2 = source_set_from_dep_info(dep, ws, ws_anchors(ws), wall_ns());
  ASSERT_TRUE(v2.ok());

  SourceManifest m;
  m.add(v1->second);
  m.add(v2->second);
  ASSERT_EQ(m.sets.size(), 2u);
  EXPECT_EQ(m.sets[0].files[0].digest, sha256("v2, longer\n"));  // newest first
  auto hit = match_manifest(m, ws_anchors(ws));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->files[0].digest, sha256("v2, longer\n"));
  // Back to v1's contents: the older set matches.
  testing::set_mtime(root.write("ws/src/lib.rs", "v1\n"), kPast + 20);
  hit = match_manifest(m, ws_anchors(ws));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->files[0].digest, sha256("v1\n"));

  // Adding a set with the same files again replaces it (moves it first), no duplicate.
  m.add(v1->second);
  ASSERT_EQ(m.sets.size(), 2u);
  EXPECT_EQ(m.sets[0].files[0].digest, sha256("v1\n"));
  // At most kMaxSets, the oldest dropped.
  for (int i = 0; i < 12; ++i) {
    ManifestSet s;
    s.files.push_back({"{{kiln:ws}}/src/lib.rs", 1, 1, sha256("gen " + std::to_string(i))});
    m.add(s);
  }
  ASSERT_EQ(m.sets.size(), SourceManifest::kMaxSets);
  EXPECT_EQ(m.sets[0].files[0].digest, sha256("gen 11"));
}

TEST(SourceManifestRecord, RejectsMissingOrRacyInputs) {
  testing::ScopedEnv env;
  testing::TempDir root;
  std::string ws = root / "ws";
  testing::set_mtime(root.write("ws/src/lib.rs", "x\n"), kPast);
  DepInfo missing;
  missing.inputs = {"src/lib.rs", "src/gone.rs"};
  EXPECT_FALSE(source_set_from_dep_info(missing, ws, ws_anchors(ws), wall_ns()).ok());
  // A source modified at or after the compilation started (here: started before its mtime).
  DepInfo dep;
  dep.inputs = {"src/lib.rs"};
  EXPECT_FALSE(source_set_from_dep_info(dep, ws, ws_anchors(ws), kPast * 1000000000).ok());
  EXPECT_TRUE(source_set_from_dep_info(dep, ws, ws_anchors(ws), (kPast + 60) * 1000000000).ok());
}

// A build script without rerun-if lines: the package's file list is an input beside what the
// script read. Editing an unread file keeps the set; adding, removing or renaming one rejects
// it, and a recording after the change has another full key.
class PackageListingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pkg_ = root_ / "ws/pkg";
    for (const char* rel : {"ws/pkg/Cargo.toml", "ws/pkg/build.rs", "ws/pkg/src/main.rs", "ws/pkg/README.md"})
      testing::set_mtime(root_.write(rel, std::string("// ") + rel + "\n"), kPast);
    (void)root_.write("ws/pkg/target/debug/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n");
    (void)root_.write("ws/pkg/.git/HEAD", "ref: refs/heads/main\n");
    age_dirs();
  }
  void age_dirs() {
    for (const char* rel : {"ws", "ws/pkg", "ws/pkg/src"}) testing::set_mtime(root_ / rel, kPast);
  }
  Result<std::pair<SourceSet, ManifestSet>> record() {
    DepInfo read;  // what the trace saw the script read
    read.inputs = {pkg_ + "/build.rs"};
    return source_set_from_dep_info(read, pkg_, ws_anchors(root_ / "ws"), wall_ns(), nullptr, {pkg_});
  }

  testing::TempDir root_;
  std::string pkg_;
};

TEST_F(PackageListingTest, ListingIsInTheKeyAndTheManifest) {
  auto rec = record();
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  ASSERT_EQ(rec->first.listings.size(), 1u);
  EXPECT_EQ(rec->first.listings[0].dir, "{{kiln:ws}}/pkg");
  EXPECT_EQ(rec->second.listings, rec->first.listings);
  SourceSet without = rec->first;
  without.listings.clear();
  Digest pre = sha256("pre");
  EXPECT_NE(compute_full_key(pre, rec->first), compute_full_key(pre, without));
  SourceManifest m;
  m.add(rec->second);
  auto back = SourceManifest::from_json(m.to_json());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->sets[0].listings, rec->second.listings);
  auto hit = match_manifest(*back, ws_anchors(root_ / "ws"));
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(compute_full_key(pre, *hit), compute_full_key(pre, rec->first));
}

TEST_F(PackageListingTest, EditingAnUnreadFileKeepsTheSet) {
  auto rec = record();
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  SourceManifest m;
  m.add(rec->second);
  (void)root_.write("ws/pkg/src/main.rs", "fn main() { /* edited */ }\n");
  (void)root_.write("ws/pkg/target/debug/new-output", "x");  // build dirs are not the package's
  (void)root_.write("ws/pkg/.git/index", "x");
  EXPECT_TRUE(match_manifest(m, ws_anchors(root_ / "ws")).has_value());
}

TEST_F(PackageListingTest, AddingRemovingOrRenamingAFileRejectsTheSet) {
  auto rec = record();
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  SourceManifest m;
  m.add(rec->second);
  Digest pre = sha256("pre");
  auto check_rejected = [&](const char* what) {
    std::vector<std::string> why;
    EXPECT_FALSE(match_manifest(m, ws_anchors(root_ / "ws"), &why).has_value()) << what;
    ASSERT_EQ(why.size(), 1u) << what;
    EXPECT_EQ(why[0], "{{kiln:ws}}/pkg: file list differs") << what;
    age_dirs();
    auto again = record();
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_NE(compute_full_key(pre, again->first), compute_full_key(pre, rec->first)) << what;
  };
  std::string added = root_.write("ws/pkg/src/extra.rs", "\n");
  check_rejected("added");
  ASSERT_EQ(std::rename(added.c_str(), (pkg_ + "/src/renamed.rs").c_str()), 0);
  check_rejected("renamed");
  ASSERT_EQ(std::remove((pkg_ + "/src/renamed.rs").c_str()), 0);
  ASSERT_EQ(std::remove((pkg_ + "/README.md").c_str()), 0);
  check_rejected("removed");
}

TEST_F(PackageListingTest, AFileAddedDuringTheRunIsNotStored) {
  (void)root_.write("ws/pkg/src/new.rs", "\n");  // the dir's mtime is now: after the run began
  auto rec = record();
  ASSERT_FALSE(rec.ok());
  EXPECT_NE(rec.error().message.find("added or removed during the run"), std::string::npos);
}

TEST(PackageListing, NotADirectoryIsAnError) {
  testing::TempDir root;
  EXPECT_FALSE(package_listing(root / "missing").ok());
  EXPECT_FALSE(package_listing(root.write("file", "x")).ok());
}

}  // namespace
}  // namespace kiln
