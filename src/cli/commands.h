// kiln's command-line entry points other than the wrapper itself.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace kiln {

/// `cargo kiln ARGS…` (cargo runs `cargo-kiln kiln ARGS…`): runs cargo with RUSTC_WRAPPER set
/// to this binary and prints one summary line on stderr. Returns cargo's exit code.
int run_cargo_subcommand(const std::vector<std::string>& cargo_args);

/// `kiln stats [--json] [--zero] [--format text|json|openmetrics]`. Returns the exit code.
int run_stats_command(bool json, bool zero, const std::string& format = "", bool history = false);

/// `kiln config [--doc]`: effective settings with their origins, or the keys' documentation.
/// Returns the process exit code.
int run_config_command(bool doc);

/// `kiln cache du|ls|gc|prune|clear|verify`: adds the subcommand to `app` (cli/cache_command.cpp);
/// run_cache_command runs it once parsed and returns the exit code.
CLI::App* add_cache_command(CLI::App& app);
int run_cache_command(CLI::App& cache);

/// `kiln __store-selftest URL [--seed S] [--mode put|get|both] [--size N]` (hidden; tests):
/// adds the subcommand to `app`; run_store_selftest_command runs it once parsed (exit code).
CLI::App* add_store_selftest_command(CLI::App& app);
int run_store_selftest_command();

/// `kiln run [--image IMAGE] [--dry-run] [-v] -- COMMAND…` (args after "run"): COMMAND in a
/// toolchain container sharing kiln's store (cli/container_command.cpp, container/). Returns
/// COMMAND's exit code, or 125 when kiln could not start the container (the reason on stderr).
int run_kiln_run_command(const std::vector<std::string>& args);

/// `cargo kiln --container[=IMAGE] ARGS…`: `cargo kiln ARGS…` inside the toolchain container
/// ("" = the configured or default image). Returns cargo's exit code, or 125.
int run_cargo_in_container(const std::string& image, const std::vector<std::string>& cargo_args);

/// `cargo kiln package ARGS…` (args after "package"): builds a binary and packages it as an OCI
/// image archive (cli/package_command.cpp, package/). Prints the manifest digest on stdout;
/// returns 0, or 1 with the reason on stderr.
int run_package_command(const std::vector<std::string>& args);

/// `kiln package ls [--json]`: the packaged artifacts. Returns the exit code.
int run_package_ls_command(bool json);

/// Writes the report of `session` (report/report_html.h) to `path`; returns its absolute path,
/// or "" with `error` set.
std::string write_session_report(const std::string& store_dir, const std::string& session, const std::string& title,
                                 const std::string& path, std::string* error);

/// `kiln report [SESSION] [-o PATH]`: the report of a past session (default: the last).
int run_report_command(const std::string& session, const std::string& output);

/// `kiln explain CRATE [--session S]`: why CRATE missed, in words (explain/miss_log.h).
/// Returns 0, or 1 when no miss of it is recorded.
int run_explain_command(const std::string& crate, const std::string& session);

/// `kiln remote-run BINARY ARGS…`: a test harness on the executor's daemon, as cargo's target
/// runner (cli/remote_run_command.cpp). Returns the harness's exit code.
int run_remote_run_command(const std::vector<std::string>& command);

/// `cargo kiln containerfile [--bin NAME] [-o PATH] [-v] [CARGO BUILD ARGS…]`: the crate graph
/// as a multi-stage Containerfile (cli/containerfile_command.cpp). Returns the exit code.
int run_containerfile_command(const std::vector<std::string>& args);

/// `kiln image build-toolchain|build-base`: adds the subcommand to `app`; run_image_command
/// runs it once parsed and returns the exit code.
CLI::App* add_image_command(CLI::App& app);
int run_image_command(CLI::App& image);

/// `kiln doctor`: checks the setup, prints each finding with its fix (cli/doctor_command.cpp).
/// Returns 1 when something would stop kiln from working, else 0.
int run_doctor_command();

/// `kiln ARGS…` for commands (stats, cache, --help, --version). Returns the exit code.
int run_kiln_command(int argc, char** argv);

/// Path of the running kiln binary.
std::string self_path();

}  // namespace kiln
