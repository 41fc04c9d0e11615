// Background stores: slots, detaching, waiting (see background_store.h).
#include "core/background_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>
#include <vector>

#include "session/session_env.h"
#include "util/clock.h"
#include "util/fs.h"

namespace kiln {
namespace {

std::string pending_dir(const std::string& store_dir) { return store_dir + "/pending"; }
std::string slot_path(const std::string& store_dir, int i) {
  return pending_dir(store_dir) + "/slot-" + std::to_string(i) + ".lock";
}

// Field `i` (0: session, 1: pid, 2: pre-key) of an open slot file ("" when unreadable).
std::string slot_field(int fd, int i) {
  char buf[512];
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return {};
  std::string s(buf, static_cast<size_t>(n));
  size_t start = 0;
  for (int k = 0; k < i; ++k) {
    start = s.find(' ', start);
    if (start == std::string::npos) return {};
    ++start;
  }
  size_t end = s.find_first_of(" \n", start);
  return s.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Waits until no slot whose field `field` is `value` ("" = every slot) is held, at most
// `timeout_ms` ms. Slots are made in order: the first missing one ends the list.
StoreWait wait_for_slots(const std::string& store_dir, int field, const std::string& value, int timeout_ms) {
  StoreWait w;
  double t0 = now_ms();
  std::vector<int> held;  // fds of the slots still held
  for (int i = 0;; ++i) {
    int fd = ::open(slot_path(store_dir, i).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    if ((value.empty() || slot_field(fd, field) == value) && ::flock(fd, LOCK_SH | LOCK_NB) != 0) {
      held.push_back(fd);
      continue;
    }
    ::close(fd);
  }
  w.pending = static_cast<int>(held.size());
  while (!held.empty()) {
    std::erase_if(held, [](int fd) {
      if (::flock(fd, LOCK_SH | LOCK_NB) != 0) return false;
      ::close(fd);
      return true;
    });
    if (held.empty() || now_ms() - t0 >= timeout_ms) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  w.still_running = static_cast<int>(held.size());
  for (int fd : held) ::close(fd);
  w.waited_ms = now_ms() - t0;
  return w;
}

}  // namespace

bool background_store_enabled(const Config& cfg) {
  if (cfg.background_store == "on") return true;
  if (cfg.background_store == "off") return false;
  return !session_env().session.empty();
}

int background_store_slots() { return static_cast<int>(std::max(2u, std::thread::hardware_concurrency())); }

std::optional<StoreSlot> claim_store_slot(const std::string& store_dir, const std::string& session,
                                          const std::string& pre_key, int slots) {
  if (!make_dirs(pending_dir(store_dir))) return std::nullopt;
  for (int i = 0; i < slots; ++i) {
    int fd = ::open(slot_path(store_dir, i).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return std::nullopt;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      continue;
    }
    std::string text = (session.empty() ? "-" : session) + " " + std::to_string(::getpid()) + " " + pre_key + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
      ::close(fd);
      return std::nullopt;
    }
    return StoreSlot{fd, i};
  }
  return std::nullopt;
}

void become_background_store() {
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    for (int fd = 0; fd <= 2; ++fd) (void)::dup2(null, fd);
    if (null > 2) ::close(null);
  }
  errno = 0;
  (void)::nice(10);
  (void)::prctl(PR_SET_NAME, "kiln-store", 0, 0, 0);
}

bool wait_for_pending_store(const std::string& store_dir, const std::string& pre_key, int timeout_ms) {
  return wait_for_slots(store_dir, 2, pre_key, timeout_ms).pending > 0;
}

StoreWait wait_for_background_stores(const std::string& store_dir, const std::string& session, int timeout_ms) {
  return wait_for_slots(store_dir, 0, session, timeout_ms);
}

}  // namespace kiln
