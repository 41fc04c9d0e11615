// Writing the crate graph as stages (see containerfile.h).
#include "graph/containerfile.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "container/run_spec.h"
#include "exec/buildkit/remote_context.h"
#include "util/fs.h"
#include "util/text.h"

namespace kiln {
namespace {

namespace fs = std::filesystem;

// What the Containerfile needs of one action.
struct Node {
  const LoggedAction* a = nullptr;
  bool is_run = false;  // a build-script run
  bool links = false;
  std::string out_dir;  // rustc --out-dir; a run's OUT_DIR
  std::string crate_name, extra;
  std::vector<std::string> externs, dependency_dirs, native_dirs;
  std::vector<std::string> argv;  // without -C incremental
  std::vector<std::string> outputs;
  std::set<int> deps;  // stages it depends on, transitively
};

std::string env_of(const LoggedAction& a, const std::string& name) { return env_entry_value(a.env, name); }

Node parse(const LoggedAction& a) {
  Node n;
  n.a = &a;
  n.is_run = a.label == "run";
  if (n.is_run) {
    n.argv = a.argv;
    n.out_dir = env_of(a, "OUT_DIR");
    return n;
  }
  auto abs = [&](const std::string& p) { return normalize_path(absolute_path(p, a.cwd)); };
  for (size_t i = 0; i < a.argv.size(); ++i) {
    const std::string& s = a.argv[i];
    std::string next = i + 1 < a.argv.size() ? a.argv[i + 1] : "";
    auto value = [&](const std::string& flag) -> std::optional<std::string> {
      if (s == flag) return next;
      if (s.starts_with(flag + "=")) return s.substr(flag.size() + 1);
      if (flag.size() == 2 && s.starts_with(flag) && s.size() > 2) return s.substr(2);
      return std::nullopt;
    };
    if (auto c = value("-C")) {
      if (c->starts_with("incremental=")) {
        if (s == "-C") ++i;
        continue;  // a cache: pointless in a stage
      }
      if (c->starts_with("extra-filename=")) n.extra = c->substr(15);
    } else if (auto v = value("--crate-name")) {
      n.crate_name = *v;
    } else if (auto v2 = value("--out-dir")) {
      n.out_dir = abs(*v2);
    } else if (auto t = value("--crate-type")) {
      for (const char* l : {"bin", "dylib", "cdylib", "staticlib", "proc-macro"})
        if (t->find(l) != std::string::npos) n.links = true;
    } else if (auto e = value("--extern")) {
      if (size_t eq = e->find('='); eq != std::string::npos) n.externs.push_back(abs(e->substr(eq + 1)));
    } else if (auto l = value("-L")) {
      size_t eq = l->find('=');
      std::string kind = eq == std::string::npos ? "all" : l->substr(0, eq);
      std::string dir = abs(eq == std::string::npos ? *l : l->substr(eq + 1));
      if (kind == "dependency") n.dependency_dirs.push_back(dir);
      else if (kind != "crate") n.native_dirs.push_back(dir);
    }
    if (s == "--test") n.links = true;
    n.argv.push_back(s);
  }
  return n;
}

// Files the action left: rustc's (lib)NAME-EXTRA.* in its out dir; a run's OUT_DIR.
void find_outputs(Node& n) {
  std::error_code ec;
  if (n.out_dir.empty() || !fs::is_directory(n.out_dir, ec)) return;
  if (n.is_run) {
    for (fs::recursive_directory_iterator it(n.out_dir, ec), end; !ec && it != end; it.increment(ec))
      if (!it->is_directory()) n.outputs.push_back(it->path().string());
    return;
  }
  std::string stem = n.crate_name + n.extra;
  for (const auto& e : fs::directory_iterator(n.out_dir, ec)) {
    std::string name = e.path().filename().string();
    for (const std::string& p : {"lib" + stem, stem})
      if (name == p || (name.starts_with(p) && name[p.size()] == '.')) n.outputs.push_back(e.path().string());
  }
  std::sort(n.outputs.begin(), n.outputs.end());
}

bool mount_safe(const std::string& p) { return p.find_first_of(",\"\n=") == std::string::npos; }

std::string stage_name(int i, const std::string& crate) {
  std::string s = "s" + std::to_string(i) + "-";
  for (char c : crate) s += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  return s;
}

}  // namespace

Result<Containerfile> make_containerfile(const ContainerfileRequest& req) {
  std::vector<Node> nodes;
  for (const auto& a : req.actions) nodes.push_back(parse(a));
  std::map<std::string, int> producer;
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
    find_outputs(nodes[i]);
    for (const auto& o : nodes[i].outputs) producer[o] = i;
  }
  auto produced_by = [&](const std::string& p) -> int {
    auto it = producer.find(p);
    return it == producer.end() ? -1 : it->second;
  };
  std::string root = normalize_path(req.workspace_root);
  Containerfile out;
  std::string f = "# The crate graph of a cargo build, one stage per compilation and build-script run, written by\n"
                  "# `cargo kiln containerfile` (src/graph/containerfile.h). Build it without kiln:\n"
                  "#   DOCKER_BUILDKIT=1 docker build --network none -o out -f THIS_FILE .\n";
  int last_bin = -1;
  std::string bin_crate = req.binary;
  std::replace(bin_crate.begin(), bin_crate.end(), '-', '_');
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
    Node& n = nodes[i];
    const LoggedAction& a = *n.a;
    std::map<std::string, std::pair<int, std::string>> from_stage;  // target → (stage, source)
    auto use = [&](int j, const std::string& path, const std::string& target) {
      if (j < 0 || j >= i) return;
      from_stage[target] = {j, path};
    };
    // Files under `dir` that earlier stages made; a build-script run's OUT_DIR as a whole (what
    // the script writes there may differ from this machine's run: the image is its world).
    auto use_under = [&](const std::string& dir) {
      for (int j = 0; j < i; ++j) {
        if (nodes[j].is_run && !nodes[j].out_dir.empty() &&
            (path_is_under(nodes[j].out_dir, dir) || path_is_under(dir, nodes[j].out_dir))) {
          use(j, nodes[j].out_dir, nodes[j].out_dir);
          continue;
        }
        for (const auto& o : nodes[j].outputs)
          if (path_is_under(o, dir)) use(j, o, o);
      }
    };
    for (const auto& e : n.externs) {
      int j = produced_by(e);
      if (j < 0) continue;
      use(j, e, e);
      n.deps.insert(j);
      n.deps.insert(nodes[j].deps.begin(), nodes[j].deps.end());
    }
    for (const auto& d : n.dependency_dirs)
      for (int j : n.deps)
        for (const auto& o : nodes[j].outputs)
          if (dir_name(o) == d &&
              (o.ends_with(".rmeta") || o.ends_with(".so") || (n.links && o.ends_with(".rlib"))))
            use(j, o, o);
    for (const auto& d : n.native_dirs) use_under(d);
    if (!n.is_run)
      if (std::string od = env_of(a, "OUT_DIR"); !od.empty()) use_under(normalize_path(od));
    for (const auto& e : a.env)
      if (e.starts_with("DEP_"))
        if (std::string v = e.substr(e.find('=') + 1); !v.empty() && v[0] == '/') use_under(normalize_path(v));
    std::string program = a.argv.empty() ? "" : a.argv[0];
    if (program.ends_with(".kiln-real")) use(produced_by(program.substr(0, program.size() - 10)),
                                              program.substr(0, program.size() - 10), program);
    else use(produced_by(program), program, program);

    // Sources from the context.
    std::vector<std::pair<std::string, std::string>> from_context;  // source (relative) → target
    std::string pkg = normalize_path(env_of(a, "CARGO_MANIFEST_DIR"));
    if (!pkg.empty()) {
      if (pkg == root) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(root, ec)) {
          std::string name = e.path().filename().string();
          if (name == "target" || name == ".git" || name == req.vendor_dir) continue;
          from_context.emplace_back(name, path_join(root, name));
        }
        std::sort(from_context.begin(), from_context.end());
      } else if (path_is_under(pkg, root)) {
        from_context.emplace_back(pkg.substr(root.size() + 1), pkg);
      } else {
        std::string rel = req.vendor_dir + "/" + base_name(pkg);
        out.vendor[pkg] = rel;
        from_context.emplace_back(rel, pkg);
      }
    }

    // The step: mounts, then the command in its directory with its environment.
    std::string name = stage_name(i, a.name + (n.is_run ? "-run" : ""));
    f += "\n# " + a.name + " (" + a.label + ")\nFROM " + req.image + " AS " + name + "\nRUN";
    for (const auto& [src, target] : from_context) {
      if (!mount_safe(src) || !mount_safe(target)) return make_error("a path the mount syntax cannot carry: " + target);
      f += " --mount=type=bind,source=" + src + ",target=" + target + " \\\n   ";
    }
    for (const auto& [target, sp] : from_stage) {
      if (!mount_safe(target) || !mount_safe(sp.second)) return make_error("a path the mount syntax cannot carry: " + target);
      f += " --mount=type=bind,from=" + stage_name(sp.first, nodes[sp.first].a->name + (nodes[sp.first].is_run ? "-run" : "")) +
           ",source=" + sp.second + ",target=" + target + " \\\n   ";
    }
    if (!req.sysroot.empty())
      f += " --mount=type=bind,from=" + req.image + ",source=/usr/local/rust,target=" + req.sysroot + " \\\n   ";
    std::vector<std::string> env = sendable_env(a.env, {});
    std::vector<std::string> cmd = {"env", "-i"};
    cmd.insert(cmd.end(), env.begin(), env.end());
    cmd.insert(cmd.end(), n.argv.begin(), n.argv.end());
    std::string dirs = shell_quote({n.out_dir.empty() ? a.cwd : n.out_dir});
    std::string script = "mkdir -p " + dirs + " && cd " + shell_quote({a.cwd}) + " && exec " + shell_quote(cmd);
    f += " [\"/bin/sh\", \"-c\", " + nlohmann::json(script).dump() + "]\n";
    if (!n.is_run && n.crate_name == bin_crate && n.a->label.find("bin") != std::string::npos) last_bin = i;
  }
  if (last_bin < 0) return make_error("the build has no binary " + req.binary);
  std::string binary;
  for (const auto& o : nodes[last_bin].outputs)
    if (base_name(o) == nodes[last_bin].crate_name + nodes[last_bin].extra) binary = o;
  if (binary.empty()) return make_error("the binary of " + req.binary + " is not in " + nodes[last_bin].out_dir);
  f += "\n# The binary.\nFROM scratch\nCOPY --from=" + stage_name(last_bin, nodes[last_bin].a->name) + " " + binary +
       " /" + req.binary + "\n";
  out.text = std::move(f);
  out.stages = static_cast<int>(nodes.size());
  return out;
}

}  // namespace kiln
