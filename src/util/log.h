// Messages to the user. kiln never writes to stdout in wrapper mode (cargo parses it):
// warnings go to stderr as one line "kiln: warning: …"; debug lines go to $KILN_LOG.
#pragma once

#include <string_view>

namespace kiln {

/// Prints "kiln: warning: <message>" on stderr — or, when $KILN_WARNINGS_FILE names an
/// existing file (set by `cargo kiln`), appends it there for cargo-kiln to print at the end.
void warn(std::string_view message);

/// Appends a debug line to the file named by $KILN_LOG, if set (one line per call, with pid).
void debug(std::string_view message);

/// True when $KILN_LOG is set.
bool debug_enabled();

/// Debug lines of this process carry `pid` instead of its own: a background store forked from
/// a wrapper logs as the wrapper, so that a log reads as one line of events per action.
void set_log_pid(int pid);

}  // namespace kiln
