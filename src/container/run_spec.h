// One command in a container, as data, and the runtime command line that runs it.
//
// Everything kiln decides about a container run (image, mounts, environment, user, network,
// rlimits) is put into a RunSpec first; run_command_line() only spells it in the runtime's
// dialect. `kiln run --dry-run` prints that command line, so what runs is what is shown.
// Variables whose value comes from kiln's own environment are passed by name (`--env NAME`),
// so that tokens and passwords never appear on a command line.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "container/runtime.h"

namespace kiln {

/// A bind mount of a host path, or a named volume.
struct ContainerMount {
  std::string source;  // host path, or the volume's name when `volume`
  std::string target;  // absolute path inside the container
  bool read_only = false;
  bool volume = false;
};

/// A container run, runtime-independent.
struct RunSpec {
  std::string image;
  std::vector<std::string> command;  // argv inside the container
  std::string workdir;               // absolute, inside
  std::vector<std::pair<std::string, std::string>> env;  // NAME=value set by kiln
  std::vector<std::string> env_from_host;  // NAMEs whose value the runtime takes from kiln's env
  std::vector<ContainerMount> mounts;
  std::string network = "none";  // "none" or "host" (kiln never uses a bridge)
  std::string user;              // "uid:gid"; "" = the image's
  bool keep_id = false;          // podman rootless: map the user's uid to itself (--userns keep-id)
  bool interactive = false;      // -i: stdin is passed on
  bool tty = false;              // -t: stdin and stdout are a terminal
  std::string name;              // container name, so that kiln can remove it after a signal
  std::string init_path;         // run an init as PID 1: "" none, "default" the runtime's, else its path
  std::vector<std::pair<std::string, std::string>> ulimits;  // "nofile" → "1024:1024"
  std::vector<std::string> extra;  // the user's own runtime arguments (KILN_CONTAINER_RUN_ARGS)
};

/// The complete command line (`podman run …` / `docker run …`) that runs `spec` with `rt`,
/// removing the container when it exits.
std::vector<std::string> run_command_line(const ContainerRuntime& rt, const RunSpec& spec);

/// `argv` as one shell-quoted line ('…' where needed), for --dry-run and -v.
std::string shell_quote(const std::vector<std::string>& argv);

}  // namespace kiln
