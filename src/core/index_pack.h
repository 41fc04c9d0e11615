// The build index's pack: the entries a build index lists, and their small blobs, in one CAS
// blob that the index entry names as its one output file ("index.pack").
//
// Without it, the prefetch asks a remote once per listed entry and once more per blob — about
// 330 requests for ripgrep, 2 to 4 ms each on a registry (docker-registry spends that much CPU
// per request whatever the size). With it, one GET brings every entry and every blob of up to
// kPackBlobMax bytes; only the larger blobs are fetched one by one.
//
// Trust is unchanged: an entry in the pack is what the same remote would have answered for its
// key, and every blob in it is checked against its digest when the pack is read.
//
// The larger blobs have one more cost on an OCI registry: kiln keeps them there as zstd
// layers named by the frame's digest, which only the entry's manifest gives — one more GET per
// entry, and per-request CPU on the registry. The pack therefore also names, for the larger
// blobs it leaves out, the blob each is stored as there (Store::known_wire_names: what this
// machine uploaded or read); a prefetch hands those names to the stores (learn_wire_names) and
// fetches the layers directly. A name that is wrong or gone is a 404 or a digest mismatch, and
// the prefetch then reads the manifest as before: names save requests, they are never trusted
// for content.
//
// Format: zstd (RFC 8878) over protobuf wire bytes (https://protobuf.dev/programming-guides/encoding/)
//   IndexPack { repeated Entry entries = 1; repeated Blob blobs = 2; repeated Name names = 3; }
//   Entry     { string key = 1;    /* 64 hex */  bytes action_result = 2; /* ActionResult::encode() */ }
//   Blob      { string digest = 1; /* 64 hex */  bytes data = 2; }
//   Name      { string digest = 1; /* 64 hex, the content's */  string blob = 2; /* 64 hex, as stored */
//               int64 size = 3; /* bytes as stored */ }
// Readers skip fields they do not know: a pack without names (older kilns) reads as before.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"
#include "util/digest.h"
#include "util/expected.h"

namespace kiln {

/// Blobs larger than this (bytes) stay out of a pack: fetching them alone costs little more.
inline constexpr size_t kPackBlobMax = 64 * 1024;
/// At most this many bytes of blobs go in one pack (a pack is uploaded after every build that
/// changed the index).
inline constexpr size_t kPackBlobsTotalMax = 8 * 1024 * 1024;

/// A decoded pack.
struct IndexPack {
  std::map<Digest, ActionResult> entries;  // action key → entry
  std::map<Digest, std::string> blobs;     // digest → content (matches the digest)
  WireNames names;                         // content digest → the blob it is stored as remotely
};

/// Reads from `local` the entries under `keys` and the blobs of up to kPackBlobMax bytes they
/// name (at most kPackBlobsTotalMax in all). Entries of workspace members (and their blobs) are
/// left out unless `include_local_onlys`; keys the store lacks are skipped.
/// `names` (content digest → remote blob) gives the pack's names: those of the output files
/// of packed entries that are not packed blobs themselves.
IndexPack collect_index_pack(Store& local, const std::vector<Digest>& keys, bool include_local_onlys,
                             const WireNames& names = {});

/// The pack's bytes (format above). Errors: compression failure.
Result<std::string> encode_index_pack(const IndexPack& pack);

/// Reads a pack. Errors: not zstd, malformed message, a bad key or digest, an entry that does
/// not decode, a blob whose content does not match its digest.
Result<IndexPack> decode_index_pack(std::string_view bytes);

}  // namespace kiln
