// Which files a rustc invocation writes. rustc names outputs after the crate name plus
// `-C extra-filename` (rustc_session::output::filename_for_input / out_filename): for
// crate `foo` with extra `-abc`: libfoo-abc.rlib / .rmeta / .so / .a, foo-abc (bin, test),
// foo-abc.d, and with split debuginfo foo-abc.<cgu>.rcgu.dwo. kiln collects every file in the
// output directory whose name is one of those stems, exactly or followed by '.'.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rustc/invocation.h"

namespace kiln {

/// Where this invocation's outputs go and the file-name stems they carry.
struct OutputNames {
  std::string dir;                 // absolute
  std::vector<std::string> stems;  // "foo-abc", "libfoo-abc"
};

/// The output directory and stems of `inv` (see the file comment).
OutputNames output_names(const RustcInvocation& inv);

/// Absolute paths of the files this invocation wrote: regular files in its output
/// directory named after its stems and modified at or after `since_ns` (wall clock), plus
/// explicit `--emit kind=path` and `-o` outputs. Sorted.
std::vector<std::string> collect_outputs(const RustcInvocation& inv, int64_t since_ns);

/// Absolute path of the dep-info file this invocation writes.
std::string dep_info_path(const RustcInvocation& inv);

}  // namespace kiln
