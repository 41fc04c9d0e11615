// Recording misses and explaining them (see miss_log.h).
#include "explain/miss_log.h"


#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "util/fs.h"
#include "util/text.h"

namespace kiln {
namespace {

constexpr size_t kKeep = 32;

std::string log_path(const std::string& store_dir, const std::string& crate) {
  std::string safe;
  for (char c : crate) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') ? c : '_';
  return path_join(store_dir, "explain/" + safe + ".jsonl");
}

std::string when(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::gmtime(&t));
  return std::string(buf) + " UTC";
}

// "arg --cfg: feature=\"x\"" → ("arg --cfg", "feature=\"x\""); the name of the thing a line sets.
std::pair<std::string, std::string> split_line(const std::string& line) {
  size_t c = line.find(": ");
  if (c == std::string::npos) return {line, ""};
  std::string kind = line.substr(0, c), value = line.substr(c + 2);
  if (kind == "env") {  // env: NAME=value → per NAME
    size_t eq = value.find('=');
    return {"env " + value.substr(0, eq), eq == std::string::npos ? "" : value.substr(eq + 1)};
  }
  if (kind == "extern") {  // extern: :serde rmeta DIGEST → per crate
    size_t sp = value.find(' ');
    return {"extern " + value.substr(0, sp), value};
  }
  return {kind, value};
}

// A key line in words.
std::string describe(const std::string& kind, const std::string& before, const std::string& after) {
  auto change = [&](const std::string& what) {
    if (before.empty()) return what + ": now " + after + " (it was not there)";
    if (after.empty()) return what + ": was " + before + ", now gone";
    return what + ": " + before + " → " + after;
  };
  if (kind == "toolchain") return "the toolchain changed (rustc -vV or the sysroot's libraries): " + before.substr(0, 12) +
                                  " → " + after.substr(0, 12);
  if (kind.rfind("env ", 0) == 0) return change("variable " + kind.substr(4));
  if (kind.rfind("extern ", 0) == 0) {
    std::string name = kind.substr(7);
    if (!name.empty() && name[0] == ':') name = name.substr(1);
    return "dependency " + name + " is another build (its digest changed)";
  }
  if (kind.rfind("arg ", 0) == 0) return change("argument " + kind.substr(4));
  if (kind == "input") return change("crate root");
  return change(kind);
}

}  // namespace

void record_miss(const std::string& store_dir, const MissRecord& r) {
  std::string path = log_path(store_dir, r.crate);
  nlohmann::json j = {{"t", r.unix_ms},         {"session", r.session}, {"crate", r.crate},
                      {"label", r.label},       {"package", r.package}, {"pre_key", r.pre_key},
                      {"key_lines", r.key_lines}, {"reason", r.reason}, {"details", r.details}};
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (!append_record(path, line, 256 * 1024, kKeep) && make_dirs(dir_name(path)))
    (void)append_record(path, line, 256 * 1024, kKeep);
}

Result<std::vector<MissRecord>> read_misses(const std::string& store_dir, const std::string& crate) {
  std::vector<MissRecord> out;
  for (const std::string& name : {crate, [&] {
         std::string s = crate;
         std::replace(s.begin(), s.end(), '-', '_');
         return s;
       }()}) {
    auto text = read_file(log_path(store_dir, name));
    if (!text) continue;
    for (auto line : split_lines(*text)) {
      try {
        auto j = nlohmann::json::parse(line);
        MissRecord r;
        r.unix_ms = j.value("t", int64_t{0});
        r.session = j.value("session", "");
        r.crate = j.value("crate", "");
        r.label = j.value("label", "");
        r.package = j.value("package", "");
        r.pre_key = j.value("pre_key", "");
        r.key_lines = j.value("key_lines", std::vector<std::string>{});
        r.reason = j.value("reason", "");
        r.details = j.value("details", std::vector<std::string>{});
        out.push_back(std::move(r));
      } catch (const std::exception&) {
      }
    }
    if (!out.empty()) break;
  }
  if (out.empty()) return make_error("no miss of " + crate + " is recorded in this store");
  return out;
}

Result<std::vector<std::string>> explain_miss(const std::vector<MissRecord>& records, const std::string& session) {
  int last = -1;
  for (int i = static_cast<int>(records.size()) - 1; i >= 0 && last < 0; --i)
    if (session.empty() || records[i].session == session) last = i;
  if (last < 0) return make_error("no miss of that crate in session " + session);
  const MissRecord& m = records[last];
  std::vector<std::string> out;
  std::string what = m.crate + " (" + m.label + (m.package.empty() ? "" : ", package " + m.package) + ")";
  out.push_back(what + " missed at " + when(m.unix_ms) + (m.session.empty() ? "" : ", session " + m.session) + ".");

  if (m.reason == "no-set-matches") {
    out.push_back("The store has this compilation (same arguments, toolchain and dependencies), but an input it read "
                  "is not as it was then:");
    for (const auto& d : m.details) out.push_back("  " + d);
    return out;
  }
  if (m.reason == "no-entry") {
    out.push_back("The source files are as stored, but a variable the compilation reads (by value) has another "
                  "value than when it was stored; now:");
    std::string unset;
    for (const auto& d : m.details) {
      if (d.size() > 6 && d.ends_with(" unset")) unset += (unset.empty() ? "" : ", ") + d.substr(0, d.size() - 6);
      else out.push_back("  " + d);
    }
    if (!unset.empty()) out.push_back("  unset: " + unset);
    return out;
  }
  if (m.reason == "path-bound") {
    out.push_back("Its output holds the path it was built at (e.g. env!(\"CARGO_MANIFEST_DIR\")), and the store has it only for other paths.");
    return out;
  }
  // No manifest for the pre-key: something in the key itself differs — or the entry is gone.
  for (int i = last - 1; i >= 0; --i)
    if (records[i].pre_key == m.pre_key) {
      out.push_back("The store had exactly this compilation: it missed the same way at " + when(records[i].unix_ms) +
                    " and was stored then, but is gone now (evicted by the size cap, or `kiln cache clear`/`gc`/`prune`).");
      return out;
    }
  int nearest = -1;
  size_t best = 0;
  std::set<std::string> now(m.key_lines.begin(), m.key_lines.end());
  for (int i = last - 1; i >= 0; --i) {
    if (records[i].label != m.label) continue;
    size_t common = 0;
    for (const auto& l : records[i].key_lines) common += now.count(l);
    if (nearest < 0 || common > best) {
      nearest = i;
      best = common;
    }
  }
  if (nearest < 0) {
    out.push_back("The store never had " + m.crate + " (" + m.label +
                  ") before: the first build of it with this store, or with a fresh one.");
    return out;
  }
  out.push_back("The nearest entry the store has of it was compiled at " + when(records[nearest].unix_ms) +
                "; what differs:");
  std::map<std::string, std::string> was, is;
  for (const auto& l : records[nearest].key_lines) {
    auto [k, v] = split_line(l);
    was[k] += (was[k].empty() ? "" : " ") + v;
  }
  for (const auto& l : m.key_lines) {
    auto [k, v] = split_line(l);
    is[k] += (is[k].empty() ? "" : " ") + v;
  }
  std::set<std::string> kinds;
  for (const auto& [k, v] : was) kinds.insert(k);
  for (const auto& [k, v] : is) kinds.insert(k);
  size_t shown = 0;
  bool metadata_changed = false;
  auto values_of = [](const std::vector<std::string>& lines, const std::string& kind) {
    std::set<std::string> v;
    for (const auto& l : lines)
      if (auto [k, val] = split_line(l); k == kind) v.insert(val);
    return v;
  };
  for (const auto& k : kinds) {
    std::string b = was.count(k) ? was[k] : "", a = is.count(k) ? is[k] : "";
    if (b == a) continue;
    // Flags given several times (--cfg, -C, -L …) and single values other than env/extern: the
    // values that came or went. cargo's -C metadata / extra-filename follow the features,
    // profile and dependency versions: said once.
    if (k.rfind("env ", 0) != 0 && k.rfind("extern ", 0) != 0 && k != "toolchain") {
      std::set<std::string> before_vals = values_of(records[nearest].key_lines, k), after_vals = values_of(m.key_lines, k);
      std::string name = k.rfind("arg ", 0) == 0 ? k.substr(4) : k;
      auto note = [&](const std::string& v, const char* how) {
        if (v.rfind("metadata=", 0) == 0 || v.rfind("extra-filename=", 0) == 0) {
          metadata_changed = true;
          return;
        }
        out.push_back("  " + name + " " + v + " " + how);
        ++shown;
      };
      for (const auto& v : after_vals)
        if (!before_vals.count(v)) note(v, "added");
      for (const auto& v : before_vals)
        if (!after_vals.count(v)) note(v, "removed");
      continue;
    }
    out.push_back("  " + describe(k, b, a));
    ++shown;
  }
  if (metadata_changed) {
    out.push_back("  cargo's -C metadata changed (it follows the features, the profile and the dependencies' versions)");
    ++shown;
  }
  if (shown == 0) out.push_back("  (nothing in the key lines: a source file or variable read by value; run with KILN_LOG for the lookup)");
  return out;
}

}  // namespace kiln
