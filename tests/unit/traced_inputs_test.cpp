// Tests of input tracing: the tracer library really records what a child process reads, looks
// for, runs and reads from the environment (trace/tracer.h with the embedded shim); the
// records parse (trace/trace_log.h); classification keeps real inputs and drops the
// toolchain, pseudo files, the run's own outputs and temp files, and refuses a trace with an
// untraced program (key/traced_inputs.h); paths reached through ".." stay relative to their
// anchor; a dependency's digest note is not a changed source; env! used only to locate an
// included file does not make a crate path-bound.
#include <gtest/gtest.h>

#include <unistd.h>

#include "core/record.h"
#include "key/file_digests.h"
#include "key/path_anchors.h"
#include "key/source_manifest.h"
#include "key/traced_inputs.h"
#include "test_support.h"
#include "trace/trace_log.h"
#include "trace/tracer.h"
#include "util/process.h"

namespace kiln {
namespace {

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

TEST(Tracer, RecordsReadsLookupsExecsAndVariablesOfAChildAndItsChildren) {
  testing::TempDir dir;
  std::string input = dir.write("ws/input.txt", "hello");
  std::string missing = dir / "ws/not-there.toml";
  auto session = start_trace(dir / "store", "");
  ASSERT_TRUE(session.ok()) << session.error().message;
  std::vector<std::string> env = session->env;
  env.push_back("FIXTURE_VAR=1");
  // sh reads the variable; cat (a grandchild, started by sh) reads the file; test looks for one.
  std::string script = "cat " + input + " >/dev/null; test -e " + missing + "; : \"$FIXTURE_VAR\"";
  auto r = run_process({"/bin/sh", "-c", script}, {}, &env);
  ASSERT_TRUE(r.ok());
  auto log = finish_trace(*session);
  ASSERT_TRUE(log.ok()) << log.error().message;
  EXPECT_GE(log->processes, 2);
  bool read = false;
  for (const auto& rd : log->reads)
    if (rd.path == input) read = rd.identity.size == 5;
  EXPECT_TRUE(read) << "cat's read of the input";
  EXPECT_TRUE(has(log->absent, missing));
  bool ran_cat = false;
  for (const auto& x : log->execs) ran_cat |= base_name(x) == "cat";
  EXPECT_TRUE(ran_cat);
  EXPECT_EQ(log->malformed, 0);
  EXPECT_FALSE(path_exists(session->trace_file)) << "the trace file is removed";
}

TEST(TraceLog, ParsesEveryRecordKindAndCountsCutLines) {
  auto log = parse_trace(
      "P\t12\t/usr/bin/rustc\n"
      "R\t/ws/src/lib.rs\t10 100 200 7\n"
      "W\t/t/debug/deps/x.o\n"
      "A\t/ws/clippy.toml\n"
      "X\t/usr/bin/cc\n"
      "F\t/usr/local/bin/cc\n"
      "E\tFOO\tT\nE\tFOO\tT\nE\tFOO\tP\n"
      "R\t/cut");
  EXPECT_EQ(log.processes, 1);
  ASSERT_EQ(log.reads.size(), 1u);
  EXPECT_EQ(log.reads[0].identity.size, 10u);
  EXPECT_EQ(log.reads[0].identity.mtime_ns, 100);
  EXPECT_EQ(log.reads[0].identity.ctime_ns, 200);
  EXPECT_EQ(log.reads[0].identity.inode, 7u);
  EXPECT_EQ(log.written.size(), 1u);
  EXPECT_EQ(log.absent, std::vector<std::string>{"/ws/clippy.toml"});
  EXPECT_EQ(log.env.size(), 2u) << "one per (name, reader kind)";
  EXPECT_EQ(log.malformed, 1);
}

class ClassifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws = dir / "ws";
    target = dir / "ws/target";
    deps = target + "/debug/deps";
    dir.write("ws/target/CACHEDIR.TAG", "x");
    ctx.sysroot = dir / "sysroot";
    ctx.target_dir = target;
    ctx.output_dirs = {deps};
    ctx.output_stems = {"app-abc", "libapp-abc"};
    ctx.outputs = {dir.write("ws/target/debug/deps/app-abc", "bin")};
    ctx.anchor_dirs = {ws, target};
  }
  TracedInputs classify(const std::string& text) { return classify_trace(parse_trace(text), ctx); }
  std::string rec(char kind, const std::string& path) { return std::string(1, kind) + "\t" + path + "\n"; }
  std::string read(const std::string& path) { return "R\t" + path + "\t1 2 3 4\n"; }

  testing::TempDir dir;
  std::string ws, target, deps;
  TraceContext ctx;
};

TEST_F(ClassifyTest, KeepsRealInputsAndDropsToolchainPseudoFilesOutputsAndTemps) {
  std::string dep_rlib = dir.write("ws/target/debug/deps/libcsys-1.rlib", "rlib");
  std::string obj = deps + "/app-abc.app.cgu.0.rcgu.o";  // written, then read by the linker, then removed
  auto in = classify("P\t1\trustc\n" + read(ws + "/src/main.rs") + read(dep_rlib) + read(ctx.sysroot + "/lib/libstd.rlib") +
                     read("/proc/self/statm") + read("/dev/urandom") + rec('W', obj) + read(obj) +
                     read(deps + "/rustcAbC123/symbols.o") + rec('A', deps + "/libapp-abc.rmeta") +
                     rec('A', ws + "/clippy.toml") + rec('A', deps + "/rustcAbC123/raw-dylibs/libc.a"));
  EXPECT_EQ(in.untraceable, "");
  std::vector<std::string> files;
  for (const auto& f : in.files) files.push_back(f.path);
  EXPECT_EQ(files, (std::vector<std::string>{ws + "/src/main.rs", dep_rlib}));
  EXPECT_EQ(in.absent, std::vector<std::string>{ws + "/clippy.toml"});
}

TEST_F(ClassifyTest, AProgramThatRanWithoutTheTracerMakesTheTraceUntrustworthy) {
  std::string ok = "P\t1\trustc\nX\t/usr/bin/cc\nP\t2\t/usr/bin/cc\n";
  EXPECT_EQ(classify(ok).untraceable, "");
  EXPECT_NE(classify("P\t1\trustc\nX\t/usr/bin/static-ld\n").untraceable, "") << "no P record for the exec'd program";
  EXPECT_EQ(classify("P\t1\trustc\nX\t/usr/bin/nope\nF\t/usr/bin/nope\n").untraceable, "") << "a failed exec ran nothing";
  EXPECT_NE(classify("P\t1\trustc\nF\t(environment without the tracer)\n").untraceable, "");
  EXPECT_NE(classify("").untraceable, "") << "the tracer never loaded";
  EXPECT_NE(classify("P\t1\trustc\nR\t/cut").untraceable, "") << "a cut record";
}

TEST_F(ClassifyTest, VariablesToolsReadAreKeyedExceptHarmlessOnesPluginsAlwaysAre) {
  auto in = classify("P\t1\trustc\nE\tLIBRARY_PATH\tT\nE\tPATH\tT\nE\tTMPDIR\tT\nE\tCARGO_MAKEFLAGS\tT\n"
                     "E\tKILN_DIR\tT\nE\tTMPDIR\tP\nE\tMY_MACRO_VAR\tP\n");
  EXPECT_EQ(in.env_names, (std::vector<std::string>{"LIBRARY_PATH", "MY_MACRO_VAR", "TMPDIR"}));
  EXPECT_EQ(in.plugin_env, (std::vector<std::string>{"MY_MACRO_VAR", "TMPDIR"}));
}

TEST_F(ClassifyTest, ABuildScriptKeepsVariablesRustcWouldIgnore) {
  ctx.keep_env = {"CI", "HOME"};
  auto in = classify("P\t1\tbuild-script\nE\tCI\tT\nE\tHOME\tT\nE\tTMPDIR\tT\n");
  EXPECT_EQ(in.env_names, (std::vector<std::string>{"CI", "HOME"}));
}

TEST_F(ClassifyTest, SideOutputsInsideTheTreeAreKeptOutsideRefused) {
  std::string map = dir.write("ws/target/debug/app.map", "map");
  auto in = classify("P\t1\trustc\n" + rec('W', map) + rec('W', deps + "/app-abc"));
  EXPECT_EQ(in.side_outputs, std::vector<std::string>{map});
  EXPECT_EQ(in.untraceable, "");
  std::string outside = dir.write("elsewhere/app.map", "map");
  EXPECT_NE(classify("P\t1\trustc\n" + rec('W', outside)).untraceable, "");
}

TEST(PortablePaths, APathReachedThroughDotDotStaysRelativeToItsAnchor) {
  PathAnchors a;
  a.add({"ws", "/a/ws", "."});
  a.add({"target", "/a/ws/target", "/kiln/target"});
  EXPECT_EQ(a.portable_path("src/../../shared/data.txt"), "{{kiln:ws}}/../shared/data.txt");
  EXPECT_EQ(a.portable_path("/a/ws/src/../../shared/m.rs"), "{{kiln:ws}}/../shared/m.rs");
  EXPECT_EQ(a.portable_path("/a/ws/src/../lib.rs"), "{{kiln:ws}}/lib.rs");
  EXPECT_EQ(a.portable_path("/etc/../usr/lib/libc.so"), "/usr/lib/libc.so") << "not reached from an anchor";
  PathAnchors b;
  b.add({"ws", "/b/other-checkout", "."});
  EXPECT_EQ(b.local_path("{{kiln:ws}}/../shared/data.txt"), "/b/other-checkout/../shared/data.txt");
}

TEST(DigestNotes, ANoteExplainsOnlyItsOwnCtimeChange) {
  testing::TempDir dir;
  std::string f = dir.write("target/libdep.rmeta", "metadata");
  auto before = stat_file(f);
  ASSERT_TRUE(before);
  ::usleep(2000);
  remember_file_digest(f, sha256("metadata"));
  auto after = stat_file(f);
  ASSERT_TRUE(after);
  if (after->ctime_ns == before->ctime_ns) GTEST_SKIP() << "no user xattrs here";
  EXPECT_TRUE(changed_only_by_note(f, *before, *after));
  auto d = file_digest(f);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, sha256("metadata")) << "the note is used";
  // Same size, mtime restored: only the ctime betrays the new content.
  ::usleep(60000);
  ASSERT_TRUE(write_file_atomic(f + ".new", "METADATA").ok());
  ASSERT_EQ(::rename((f + ".new").c_str(), f.c_str()), 0);
  struct timespec times[2] = {{0, UTIME_OMIT}, {after->mtime_ns / 1000000000, after->mtime_ns % 1000000000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, f.c_str(), times, 0), 0);
  auto rewritten = stat_file(f);
  EXPECT_FALSE(changed_only_by_note(f, *before, *rewritten));
  d = file_digest(f);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, sha256("METADATA"));
}

TEST(DigestNotes, InPlaceRewriteWithRestoredMtimeIsNotTrusted) {
  testing::TempDir dir;
  std::string f = dir.write("target/libdep.rlib", "aaaa");
  remember_file_digest(f, sha256("aaaa"));
  auto noted = stat_file(f);
  ASSERT_TRUE(noted);
  ::usleep(60000);
  {
    FILE* fp = std::fopen(f.c_str(), "r+");  // same inode
    ASSERT_TRUE(fp);
    std::fputs("bbbb", fp);
    std::fclose(fp);
  }
  struct timespec times[2] = {{0, UTIME_OMIT}, {noted->mtime_ns / 1000000000, noted->mtime_ns % 1000000000}};
  ASSERT_EQ(::utimensat(AT_FDCWD, f.c_str(), times, 0), 0);
  auto d = file_digest(f);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, sha256("bbbb"));
}

// The linker's digest, remembered in the store (cached_file_digest): trusted exactly while
// the file keeps the identity recorded with it, never for a file changed just before hashing.
TEST(CachedDigests, TrustedWhileTheIdentityHoldsAndNeverForAFreshFile) {
  testing::TempDir dir;
  std::string cache = dir.path() + "/digests";
  std::string f = dir.write("bin/cc", "linker v1");
  auto d = cached_file_digest(cache, f);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, sha256("linker v1"));
  EXPECT_TRUE(list_dir(cache).empty()) << "a file changed seconds ago is not remembered";

  // An entry with the file's identity is what a lookup trusts: a planted digest comes back…
  auto st = stat_file(f);
  ASSERT_TRUE(st);
  std::string id = std::to_string(st->size) + " " + std::to_string(st->mtime_ns) + " " + std::to_string(st->ctime_ns) +
                   " " + std::to_string(st->inode) + " ";
  std::string entry = cache + "/" + sha256(f).hex().substr(0, 32);
  ASSERT_TRUE(make_dirs(cache));
  ASSERT_TRUE(write_file_atomic(entry, id + sha256("planted").hex() + " " + f + "\n"));
  EXPECT_EQ(*cached_file_digest(cache, f), sha256("planted"));
  // …but not for another path, a torn entry, or once the file was written (a new ctime).
  ASSERT_TRUE(write_file_atomic(entry, id + sha256("planted").hex() + " " + f + "x\n"));
  EXPECT_EQ(*cached_file_digest(cache, f), sha256("linker v1"));
  ASSERT_TRUE(write_file_atomic(entry, id + sha256("planted").hex().substr(0, 40)));
  EXPECT_EQ(*cached_file_digest(cache, f), sha256("linker v1"));
  ASSERT_TRUE(write_file_atomic(entry, id + sha256("planted").hex() + " " + f + "\n"));
  ::usleep(20000);
  dir.write("bin/cc", "linker v2");
  EXPECT_EQ(*cached_file_digest(cache, f), sha256("linker v2"));

  // A file old enough is remembered, and found again under its identity.
  std::string sh = "/bin/sh";
  auto real = sha256_file(sh);
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(*cached_file_digest(cache, sh), *real);
  auto text = read_file(cache + "/" + sha256(sh).hex().substr(0, 32));
  ASSERT_TRUE(text.ok()) << "an old system file is remembered";
  EXPECT_NE(text->find(real->hex() + " /bin/sh\n"), std::string::npos);
  EXPECT_EQ(*cached_file_digest(cache, sh), *real);
  EXPECT_FALSE(cached_file_digest(cache, dir.path() + "/missing").ok());
}

TEST(PathBound, EnvUsedOnlyToLocateAnIncludedFile) {
  auto only = [](const std::string& src) { return env_used_only_as_include_path("OUT_DIR", {src}); };
  EXPECT_TRUE(only("include!(concat!(env!(\"OUT_DIR\"), \"/tables.rs\"));"));
  EXPECT_TRUE(only("static T: &str = include_str!( concat!( env!( \"OUT_DIR\" ) , \"/t.txt\"));"));
  EXPECT_TRUE(only("const B: &[u8] = include_bytes!(concat!(env!(\"OUT_DIR\"), \"/b\"));"));
  EXPECT_FALSE(only("fn main() { println!(\"({})\", env!(\"OUT_DIR\")); }"));
  EXPECT_FALSE(only("const N: usize = env!(\"OUT_DIR\").len();"));
  EXPECT_FALSE(only("include!(concat!(env!(\"OUT_DIR\"), \"/a.rs\")); const P: &str = concat!(env!(\"OUT_DIR\"), \"/x\");"));
  EXPECT_FALSE(only("const P: Option<&str> = option_env!(\"OUT_DIR\");"));
  EXPECT_FALSE(only("// no use at all: the env-dep came from a macro")) << "unexplained: path-bound";
  EXPECT_TRUE(env_used_only_as_include_path("OUT_DIR", {"include!(concat!(env!(\"OUT_DIR\"), \"/x.rs\"));", "fn f() {}"}));
}

}  // namespace
}  // namespace kiln
