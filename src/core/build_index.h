// The build index: the action entries one `cargo kiln` build used, stored as one more action
// entry, so that the same build on another machine can fetch them all before cargo starts.
//
// Without it, a machine with an empty local store pays for every remote hit inside the rustc
// wrapper: a process per crate that loads libcurl, connects, and fetches its manifest, entry
// and blobs one request at a time. With it, `cargo kiln` fetches everything the last build
// used in one process up front, and every wrapper call is then a local hit.
//
//   during the build  each wrapper process appends the keys it read or wrote (manifest key,
//                     result key) to $KILN_INDEX_FILE, a temp file `cargo kiln` created;
//   after the build   `cargo kiln` stores an entry of kind "index" listing those keys under
//                     the index key, locally and on every writable remote, with one output
//                     file: the pack of those entries and their small blobs (core/index_pack.h);
//   before the next   `cargo kiln` reads the index and its pack from the remotes (two
//                     requests; the newest index is there), and brings each listed entry —
//                     and a result's other blobs — into the local store beside cargo
//                     (core/prefetch.h).
//
// The index key names "this project, this command, this toolchain": the cargo arguments, the
// digest of Cargo.lock (or of the Cargo.toml files before there is one), `rustc -vV`, and the
// RUSTFLAGS-like variables. It only decides what is
// fetched early; every lookup still goes through the normal keys, so a stale or foreign index
// costs bandwidth, never correctness.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/digest.h"

namespace kiln {

/// Appends `keys` to the file named by $KILN_INDEX_FILE (one O_APPEND write; no-op when the
/// variable is unset). Failures are ignored: the index is an optimisation.
void note_used_keys(const std::vector<Digest>& keys);

/// The index key of `cargo <cargo_args>` run in `cwd` with the toolchain whose `rustc -vV`
/// output is `rustc_version`. The project is identified by the nearest Cargo.lock in `cwd` or
/// above, else by the Cargo.toml files from `cwd` up; nullopt when there is neither.
std::optional<Digest> compute_index_key(const std::vector<std::string>& cargo_args, const std::string& cwd,
                                        const std::string& rustc_version);

/// The distinct keys in a file written by note_used_keys, in first-use order (bad lines skipped).
std::vector<Digest> read_used_keys(const std::string& path);

/// The name of the index entry's output file that holds its pack.
inline constexpr const char* kIndexPackPath = "index.pack";

/// Stores in `store` an index entry listing `keys` under `index_key`, after its pack: the
/// entries and small blobs `local` has for those keys (workspace members' only with
/// `pack_local_onlys`, so that upload = dependencies keeps them off the servers), and the
/// names the remote blobs of its larger output files have (`store.known_wire_names()`, then
/// `prior_names`: those the last index's pack gave, for blobs this machine never uploaded).
/// Errors: the store's (a pack that cannot be made is left out).
Status put_index(Store& store, Store& local, const Digest& index_key, const std::vector<Digest>& keys,
                 bool pack_local_onlys, const WireNames& prior_names = {});

}  // namespace kiln
