// Small text helpers shared by the parsers of line-based formats (dep-info, build-script
// output, /proc files, trace and key files).
#pragma once

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

}  // namespace kiln
