// `kiln` commands: stats, --help, --version (CLI11 parses them).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"

#ifndef KILN_VERSION
#define KILN_VERSION "0.0.0"
#endif

namespace kiln {

int run_kiln_command(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "run")  // its COMMAND's own options are not kiln's
    return run_kiln_run_command(std::vector<std::string>(argv + 2, argv + argc));
  if (argc >= 2 && std::string(argv[1]) == "remote-run") {  // cargo's target runner: BINARY ARGS…
    int first = argc >= 3 && std::string(argv[2]) == "--" ? 3 : 2;
    return run_remote_run_command(std::vector<std::string>(argv + first, argv + argc));
  }
  CLI::App app{
      "kiln — a build accelerator for Rust: caches every rustc invocation by content.\n\n"
      "Use:\n"
      "  cargo kiln build [ARGS…]        any cargo subcommand, through kiln\n"
      "  RUSTC_WRAPPER=kiln cargo build  the same without the subcommand\n"
      "  cargo kiln --container build    the same in a Rust toolchain container\n"
      "  kiln run -- COMMAND             any command in that container\n",
      "kiln"};
  app.set_version_flag("--version,-V", std::string("kiln ") + KILN_VERSION);
  app.require_subcommand(0, 1);

  bool json = false, zero = false;
  auto* stats = app.add_subcommand("stats", "Hits, misses, reasons for not caching, time saved");
  stats->add_flag("--json", json, "Machine-readable output");
  stats->add_flag("--zero,-z", zero, "Reset the counters");
  std::string stats_format;
  stats->add_option("--format", stats_format, "text, json or openmetrics (Prometheus text format)");
  bool stats_history = false;
  stats->add_flag("--history", stats_history, "One line per cargo kiln build: time, hits, misses, hit rate, saved");

  bool config_doc = false;
  auto* config = app.add_subcommand("config", "Effective settings and where each comes from");
  config->add_flag("--doc", config_doc, "Explain every setting");

  auto* doctor = app.add_subcommand("doctor", "Check the setup: PATH, store, remotes, toolchain, runtimes, linkers");
  auto* cache = add_cache_command(app);
  auto* image = add_image_command(app);
  bool package_json = false;
  auto* package = app.add_subcommand("package", "Packaged images (cargo kiln package)");
  auto* package_ls = package->add_subcommand("ls", "Packaged artifacts with their metadata");
  package_ls->add_flag("--json", package_json, "Machine-readable output");
  package->require_subcommand(1);
  app.add_subcommand("run", "Run a command in a Rust toolchain container: kiln run [--image IMAGE] -- COMMAND…");
  auto* selftest = add_store_selftest_command(app);
  std::string report_session, report_output;
  auto* report = app.add_subcommand("report", "Write the HTML build report of a past cargo kiln session (default: the last)");
  report->add_option("session", report_session, "Session id (kiln stats --history lists builds)");
  report->add_option("-o,--output", report_output, "Where (default: ./kiln-report.html)");
  std::string explain_crate, explain_session;
  auto* explain = app.add_subcommand("explain", "Why CRATE missed in the last build, in words");
  explain->add_option("crate", explain_crate, "Crate or package name")->required();
  explain->add_option("--session", explain_session, "A cargo kiln session (kiln stats --json lists them); default: the last miss");
  app.add_subcommand("remote-run", "Run a test harness on the BuildKit daemon (cargo's runner under cargo kiln test --remote-run)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (stats->parsed()) return run_stats_command(json, zero, stats_format, stats_history);
  if (cache->parsed()) return run_cache_command(*cache);
  if (doctor->parsed()) return run_doctor_command();
  if (image->parsed()) return run_image_command(*image);
  if (package_ls->parsed()) return run_package_ls_command(package_json);
  if (config->parsed()) return run_config_command(config_doc);
  if (selftest->parsed()) return run_store_selftest_command();
  if (report->parsed()) return run_report_command(report_session, report_output);
  if (explain->parsed()) return run_explain_command(explain_crate, explain_session);
  std::printf("%s", app.help().c_str());
  return 0;
}

}  // namespace kiln
