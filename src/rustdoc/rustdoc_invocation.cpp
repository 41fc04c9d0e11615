// The rustdoc invocation model (see rustdoc_invocation.h).
#include "rustdoc/rustdoc_invocation.h"

#include <initializer_list>
#include <map>

#include "rustc/argfile.h"
#include "util/fs.h"

namespace kiln {
namespace {

// What a flag is to kiln, and whether it takes a value (so that parsing steps over it).
enum class Role {
  Crate,        // keyed as given (files it names are read by rustdoc, so traced): the crate's pages only
  Page,         // also shapes the doc root's own pages (help.html, settings.html)
  Unsupported,  // an effect on the doc root kiln does not model, or no documentation run
  Doctest,      // a doctest run (`cargo test --doc`)
};
struct FlagDef {
  Role role;
  bool value;
};

const std::map<std::string, FlagDef>& flags() {
  static const std::map<std::string, FlagDef> f = [] {
    std::map<std::string, FlagDef> m;
    auto add = [&](Role r, bool value, std::initializer_list<const char*> names) {
      for (const char* n : names) m[n] = {r, value};
    };
    add(Role::Crate, true,
        {"--crate-name", "--crate-type", "-L", "--library-path", "--cfg", "--check-cfg", "--extern",
         "--extern-html-root-url", "-C", "--codegen", "--target", "--sysroot", "--crate-version", "--edition", "--color",
         "--error-format", "--diagnostic-width", "--json", "-A", "--allow", "-W", "--warn", "-D", "--deny", "-F",
         "--forbid", "--force-warn", "--cap-lints", "--remap-path-prefix", "--with-examples", "--playground-url",
         "-w", "--output-format", "-o", "--out-dir", "--output"});
    add(Role::Crate, false,
        {"--document-private-items", "--document-hidden-items", "--extern-html-root-takes-precedence", "-v",
         "--verbose", "--sort-modules-by-appearance", "--show-type-layout", "--generate-link-to-definition",
         "--html-no-source", "--generate-macro-expansion"});
    add(Role::Page, true,
        {"--html-in-header", "--html-before-content", "--html-after-content", "--default-theme", "--default-setting"});
    add(Role::Unsupported, true,
        {"--emit", "--merge", "--parts-out-dir", "--include-parts-dir", "--resource-suffix", "--static-root-path",
         "--theme", "--check-theme", "-e", "--extend-css", "--index-page", "--markdown-css",
         "--markdown-before-content", "--markdown-after-content", "--markdown-playground-url",
         "--scrape-examples-output-path", "--scrape-examples-target-crate", "--persist-doctests", "-r",
         "--input-format", "--plugin-path", "--plugins", "--passes", "-Z"});
    add(Role::Unsupported, false,
        {"--enable-index-page", "--markdown-no-toc", "--scrape-tests", "--show-coverage", "--check",
         "--generate-redirect-map", "--disable-minification", "--no-defaults"});
    add(Role::Doctest, true,
        {"--test-args", "--test-run-directory", "--test-runtool", "--test-runtool-arg", "--test-builder",
         "--test-builder-wrapper", "--merge-doctests", "--doctest-build-arg"});
    add(Role::Doctest, false, {"--test", "--no-run", "--no-capture", "--display-doctest-warnings"});
    return m;
  }();
  return f;
}

// The flag's definition; nullptr for a flag kiln does not know.
const FlagDef* flag_def(const std::string& flag) {
  auto it = flags().find(flag);
  return it == flags().end() ? nullptr : &it->second;
}

bool takes_value(const std::string& flag) {
  const FlagDef* d = flag_def(flag);
  return d && d->value;
}

// Splits "--flag=value" and "-Xvalue" (short flags with a value glued on).
bool split_joined(const std::string& arg, std::string& flag, std::string& value) {
  if (arg.rfind("--", 0) == 0) {
    size_t eq = arg.find('=');
    if (eq == std::string::npos) return false;
    flag = arg.substr(0, eq);
    value = arg.substr(eq + 1);
    return true;
  }
  if (arg.size() > 2 && arg[0] == '-' && arg != "-vV" && takes_value(arg.substr(0, 2))) {
    flag = arg.substr(0, 2);
    value = arg.substr(2);
    return true;
  }
  return false;
}

}  // namespace

Result<RustdocInvocation> parse_rustdoc_invocation(const std::vector<std::string>& raw, const std::string& cwd) {
  auto expanded = expand_argfiles(raw, cwd);
  if (!expanded) return expanded.error();
  RustdocInvocation inv;
  inv.cwd = cwd;
  inv.args = std::move(*expanded);
  const auto& args = inv.args;
  auto mark = [&](const std::string& slug, const std::string& detail) {
    if (inv.not_cacheable.empty()) {
      inv.not_cacheable = slug;
      inv.not_cacheable_detail = detail;
    }
  };
  std::string out_dir;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string flag = arg, value;
    bool joined = split_joined(arg, flag, value);
    size_t value_index = i;
    if (flag == "-V" || flag == "--version" || flag == "-vV" || flag == "-h" || flag == "--help") {
      inv.probe = true;
      mark("probe", arg);
      continue;
    }
    if (flag.size() > 1 && flag[0] == '-') {
      const FlagDef* def = flag_def(flag);
      if (def && def->role == Role::Crate && !def->value && !joined) continue;
      if (def && def->role == Role::Doctest) {
        mark("doctest", "a doctest run (" + flag + ")");
        if (!joined && def->value) ++i;
        continue;
      }
      if (!def || !def->value) {
        mark("unsupported-argument", arg);
        continue;
      }
      if (!joined) {
        if (i + 1 >= args.size()) {
          mark("unsupported-argument", arg + " without a value");
          continue;
        }
        value = args[++i];
        value_index = i;
      }
      if (def->role == Role::Unsupported) {
        mark("unsupported-argument", flag);
      } else if (flag == "-w" || flag == "--output-format") {
        if (value != "html") mark("rustdoc-output-format", flag + " " + value);
      } else if (flag == "-o" || flag == "--out-dir" || flag == "--output") {
        out_dir = value;
        inv.out_dir_given = true;
        inv.out_dir_arg = value_index;
        inv.out_dir_joined = joined;
      } else if (flag == "--crate-name") {
        inv.crate_name = value;
      } else if (flag == "--crate-type") {
        inv.crate_type = value;
      } else if (flag == "--extern") {
        inv.externs.push_back(value);
      } else if (flag == "-L" || flag == "--library-path") {
        if (value.rfind("dependency=", 0) == 0) inv.dependency_dirs.push_back(value.substr(11));
        else if (value.find('=') == std::string::npos) inv.dependency_dirs.push_back(value);
      } else if (def->role == Role::Page) {
        inv.page_args.push_back(flag);
        inv.page_args.push_back(value);
      }
      continue;
    }
    if (!inv.input.empty()) {
      mark("unsupported-argument", "a second input " + arg);
      continue;
    }
    inv.input = arg;
  }
  if (inv.input.empty() && inv.not_cacheable.empty()) mark("unsupported-argument", "no input file");
  if (inv.input == "-") mark("stdin", "input from stdin");
  if (inv.input.size() > 3 && (inv.input.substr(inv.input.size() - 3) == ".md"))
    mark("unsupported-argument", "a Markdown input " + inv.input);
  if (inv.crate_type.empty()) inv.crate_type = "lib";
  if (inv.crate_name.empty() && inv.not_cacheable.empty()) mark("unsupported-argument", "no --crate-name");
  if (out_dir.empty()) out_dir = "doc";
  inv.out_dir = normalize_path(absolute_path(out_dir, cwd));
  return inv;
}

}  // namespace kiln
