// The build report (report/report_html.h): `cargo kiln … --report[=PATH]` writes it after
// the build, `kiln report [SESSION] [-o PATH]` for a past session (default: the last one).
#include "cli/commands.h"
#include "config/config.h"
#include "report/report_html.h"
#include "report/timeline.h"
#include "stats/stats.h"
#include "util/fs.h"
#include "util/process.h"

namespace kiln {

std::string write_session_report(const std::string& store_dir, const std::string& session, const std::string& title,
                                 const std::string& path, std::string* error) {
  auto units = read_timeline(store_dir, session);
  if (!units) {
    *error = units.error().message;
    return {};
  }
  ReportInput in;
  in.session = session;
  in.title = title;
  in.units = std::move(*units);
  in.stats = read_stats(store_dir, session);
  std::string out = absolute_path(path, current_dir());
  if (auto st = write_file_atomic(out, render_report(in)); !st) {
    *error = st.error().message;
    return {};
  }
  return out;
}

int run_report_command(const std::string& session_in, const std::string& output) {
  Config cfg = load_config();
  std::string session = session_in.empty() ? latest_session(cfg.dir) : session_in;
  if (session.empty()) {
    write_all(2, "kiln: error: no cargo kiln session recorded in " + cfg.dir + "/sessions\n");
    return 1;
  }
  std::string error;
  std::string path = write_session_report(cfg.dir, session, "session " + session,
                                          output.empty() ? "kiln-report.html" : output, &error);
  if (path.empty()) {
    write_all(2, "kiln: error: " + error + "\n");
    return 1;
  }
  write_all(1, path + "\n");
  return 0;
}

}  // namespace kiln
