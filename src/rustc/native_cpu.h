// What `-C target-cpu=native` means here. The flag's text is the same on every machine, but
// the code it produces is the host CPU's: an entry built on one CPU handed to another can
// crash with illegal instructions. So the key holds what the flag resolves to — the CPU name
// rustc picks (`rustc --print target-cpus`: "native … (currently NAME)") and the target
// features it enables (`rustc -C target-cpu=native --print cfg`: `target_feature="…"`), as
// rustc's codegen sees them (rustc book, "Codegen options: target-cpu"). Both probes run once
// per toolchain and CPU model; the result is cached in <store>/toolchains/.
#pragma once

#include <string>
#include <string_view>

#include "rustc/toolchain.h"
#include "util/expected.h"

namespace kiln {

/// The key text for `target-cpu=native` from the two probes' outputs:
/// "cpu=NAME features=a,b,c" (features sorted). Pure, so a test can pose as another CPU.
std::string native_cpu_key(std::string_view target_cpus_output, std::string_view cfg_output);

/// native_cpu_key for this host and `rustc` (`target`: the --target triple or ""), cached per
/// toolchain, target and CPU (vendor, family, model, stepping, flags of /proc/cpuinfo).
/// Errors: rustc cannot be run.
Result<std::string> resolve_native_cpu(const std::string& rustc, const Toolchain& toolchain, const std::string& target,
                                       const std::string& cache_dir);

}  // namespace kiln
