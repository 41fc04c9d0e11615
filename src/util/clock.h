// Monotonic and wall-clock time in the units kiln reports (ms, ns).
#pragma once

#include <chrono>
#include <cstdint>

namespace kiln {

/// Milliseconds on the monotonic clock (for durations).
inline double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

/// Nanoseconds since the Unix epoch on the wall clock (comparable with file mtimes).
inline int64_t wall_ns() {
  using namespace std::chrono;
  return duration_cast<nanoseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace kiln
