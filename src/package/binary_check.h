// Will the binary run on the base? Its ELF dynamic section names the shared libraries it
// needs (DT_NEEDED) and its version needs the glibc symbol versions (GLIBC_2.x) it links
// against (https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/symversion.html).
// kiln reads both with binutils' readelf, then looks through the base's layers: every needed
// library must be a file or link under a lib directory, and the base's libc must define the
// highest GLIBC_x.y the binary needs. A binary built on a newer distribution than its base
// fails here with a clear error instead of at `docker run`.
#pragma once

#include <string>
#include <vector>

#include "package/base_layers.h"
#include "util/expected.h"

namespace kiln {

/// What a binary needs from the system it runs on.
struct BinaryNeeds {
  std::vector<std::string> libraries;  // DT_NEEDED sonames ("libc.so.6"); empty = static
  std::string max_glibc;               // "2.34"; "" when it needs no glibc version
};

/// Reads `binary`'s needs with readelf. Errors: readelf missing, not an ELF file.
Result<BinaryNeeds> read_binary_needs(const std::string& binary);

/// -1, 0, 1 as dotted version `a` is below, equal to, above `b` ("2.9" < "2.34").
int compare_versions(const std::string& a, const std::string& b);

/// Checks `needs` of the binary `name` against `base`. Errors: what is missing, with the fix
/// (`--container` builds in a toolchain image made from the same base).
Status check_binary_runs_on(const std::string& name, const BinaryNeeds& needs, const BaseImage& base);

}  // namespace kiln
