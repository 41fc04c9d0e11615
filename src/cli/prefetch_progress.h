// The progress line of a build index prefetch (core/prefetch.h) on a terminal:
//   kiln: prefetching the last build: 42/138 entries, 61.3 MiB, 28.4 MiB/s
// redrawn every 250 ms on stderr while the prefetch runs, cleared when it is done or cargo
// ends. cargo's own output passes through relay(), which clears the line first and redraws
// it after, so the two never mix. Nothing at all when stderr is not a terminal (a pipe, CI).
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/prefetch.h"

namespace kiln {

class PrefetchProgress {
 public:
  /// Shows the progress of `prefetch` (not owned; may be null: then nothing is shown) when
  /// `terminal` (stderr is a terminal).
  PrefetchProgress(const Prefetch* prefetch, bool terminal);
  ~PrefetchProgress();
  PrefetchProgress(const PrefetchProgress&) = delete;
  PrefetchProgress& operator=(const PrefetchProgress&) = delete;

  /// Writes a chunk of cargo's output to `fd` (1 or 2) around the progress line.
  void relay(int fd, std::string_view chunk);
  /// Clears the line and stops redrawing it.
  void stop();

  /// The line for `p` after `seconds` ("" when nothing is listed).
  static std::string format(const PrefetchReport& p, double seconds);

 private:
  void run();
  void draw_locked();
  void clear_locked();

  const Prefetch* prefetch_;
  bool active_;
  bool shown_ = false, stopping_ = false;
  std::string line_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
  double start_ms_;
};

/// True when stderr is a terminal that can take \r and an erase-line sequence.
bool stderr_is_terminal();

}  // namespace kiln
