// dep-info parser: the first rule's targets and prerequisites, and the env-dep comments.
#include "rustc/dep_info.h"

namespace kiln {
namespace {

// Splits a make rule side into words: "\ " is a literal space, "\\" a backslash.
std::vector<std::string> make_words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size() && (s[i + 1] == ' ' || s[i + 1] == '\\' || s[i + 1] == '#')) {
      cur += s[++i];
    } else if (c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// Finds the rule's separating ':' (one followed by space or end, not "\:").
size_t rule_colon(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;
      continue;
    }
    if (line[i] == ':' && (i + 1 == line.size() || line[i + 1] == ' ')) return i;
  }
  return std::string_view::npos;
}

std::string unescape_env(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      char n = v[i + 1];
      if (n == 'n' || n == 'r') {
        out += n == 'n' ? '\n' : '\r';
        ++i;
        continue;
      }
      if (n == '\\') {
        out += '\\';
        ++i;
        continue;
      }
    }
    out += v[i];
  }
  return out;
}

}  // namespace

Result<DepInfo> parse_dep_info(std::string_view text) {
  DepInfo info;
  bool have_rule = false;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view line = text.substr(i, j - i);
    i = j + 1;
    if (line.empty()) continue;
    if (line[0] == '#') {
      constexpr std::string_view kEnv = "# env-dep:";
      if (line.substr(0, kEnv.size()) == kEnv) {
        std::string_view rest = line.substr(kEnv.size());
        size_t eq = rest.find('=');
        EnvDep d;
        d.name = std::string(rest.substr(0, eq));
        if (eq != std::string_view::npos) d.value = unescape_env(rest.substr(eq + 1));
        info.env_deps.push_back(std::move(d));
      }
      continue;
    }
    if (have_rule) continue;
    size_t colon = rule_colon(line);
    if (colon == std::string_view::npos) continue;
    info.targets = make_words(line.substr(0, colon));
    info.inputs = make_words(line.substr(colon + 1));
    have_rule = true;
  }
  if (!have_rule) return make_error("dep-info has no rule");
  return info;
}

}  // namespace kiln
