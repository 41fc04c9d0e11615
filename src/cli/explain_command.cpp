// `kiln explain CRATE [--session S]`: prints why CRATE missed (explain/miss_log.h).
#include "cli/commands.h"
#include "config/config.h"
#include "explain/miss_log.h"
#include "util/process.h"

namespace kiln {

int run_explain_command(const std::string& crate, const std::string& session) {
  Config cfg = load_config();
  auto records = read_misses(cfg.dir, crate);
  if (!records) {
    write_all(2, "kiln: " + records.error().message + " (" + cfg.dir +
                     "): it hit every time, or was never built with this store\n");
    return 1;
  }
  auto lines = explain_miss(*records, session);
  if (!lines) {
    write_all(2, "kiln: " + lines.error().message + "\n");
    return 1;
  }
  for (const auto& l : *lines) write_all(1, l + "\n");
  return 0;
}

}  // namespace kiln
