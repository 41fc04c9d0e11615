// Parser for rustc command lines. Each flag is canonicalized (long/short/attached spellings
// → one form) so that the key sees the same arguments however cargo spelled them.
#include "rustc/invocation.h"

#include <algorithm>
#include <map>

#include "rustc/argfile.h"
#include "util/fs.h"

namespace kiln {
namespace {

// Long flags that take a value, and the canonical name of each.
const std::map<std::string, std::string>& long_value_flags() {
  static const std::map<std::string, std::string> m = {
      {"--cfg", "--cfg"},
      {"--check-cfg", "--check-cfg"},
      {"--crate-type", "--crate-type"},
      {"--crate-name", "--crate-name"},
      {"--edition", "--edition"},
      {"--emit", "--emit"},
      {"--print", "--print"},
      {"--out-dir", "--out-dir"},
      {"--explain", "--explain"},
      {"--target", "--target"},
      {"--allow", "-A"},
      {"--warn", "-W"},
      {"--force-warn", "--force-warn"},
      {"--deny", "-D"},
      {"--forbid", "-F"},
      {"--cap-lints", "--cap-lints"},
      {"--codegen", "-C"},
      {"--extern", "--extern"},
      {"--sysroot", "--sysroot"},
      {"--error-format", "--error-format"},
      {"--json", "--json"},
      {"--color", "--color"},
      {"--diagnostic-width", "--diagnostic-width"},
      {"--remap-path-prefix", "--remap-path-prefix"},
      {"--remap-path-scope", "--remap-path-scope"},
      {"--env-set", "--env-set"},
      {"--crate-attr", "--crate-attr"},
      {"--unpretty", "--unpretty"},
  };
  return m;
}

// Short flags that take a value (attached "-Copt-level=0" or separate "-C opt-level=0").
bool is_short_value_flag(char c) {
  return c == 'C' || c == 'L' || c == 'l' || c == 'W' || c == 'A' || c == 'D' || c == 'F' || c == 'Z' || c == 'o';
}

void mark(RustcInvocation& inv, const std::string& reason, const std::string& detail) {
  if (inv.not_cacheable.empty()) {
    inv.not_cacheable = reason;
    inv.not_cacheable_detail = detail;
  }
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(sep, i);
    if (j == std::string::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

void apply(RustcInvocation& inv, const RustcArg& a) {
  const std::string& f = a.flag;
  const std::string& v = a.value;
  if (f.empty()) {
    if (!inv.input.empty()) mark(inv, "unsupported-argument", "two inputs: " + inv.input + " and " + v);
    inv.input = v;  // "-" (stdin) is marked after all flags: cargo's `--print` probes read stdin too
  } else if (f == "--crate-name") {
    inv.crate_name = v;
  } else if (f == "--crate-type") {
    for (auto& t : split(v, ',')) inv.crate_types.push_back(t);
  } else if (f == "--test") {
    inv.test_harness = true;
  } else if (f == "--edition") {
    inv.edition = v;
  } else if (f == "--emit") {
    for (auto& e : split(v, ',')) {
      EmitRequest r;
      size_t eq = e.find('=');
      r.kind = e.substr(0, eq);
      if (eq != std::string::npos) r.path = absolute_path(e.substr(eq + 1), inv.cwd);
      inv.emits.push_back(r);
    }
  } else if (f == "--out-dir") {
    inv.out_dir = absolute_path(v, inv.cwd);
  } else if (f == "-o") {
    inv.output_file = absolute_path(v, inv.cwd);
  } else if (f == "--extern") {
    ExternArg e;
    std::string rest = v;
    size_t eq = rest.find('=');
    std::string head = rest.substr(0, eq);
    if (eq != std::string::npos) e.path = rest.substr(eq + 1);
    size_t colon = head.rfind(':');
    if (colon != std::string::npos) {
      e.modifiers = head.substr(0, colon);
      e.name = head.substr(colon + 1);
    } else {
      e.name = head;
    }
    inv.externs.push_back(e);
  } else if (f == "-L") {
    LibSearchPath p;
    size_t eq = v.find('=');
    static const char* kinds[] = {"dependency", "native", "crate", "framework", "all"};
    if (eq != std::string::npos &&
        std::find(std::begin(kinds), std::end(kinds), v.substr(0, eq)) != std::end(kinds)) {
      p.kind = v.substr(0, eq);
      p.path = v.substr(eq + 1);
    } else {
      p.path = v;
    }
    inv.lib_paths.push_back(p);
  } else if (f == "-l") {
    inv.native_libs.push_back(v);
  } else if (f == "--target") {
    inv.target = v;
  } else if (f == "--print") {
    mark(inv, "probe", "--print " + v);
  } else if (f == "--explain") {
    mark(inv, "probe", "--explain");
  } else if (f == "-V" || f == "-v") {
    mark(inv, "probe", "version query");
  } else if (f == "--remap-path-prefix" || f == "--remap-path-scope") {
    inv.user_remaps = true;
  } else if (f == "-C") {
    size_t eq = v.find('=');
    std::string name = v.substr(0, eq);
    std::replace(name.begin(), name.end(), '_', '-');
    std::string val = eq == std::string::npos ? "" : v.substr(eq + 1);
    if (name == "extra-filename") inv.extra_filename = val;
    else if (name == "linker") inv.linker = val;
    else if (name == "target-cpu" && val == "native") inv.native_cpu = true;
    else if (name == "incremental") inv.incremental_dir = absolute_path(val, inv.cwd);
    else if (name == "save-temps") mark(inv, "unsupported-argument", "-C save-temps");
    else if (name == "profile-use" || name == "profile-generate")
      mark(inv, "unsupported-argument", "-C " + name);
  }
}

}  // namespace

bool RustcInvocation::links() const {
  if (!emits_kind("link")) return false;  // `cargo check`: metadata only, nothing is linked
  if (test_harness) return true;
  if (crate_types.empty()) return true;  // rustc's default crate type is bin
  for (const auto& t : crate_types)
    if (t == "bin" || t == "dylib" || t == "cdylib" || t == "staticlib" || t == "proc-macro") return true;
  return false;
}

std::string RustcInvocation::crate_type_label() const {
  if (test_harness) return "test";
  if (crate_types.empty()) return "bin";
  std::string out;
  for (const auto& t : crate_types) {
    if (!out.empty()) out += ',';
    out += t;
  }
  return out;
}

bool RustcInvocation::emits_kind(const std::string& kind) const {
  if (emits.empty()) return kind == "link";
  return std::any_of(emits.begin(), emits.end(), [&](const EmitRequest& e) { return e.kind == kind; });
}

Result<RustcInvocation> parse_rustc_invocation(const std::vector<std::string>& raw_args, const std::string& cwd) {
  RustcInvocation inv;
  inv.cwd = cwd;
  auto expanded = expand_argfiles(raw_args, cwd);
  if (!expanded) return expanded.error();
  inv.args = std::move(*expanded);
  const auto& args = inv.args;
  const auto& longs = long_value_flags();

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    RustcArg parsed;
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      size_t eq = a.find('=');
      std::string name = a.substr(0, eq);
      auto it = longs.find(name);
      if (it != longs.end()) {
        parsed.flag = it->second;
        if (eq != std::string::npos) {
          parsed.value = a.substr(eq + 1);
        } else if (i + 1 < args.size()) {
          parsed.value = args[++i];
        } else {
          mark(inv, "unsupported-argument", name + " without a value");
        }
      } else if (name == "--test" || name == "--verbose" || name == "--version" || name == "--help") {
        parsed.flag = name == "--verbose" ? "-v" : name == "--version" ? "-V" : name;
        if (name == "--help") mark(inv, "probe", "--help");
      } else {
        parsed.flag = a;
        mark(inv, "unsupported-argument", a);
      }
    } else if (a.size() >= 2 && a[0] == '-' && a[1] != '-') {
      char c = a[1];
      if (is_short_value_flag(c)) {
        parsed.flag = std::string("-") + c;
        if (a.size() > 2) {
          parsed.value = a.substr(2);
        } else if (i + 1 < args.size()) {
          parsed.value = args[++i];
        } else {
          mark(inv, "unsupported-argument", a + " without a value");
        }
      } else if (a == "-g") {
        parsed.flag = "-C";
        parsed.value = "debuginfo=2";
      } else if (a == "-O") {
        parsed.flag = "-C";
        parsed.value = "opt-level=3";
      } else if (a == "-vV" || a == "-Vv" || a == "-V" || a == "-v") {
        parsed.flag = "-V";
        mark(inv, "probe", "version query");
      } else if (a == "-h") {
        parsed.flag = a;
        mark(inv, "probe", "-h");
      } else {
        parsed.flag = a;
        mark(inv, "unsupported-argument", a);
      }
    } else {
      parsed.value = a;  // the input ("-" is stdin)
    }
    apply(inv, parsed);
    inv.parsed.push_back(std::move(parsed));
  }

  if (inv.input == "-") mark(inv, "stdin", "source read from stdin");
  if (inv.input.empty()) mark(inv, "probe", "no input file");
  if (inv.not_cacheable.empty()) {
    if (inv.crate_name.empty()) mark(inv, "unsupported-argument", "no --crate-name");
    else if (!inv.emits_kind("dep-info")) mark(inv, "no-dep-info", "--emit without dep-info");
    else if (!inv.output_file.empty() && inv.emits.size() > 1)
      mark(inv, "unsupported-argument", "-o with several --emit kinds");
    else if (inv.out_dir.empty() && inv.output_file.empty())
      inv.out_dir = cwd;
  }
  for (const auto& t : inv.crate_types) {
    static const char* known[] = {"bin", "lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro"};
    if (std::find(std::begin(known), std::end(known), t) == std::end(known))
      mark(inv, "unsupported-argument", "--crate-type " + t);
  }
  return inv;
}

}  // namespace kiln
