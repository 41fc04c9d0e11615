// The prefetch's progress line (see prefetch_progress.h).
#include "cli/prefetch_progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "util/clock.h"
#include "util/process.h"

namespace kiln {

bool stderr_is_terminal() {
  std::string term = env_or("TERM");
  return ::isatty(2) == 1 && term != "dumb";
}

std::string PrefetchProgress::format(const PrefetchReport& p, double seconds) {
  if (p.listed == 0) return {};
  double mib = static_cast<double>(p.bytes_down) / 1048576.0;
  char buf[160];
  std::snprintf(buf, sizeof buf, "kiln: prefetching the last build: %zu/%zu entries, %.1f MiB, %.1f MiB/s", p.present,
                p.listed, mib, seconds > 0.05 ? mib / seconds : 0.0);
  return buf;
}

PrefetchProgress::PrefetchProgress(const Prefetch* prefetch, bool terminal)
    : prefetch_(prefetch), active_(prefetch != nullptr && terminal), start_ms_(now_ms()) {
  if (active_) thread_ = std::thread([this] { run(); });
}

PrefetchProgress::~PrefetchProgress() { stop(); }

void PrefetchProgress::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    line_ = format(prefetch_->progress(), (now_ms() - start_ms_) / 1000.0);
    draw_locked();
    if (prefetch_->done()) break;
    wake_.wait_for(lock, std::chrono::milliseconds(250));
  }
  clear_locked();
  line_.clear();
}

void PrefetchProgress::draw_locked() {
  if (line_.empty()) return;
  write_all(2, "\r\033[K" + line_);
  shown_ = true;
}

void PrefetchProgress::clear_locked() {
  if (shown_) write_all(2, "\r\033[K");
  shown_ = false;
}

void PrefetchProgress::relay(int fd, std::string_view chunk) {
  if (!active_) {
    write_all(fd, chunk);
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  clear_locked();
  write_all(fd, chunk);
  if (!chunk.empty() && chunk.back() == '\n') draw_locked();
}

void PrefetchProgress::stop() {
  if (!active_) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  active_ = false;
}

}  // namespace kiln
