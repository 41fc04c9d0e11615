// Writing and reading the action log (see action_log.h).
#include "graph/action_log.h"


#include <nlohmann/json.hpp>

#include "util/fs.h"
#include "util/process.h"
#include "util/text.h"

namespace kiln {

void log_action(const LoggedAction& a) {
  std::string path = env_or(kActionLogVar);
  if (path.empty()) return;
  nlohmann::json j = {{"name", a.name}, {"label", a.label}, {"argv", a.argv},
                      {"cwd", a.cwd},   {"env", a.env},     {"inputs", a.inputs}};
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  (void)append_record(path, line);
}

Result<std::vector<LoggedAction>> read_action_log(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text.error();
  std::vector<LoggedAction> out;
  for (auto line : split_lines(*text)) {
    if (line.empty()) continue;
    try {
      auto j = nlohmann::json::parse(line);
      LoggedAction a;
      a.name = j.at("name").get<std::string>();
      a.label = j.at("label").get<std::string>();
      a.argv = j.at("argv").get<std::vector<std::string>>();
      a.cwd = j.at("cwd").get<std::string>();
      a.env = j.at("env").get<std::vector<std::string>>();
      a.inputs = j.at("inputs").get<std::vector<std::string>>();
      out.push_back(std::move(a));
    } catch (const std::exception&) {
    }
  }
  return out;
}

}  // namespace kiln
