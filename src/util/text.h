// Small text helpers shared by the parsers of line-based formats (dep-info, build-script
// output, /proc files, trace and key files).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln {

/// The lines of `text` without their '\n' (a last line without one included; a trailing
/// '\r' kept). The views point into `text`.
inline std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    out.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  return out;
}


/// `s` without trailing newlines, carriage returns and spaces (a command's output line).
inline std::string trim_end(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

/// The last non-empty line of `text`, trimmed (a failing tool's message).
inline std::string last_line(const std::string& text) {
  std::string t = trim_end(text);
  size_t p = t.rfind('\n');
  return p == std::string::npos ? t : t.substr(p + 1);
}

/// The first line of `text`, trimmed.
inline std::string first_line(const std::string& text) { return trim_end(text.substr(0, text.find('\n'))); }

/// The value of NAME in an environment given as "NAME=value" entries ("" when absent).
inline std::string env_entry_value(const std::vector<std::string>& env, const std::string& name) {
  for (const auto& e : env)
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=')
      return e.substr(name.size() + 1);
  return {};
}
}  // namespace kiln
