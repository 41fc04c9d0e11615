// Tests of the rustc command-line parser (src/rustc/invocation.h) and argfile expansion
// (src/rustc/argfile.h) on real cargo command lines recorded in tests/data/argv (see
// tests/data/README.md): crate name and types, emits, out-dir, extra-filename, externs,
// -L, the reasons an invocation is not cacheable, and links().
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "action/rustc_action.h"
#include "rustc/argfile.h"
#include "rustc/invocation.h"
#include "test_support.h"

namespace kiln {
namespace {

using testing::recorded;
using testing::RecordedCommand;

// Splits a recorded wrapper command the way the wrapper does: an optional workspace wrapper
// (clippy-driver), the rustc path, then rustc's arguments.
struct Split {
  std::string workspace_wrapper, rustc;
  std::vector<std::string> args;
};

Split split_command(const RecordedCommand& r) {
  Split s;
  size_t first = 1;
  if (r.command.size() >= 2 && !looks_like_rustc(r.command[0]) && looks_like_rustc(r.command[1])) {
    s.workspace_wrapper = r.command[0];
    first = 2;
  }
  s.rustc = r.command[first - 1];
  s.args.assign(r.command.begin() + static_cast<std::ptrdiff_t>(first), r.command.end());
  return s;
}

RustcInvocation parse_recorded(const std::string& name) {
  RecordedCommand r = recorded(name);
  auto inv = parse_rustc_invocation(split_command(r).args, r.cwd);
  EXPECT_TRUE(inv.ok()) << name << ": " << (inv.ok() ? "" : inv.error().message);
  return inv.ok() ? *inv : RustcInvocation{};
}

std::vector<std::string> emit_kinds(const RustcInvocation& inv) {
  std::vector<std::string> out;
  for (const auto& e : inv.emits) {
    EXPECT_EQ(e.path, "") << "no explicit emit paths in cargo's command lines";
    out.push_back(e.kind);
  }
  return out;
}

const ExternArg* find_extern(const RustcInvocation& inv, const std::string& name) {
  for (const auto& e : inv.externs)
    if (e.name == name) return &e;
  return nullptr;
}

bool has_parsed(const RustcInvocation& inv, const std::string& flag, const std::string& value) {
  return std::any_of(inv.parsed.begin(), inv.parsed.end(),
                     [&](const RustcArg& a) { return a.flag == flag && a.value == value; });
}

const std::regex kExtraFilename("-[0-9a-f]{16}");

TEST(InvocationRecorded, Lib) {
  RecordedCommand r = recorded("lib");
  RustcInvocation inv = parse_recorded("lib");
  EXPECT_EQ(inv.not_cacheable, "") << inv.not_cacheable_detail;
  EXPECT_EQ(inv.cwd, r.cwd);
  EXPECT_EQ(inv.crate_name, "mylib");
  EXPECT_EQ(inv.crate_types, std::vector<std::string>{"lib"});
  EXPECT_FALSE(inv.test_harness);
  EXPECT_EQ(inv.input, "mylib/src/lib.rs");
  EXPECT_EQ(inv.edition, "2021");
  EXPECT_EQ(emit_kinds(inv), (std::vector<std::string>{"dep-info", "metadata", "link"}));
  EXPECT_TRUE(inv.emits_kind("dep-info"));
  EXPECT_TRUE(inv.emits_kind("metadata"));
  EXPECT_TRUE(inv.emits_kind("link"));
  EXPECT_FALSE(inv.emits_kind("obj"));
  EXPECT_EQ(inv.out_dir, r.cwd + "/target/debug/deps");
  EXPECT_EQ(inv.output_file, "");
  EXPECT_TRUE(std::regex_match(inv.extra_filename, kExtraFilename)) << inv.extra_filename;
  ASSERT_EQ(inv.lib_paths.size(), 1u);
  EXPECT_EQ(inv.lib_paths[0].kind, "dependency");
  EXPECT_EQ(inv.lib_paths[0].path, r.cwd + "/target/debug/deps");
  ASSERT_EQ(inv.externs.size(), 1u);
  EXPECT_EQ(inv.externs[0].name, "mymacro");
  EXPECT_EQ(inv.externs[0].modifiers, "");
  EXPECT_EQ(kiln::dir_name(inv.externs[0].path), inv.out_dir);
  EXPECT_TRUE(std::regex_match(kiln::base_name(inv.externs[0].path), std::regex("libmymacro-[0-9a-f]{16}\\.so")))
      << inv.externs[0].path;
  EXPECT_TRUE(inv.native_libs.empty());
  EXPECT_EQ(inv.linker, "");
  EXPECT_EQ(inv.incremental_dir, "");
  EXPECT_FALSE(inv.user_remaps);
  EXPECT_FALSE(inv.links());
  EXPECT_EQ(inv.crate_type_label(), "lib");
  // Values with commas, spaces and parentheses survive intact; the build script's cfg is seen.
  EXPECT_TRUE(has_parsed(inv, "--check-cfg", "cfg(feature, values())"));
  EXPECT_TRUE(has_parsed(inv, "--check-cfg", "cfg(docsrs,test)"));
  EXPECT_TRUE(has_parsed(inv, "--cfg", "has_build_rs"));
  EXPECT_TRUE(has_parsed(inv, "--json", "diagnostic-rendered-ansi,artifacts,future-incompat"));
  EXPECT_TRUE(has_parsed(inv, "-C", "debuginfo=2"));
  EXPECT_TRUE(has_parsed(inv, "", "mylib/src/lib.rs"));
  // args keeps the command line as given; parsed has one entry per flag (value included).
  EXPECT_EQ(inv.args, split_command(r).args);
  EXPECT_LT(inv.parsed.size(), inv.args.size());
}

TEST(InvocationRecorded, BinLinksAgainstTheLibAndTheProcMacro) {
  RustcInvocation lib = parse_recorded("lib");
  RustcInvocation macro = parse_recorded("proc-macro");
  RustcInvocation inv = parse_recorded("bin");
  EXPECT_EQ(inv.not_cacheable, "") << inv.not_cacheable_detail;
  EXPECT_EQ(inv.crate_name, "mytool");
  EXPECT_EQ(inv.crate_types, std::vector<std::string>{"bin"});
  EXPECT_EQ(inv.input, "mylib/src/main.rs");
  EXPECT_EQ(emit_kinds(inv), (std::vector<std::string>{"dep-info", "link"}));
  EXPECT_TRUE(std::regex_match(inv.extra_filename, kExtraFilename));
  EXPECT_TRUE(inv.links());
  EXPECT_EQ(inv.crate_type_label(), "bin");
  ASSERT_EQ(inv.externs.size(), 2u);
  const ExternArg* mylib = find_extern(inv, "mylib");
  const ExternArg* mymacro = find_extern(inv, "mymacro");
  ASSERT_TRUE(mylib && mymacro);
  // The extern paths name the outputs of the other recorded invocations of the same build.
  EXPECT_EQ(mylib->path, lib.out_dir + "/libmylib" + lib.extra_filename + ".rlib");
  EXPECT_EQ(mymacro->path, macro.out_dir + "/libmymacro" + macro.extra_filename + ".so");
}

TEST(InvocationRecorded, BuildScript) {
  RecordedCommand r = recorded("build-script");
  RustcInvocation inv = parse_recorded("build-script");
  EXPECT_EQ(inv.not_cacheable, "") << inv.not_cacheable_detail;
  EXPECT_EQ(inv.crate_name, "build_script_build");
  EXPECT_EQ(inv.crate_types, std::vector<std::string>{"bin"});
  EXPECT_EQ(inv.input, "mylib/build.rs");
  EXPECT_EQ(emit_kinds(inv), (std::vector<std::string>{"dep-info", "link"}));
  // cargo puts a build script in target/debug/build/<pkg><extra-filename>/.
  EXPECT_EQ(inv.out_dir, r.cwd + "/target/debug/build/mylib" + inv.extra_filename);
  EXPECT_TRUE(std::regex_match(inv.extra_filename, kExtraFilename));
  EXPECT_TRUE(inv.externs.empty());
  EXPECT_TRUE(inv.links());
}

TEST(InvocationRecorded, ProcMacro) {
  RustcInvocation inv = parse_recorded("proc-macro");
  EXPECT_EQ(inv.not_cacheable, "") << inv.not_cacheable_detail;
  EXPECT_EQ(inv.crate_name, "mymacro");
  EXPECT_EQ(inv.crate_types, std::vector<std::string>{"proc-macro"});
  EXPECT_EQ(inv.input, "mymacro/src/lib.rs");
  EXPECT_TRUE(inv.links());
  EXPECT_EQ(inv.crate_type_label(), "proc-macro");
  EXPECT_TRUE(has_parsed(inv, "-C", "prefer-dynamic"));
  // `--extern proc_macro`: a sysroot crate, no path.
  ASSERT_EQ(inv.externs.size(), 1u);
  EXPECT_EQ(inv.externs[0].name, "proc_macro");
  EXPECT_EQ(inv.externs[0].path, "");
}

TEST(InvocationRecorded, TestHarnessHasNoCrateType) {
  for (const char* name : {"test-harness", "test-integration"}) {
    SCOPED_TRACE(name);
    RustcInvocation inv = parse_recorded(name);
    EXPECT_EQ(inv.not_cacheable, "") << inv.not_cacheable_detail;
    EXPECT_TRUE(inv.test_harness);
    EXPECT_TRUE(inv.crate_types.empty());
    EXPECT_TRUE(inv.links());
    EXPECT_EQ(inv.crate_type_label(), "test");
    EXPECT_EQ(emit_kinds(inv), (std::vector<std::string>{"dep-info", "link"}));
  }
  EXPECT_EQ(parse_recorded("test-integration").input, "mylib/tests/integration.rs");
  EXPECT_NE(find_extern(parse_recorded("test-integration"), "mylib"), nullptr);
}

TEST(InvocationRecorded, CheckEmitsMetadataOnly) {
  RustcInvocation lib = parse_recorded("check-lib");
  EXPECT_EQ(lib.not_cacheable, "") << lib.not_cacheable_detail;
  EXPECT_EQ(emit_kinds(lib), (std::vector<std::string>{"dep-info", "metadata"}));
  EXPECT_FALSE(lib.emits_kind("link"));
  EXPECT_FALSE(lib.links());

  RustcInvocation bin = parse_recorded("check-bin");
  EXPECT_EQ(bin.not_cacheable, "") << bin.not_cacheable_detail;
  EXPECT_EQ(emit_kinds(bin), (std::vector<std::string>{"dep-info", "metadata"}));
  const ExternArg* mylib = find_extern(bin, "mylib");
  ASSERT_NE(mylib, nullptr);
  // `cargo check` links dependents against the rmeta of the lib.
  EXPECT_EQ(mylib->path, lib.out_dir + "/libmylib" + lib.extra_filename + ".rmeta");
}

TEST(InvocationRecorded, ClippyDriverIsAWorkspaceWrapper) {
  RecordedCommand r = recorded("clippy-lib");
  Split s = split_command(r);
  EXPECT_EQ(kiln::base_name(s.workspace_wrapper), "clippy-driver");
  EXPECT_EQ(kiln::base_name(s.rustc), "rustc");
  EXPECT_FALSE(looks_like_rustc(r.command[0]));
  EXPECT_TRUE(looks_like_rustc(r.command[1]));
  RustcInvocation inv = parse_recorded("clippy-lib");
  EXPECT_EQ(inv.not_cacheable, "") << inv.not_cacheable_detail;
  EXPECT_EQ(inv.crate_name, "mylib");
  EXPECT_EQ(emit_kinds(inv), (std::vector<std::string>{"dep-info", "metadata"}));
}

TEST(InvocationRecorded, IncrementalIsCacheable) {
  RecordedCommand r = recorded("lib-incremental");
  RustcInvocation inv = parse_recorded("lib-incremental");
  EXPECT_EQ(inv.not_cacheable, "") << "incremental compilations are cached (the dir is rustc's own cache)";
  EXPECT_EQ(inv.incremental_dir, r.cwd + "/target/debug/incremental");
  EXPECT_EQ(inv.crate_name, "mylib");  // still parsed fully, for stats
}

TEST(InvocationRecorded, ProbesAreNotCacheable) {
  for (const char* name : {"probe-version", "probe-print", "clippy-probe-version"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(parse_recorded(name).not_cacheable, "probe");
  }
  // `rustc - --crate-name ___ --print=file-names …` reads stdin but is a probe first.
  RustcInvocation print = parse_recorded("probe-print");
  EXPECT_EQ(print.input, "-");
  EXPECT_EQ(print.crate_types.size(), 6u);
}

TEST(InvocationRecorded, RegistryCrate) {
  RecordedCommand r = recorded("registry-lib");
  RustcInvocation inv = parse_recorded("registry-lib");
  EXPECT_EQ(inv.not_cacheable, "") << inv.not_cacheable_detail;
  EXPECT_EQ(inv.crate_name, "autocfg");
  EXPECT_EQ(inv.edition, "2015");
  // cwd is the package dir and the source path is absolute.
  EXPECT_EQ(inv.input, r.cwd + "/src/lib.rs");
  EXPECT_TRUE(has_parsed(inv, "--cap-lints", "allow"));
  EXPECT_NE(inv.out_dir.find("/target/debug/deps"), std::string::npos);
}

TEST(InvocationRecorded, PipelinedExternIsAnRmeta) {
  RustcInvocation inv = parse_recorded("lib-rmeta-extern");
  const ExternArg* e = find_extern(inv, "autocfg");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->path.substr(e->path.size() - 6), ".rmeta");
}

TEST(InvocationRecorded, Argfile) {
  RecordedCommand r = recorded("argfile-lib");
  Split s = split_command(r);
  ASSERT_EQ(s.args.size(), 1u);
  ASSERT_EQ(s.args[0].rfind("@/tmp/cargo-argfile.", 0), 0u) << s.args[0];
  // cargo deleted its temp file; the recording kept a copy (one argument per line).
  std::string argfile = testing::data_path("argv/argfile-lib.args");
  auto inv = parse_rustc_invocation({"@" + argfile}, r.cwd);
  ASSERT_TRUE(inv.ok()) << inv.error().message;
  EXPECT_EQ(inv->not_cacheable, "") << inv->not_cacheable_detail;
  EXPECT_EQ(inv->crate_name, "argf");
  EXPECT_EQ(inv->input, "src/lib.rs");
  EXPECT_EQ(inv->crate_types, std::vector<std::string>{"lib"});
  EXPECT_EQ(inv->out_dir, r.cwd + "/target/debug/deps");
  EXPECT_TRUE(has_parsed(*inv, "--cfg", "big_xxxxxxxxxxxxxxxx"));
  EXPECT_TRUE(has_parsed(*inv, "--check-cfg", "cfg(feature, values())"));
  EXPECT_EQ(inv->args.front(), "--crate-name");
  EXPECT_EQ(inv->args.back(), "--cfg=big_xxxxxxxxxxxxxxxx");  // no empty argument from the final newline
}

TEST(Argfile, ExpandsRelativeToCwdAndKeepsOtherArgs) {
  testing::TempDir dir;
  dir.write("sub/args.txt", "--crate-name\nx y\r\n\n--edition=2021\n");
  auto out = expand_argfiles({"--a", "@sub/args.txt", "b", "@"}, dir.path());
  ASSERT_TRUE(out.ok()) << out.error().message;
  // One argument per line, no quoting: spaces stay, CRLF is trimmed, an empty line is an
  // empty argument; a lone "@" is not an argfile.
  EXPECT_EQ(*out, (std::vector<std::string>{"--a", "--crate-name", "x y", "", "--edition=2021", "b", "@"}));
}

TEST(Argfile, MissingFileIsAnError) {
  testing::TempDir dir;
  EXPECT_FALSE(expand_argfiles({"@nope.txt"}, dir.path()).ok());
  EXPECT_FALSE(parse_rustc_invocation({"--crate-name", "x", "@nope.txt"}, dir.path()).ok());
}

// Synthetic command lines built from the recorded lib line.
std::vector<std::string> lib_args() { return split_command(recorded("lib")).args; }

TEST(InvocationNotCacheable, StdinInput) {
  auto inv = parse_rustc_invocation(
      {"--crate-name", "x", "--crate-type", "lib", "--emit=dep-info,link", "--out-dir", "/tmp/o", "-"}, "/tmp");
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->not_cacheable, "stdin");
}

TEST(InvocationNotCacheable, UnknownFlags) {
  for (const char* flag : {"--frobnicate", "-X", "--frobnicate=3"}) {
    SCOPED_TRACE(flag);
    auto args = lib_args();
    args.push_back(flag);
    auto inv = parse_rustc_invocation(args, "/ws");
    ASSERT_TRUE(inv.ok());
    EXPECT_EQ(inv->not_cacheable, "unsupported-argument");
    EXPECT_NE(inv->not_cacheable_detail.find(flag), std::string::npos) << inv->not_cacheable_detail;
  }
}

TEST(InvocationNotCacheable, OtherReasons) {
  struct Case {
    std::vector<std::string> extra;
    const char* reason;
  };
  const Case cases[] = {
      {{"-C", "save-temps"}, "unsupported-argument"},
      {{"-Cprofile-use=/x.profdata"}, "unsupported-argument"},
      {{"--crate-type", "frobs"}, "unsupported-argument"},
      {{"second.rs"}, "unsupported-argument"},
      {{"--print", "cfg"}, "probe"},
      {{"--cfg"}, "unsupported-argument"},  // a value flag without its value
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.extra.front());
    auto args = lib_args();
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    auto inv = parse_rustc_invocation(args, "/ws");
    ASSERT_TRUE(inv.ok());
    EXPECT_EQ(inv->not_cacheable, c.reason) << inv->not_cacheable_detail;
  }
  auto no_dep_info = parse_rustc_invocation({"--crate-name", "x", "--emit=link", "x.rs"}, "/ws");
  ASSERT_TRUE(no_dep_info.ok());
  EXPECT_EQ(no_dep_info->not_cacheable, "no-dep-info");
  auto no_name = parse_rustc_invocation({"--emit=dep-info,link", "x.rs"}, "/ws");
  ASSERT_TRUE(no_name.ok());
  EXPECT_EQ(no_name->not_cacheable, "unsupported-argument");
  auto user_remap = lib_args();
  user_remap.push_back("--remap-path-prefix=/ws=.");
  auto remapped = parse_rustc_invocation(user_remap, "/ws");
  ASSERT_TRUE(remapped.ok());
  EXPECT_EQ(remapped->not_cacheable, "");
  EXPECT_TRUE(remapped->user_remaps);
}

TEST(InvocationCanonical, SpellingsOfTheSameFlagParseAlike) {
  auto parse = [](std::vector<std::string> args) {
    args.insert(args.begin(), {"--crate-name", "x", "--emit=dep-info,link", "x.rs"});
    auto inv = parse_rustc_invocation(args, "/ws");
    EXPECT_TRUE(inv.ok());
    return inv.ok() ? *inv : RustcInvocation{};
  };
  for (auto args : std::vector<std::vector<std::string>>{
           {"-C", "opt-level=3"}, {"-Copt-level=3"}, {"--codegen", "opt-level=3"}, {"--codegen=opt-level=3"}, {"-O"}}) {
    SCOPED_TRACE(args.front());
    EXPECT_TRUE(has_parsed(parse(args), "-C", "opt-level=3"));
  }
  EXPECT_TRUE(has_parsed(parse({"--allow", "dead_code"}), "-A", "dead_code"));
  EXPECT_TRUE(has_parsed(parse({"-Adead_code"}), "-A", "dead_code"));
  EXPECT_EQ(parse({"--crate-type=lib,rlib"}).crate_types, (std::vector<std::string>{"lib", "rlib"}));
  EXPECT_EQ(parse({"-C", "extra_filename=-abc"}).extra_filename, "-abc");  // '_' and '-' alike
  EXPECT_EQ(parse({"-Clinker=clang"}).linker, "clang");
  EXPECT_EQ(parse({"--target", "x86_64-unknown-linux-musl"}).target, "x86_64-unknown-linux-musl");

  RustcInvocation libs = parse({"-L", "native=/opt/lib", "-Lsome/dir", "-l", "static=z", "-lm"});
  ASSERT_EQ(libs.lib_paths.size(), 2u);
  EXPECT_EQ(libs.lib_paths[0].kind, "native");
  EXPECT_EQ(libs.lib_paths[0].path, "/opt/lib");
  EXPECT_EQ(libs.lib_paths[1].kind, "");
  EXPECT_EQ(libs.lib_paths[1].path, "some/dir");
  EXPECT_EQ(libs.native_libs, (std::vector<std::string>{"static=z", "m"}));

  RustcInvocation ext = parse({"--extern", "noprelude:core=/s/libcore.rlib", "--extern", "alloc"});
  ASSERT_EQ(ext.externs.size(), 2u);
  EXPECT_EQ(ext.externs[0].modifiers, "noprelude");
  EXPECT_EQ(ext.externs[0].name, "core");
  EXPECT_EQ(ext.externs[0].path, "/s/libcore.rlib");
  EXPECT_EQ(ext.externs[1].name, "alloc");
  EXPECT_EQ(ext.externs[1].path, "");
}

TEST(InvocationCanonical, OutputPathsAreAbsolute) {
  auto inv = parse_rustc_invocation({"--crate-name", "x", "--emit=dep-info=out/x.d,link", "--out-dir", "target/../o", "x.rs"},
                                    "/ws");
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->out_dir, "/ws/o");
  ASSERT_EQ(inv->emits.size(), 2u);
  EXPECT_EQ(inv->emits[0].kind, "dep-info");
  EXPECT_EQ(inv->emits[0].path, "/ws/out/x.d");
  EXPECT_EQ(inv->emits[1].path, "");
  // Without --out-dir, rustc writes to cwd.
  auto bare = parse_rustc_invocation({"--crate-name", "x", "--emit=dep-info,link", "x.rs"}, "/ws");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->out_dir, "/ws");
  auto o = parse_rustc_invocation({"--crate-name", "x", "--emit=dep-info", "-o", "x.d", "x.rs"}, "/ws");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->output_file, "/ws/x.d");
}

TEST(InvocationLinks, ByCrateType) {
  auto links = [](std::vector<std::string> types, bool test = false) {
    RustcInvocation inv;
    inv.crate_types = std::move(types);
    inv.test_harness = test;
    return inv.links();
  };
  EXPECT_FALSE(links({"lib"}));
  EXPECT_FALSE(links({"rlib"}));
  EXPECT_FALSE(links({"lib", "rlib"}));
  for (const char* t : {"bin", "dylib", "cdylib", "staticlib", "proc-macro"}) EXPECT_TRUE(links({t})) << t;
  EXPECT_TRUE(links({"rlib", "cdylib"}));
  EXPECT_TRUE(links({}));            // rustc's default crate type is bin
  EXPECT_TRUE(links({"lib"}, true));  // --test builds a harness binary
}

}  // namespace
}  // namespace kiln
