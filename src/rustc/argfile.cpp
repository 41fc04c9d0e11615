// `@path` argfiles: one argument per line, no quoting (rustc's own rule).
#include "rustc/argfile.h"

#include "util/fs.h"

namespace kiln {

Result<std::vector<std::string>> expand_argfiles(const std::vector<std::string>& args, const std::string& cwd) {
  std::vector<std::string> out;
  out.reserve(args.size());
  for (const auto& a : args) {
    if (a.size() < 2 || a[0] != '@') {
      out.push_back(a);
      continue;
    }
    auto text = read_file(absolute_path(a.substr(1), cwd));
    if (!text) return text.error();
    const std::string& t = *text;
    size_t i = 0;
    while (i < t.size()) {
      size_t j = t.find('\n', i);
      if (j == std::string::npos) j = t.size();
      std::string line = t.substr(i, j - i);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      out.push_back(std::move(line));
      i = j + 1;
    }
  }
  return out;
}

}  // namespace kiln
