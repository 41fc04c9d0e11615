// The bytes of a blob file in the local store (cas/<2 hex>/<62 hex>):
//
//   tag    a skippable frame: magic 0x184D2A5E, a 4-byte little-endian length (40), the
//          blob's SHA-256 digest (32 bytes: the name the writer computed for the content) and
//          the XXH3-64 of the content (8 bytes, little-endian): 48 bytes in all;
//   frame  one LZ4 frame of the content (util/compress.h).
//
// Skippable frames are the LZ4 and zstd frame formats' own place for user data (the same magic
// range 0x184D2A50–5F in both: lz4_Frame_format.md "Skippable Frames", RFC 8878 §3.1.2), so
// `lz4 -d` still reads a blob file. The tag says what a hit needs to know without hashing the
// content with SHA-256 again: the digest binds the file to its name (a file copied or renamed
// to another blob's place does not pass), and the XXH3 of the decoded bytes proves they are the
// bytes the writer had (blob_stream.h explains why that is enough against corruption). XXH3
// is xxHash's (https://xxhash.com, libxxhash). Blob files of older kilns have no tag (an LZ4
// or zstd frame alone): readers check them by the SHA-256 of their content.
//
// A plain blob file is the other kind: a blob of kPlainBlobMinBytes or more is kept as its
// content itself, unchanged, so that a hit can hard-link it into the target directory instead
// of writing a copy (local/blob_link.h). Its tag — the same 48 bytes — is then the value of
// the extended attribute user.kiln.blob rather than a frame at its start; the attribute is what
// tells the two kinds apart. Where the filesystem keeps no user attributes the blob is written
// framed, as before.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/digest.h"
#include "util/xxh3.h"

namespace kiln {

/// Size in bytes of the tag frame that starts a blob file.
inline constexpr size_t kBlobTagSize = 48;

/// What a blob file's tag says.
struct BlobTag {
  Digest digest;          // SHA-256 of the content: the blob's name
  uint64_t xxh3_64 = 0;   // XXH3-64 (seed 0) of the content
};

/// The tag frame (kBlobTagSize bytes) for `content` named `digest`.
std::string blob_file_tag(const Digest& digest, std::string_view content);

/// The tag at the start of a blob file whose first bytes are `head`; nullopt when it has none
/// (an older file, or a corrupt one: its frame will not decode).
std::optional<BlobTag> parse_blob_tag(std::string_view head);

/// Blobs of at least this many bytes are written as plain blob files (where attributes work).
inline constexpr size_t kPlainBlobMinBytes = 32 << 10;

/// The tag of the blob file open at `fd` if it is a plain one (its user.kiln.blob attribute);
/// nullopt for a framed file (no attribute, or one that is not a tag).
std::optional<BlobTag> plain_blob_tag(int fd);

/// The same for the file at `path`.
std::optional<BlobTag> plain_blob_tag_at(const std::string& path);

/// Makes the file open at `fd` a plain blob file: sets `tag` (blob_file_tag's 48 bytes) as its
/// user.kiln.blob attribute. false: the filesystem keeps no user attributes (or refused).
bool set_plain_blob_tag(int fd, std::string_view tag);

}  // namespace kiln
