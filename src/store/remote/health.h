// Remote health: a remote that fails (unreachable, timeout, 5xx, wrong bytes) is marked
// down for the rest of the build, across all the kiln processes cargo starts, so a dead
// cache costs one timeout and one warning per build — not one per crate.
//
// The mark is a small file KILN_DIR/remote-health/<16 hex of sha256(remote name)>:
//   "kiln-remote-down 1\n<unix seconds>\n<session>\n<reason>\n"
// It is valid while $KILN_SESSION (set by `cargo kiln` once per build) equals the recorded
// session; without a session (a plain RUSTC_WRAPPER build) for `validity_s` seconds after it
// was written. A later build tries the remote again. Marking takes an flock(2) on a lock file
// beside the mark, so when many processes fail at once exactly one of them creates the mark —
// that one prints the warning.
//
// Also here: the convention remote stores use to tell a timeout from other errors (stats
// count them apart): the Error's message starts with "timeout: ".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace kiln {

/// The down-mark of one remote.
class RemoteHealth {
 public:
  /// `kiln_dir`: the local store dir; `remote_name`: RemoteUrl::name(); `session`: $KILN_SESSION
  /// or empty; `validity_s`: how long a mark made without a session holds (seconds).
  RemoteHealth(std::string kiln_dir, std::string remote_name, std::string session, int64_t validity_s = 60);

  /// True when a valid down-mark exists (the remote must not be used).
  bool is_down() const;

  /// What mark_down did.
  enum class MarkResult {
    Made,         // this call made the mark: the caller prints the build's one warning
    AlreadyDown,  // another process marked it first: stay quiet
    Failed,       // the mark cannot be written (read-only KILN_DIR…): warn, it cannot be shared
  };

  /// Marks the remote down with a one-line reason.
  MarkResult mark_down(std::string_view reason);

  /// Removes the mark (the remote works again). Missing marks are fine.
  void clear();

  /// The reason recorded in a valid mark, or empty.
  std::string reason() const;

  /// Path of the mark file.
  const std::string& marker_path() const { return path_; }

 private:
  struct Mark {
    bool present = false;
    int64_t unix_s = 0;
    std::string session, reason;
  };
  Mark read_mark() const;
  bool valid(const Mark& m) const;

  std::string dir_, path_, session_;
  int64_t validity_s_;
};

/// An Error whose message says it is a timeout ("timeout: <message>").
Error timeout_error(std::string message);

/// True when `e` was made by timeout_error.
bool is_timeout(const Error& e);

}  // namespace kiln
