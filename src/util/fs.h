// File system helpers: whole-file reads, atomic writes (temp file + rename), stat, paths.
// All functions return Result; none throws.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace kiln {

/// Reads a whole file into a string. Errors: missing or unreadable file.
Result<std::string> read_file(const std::string& path);

/// Reads `fd` from its position to the end, appending to `out` (reserving its size first when
/// fstat gives one). Errors: read(2) failed (errno text). Does not close `fd`.
Status read_fd_to_end(int fd, std::string& out);

/// The distinct non-empty lines of a file, in first-seen order; empty when it cannot be read.
/// (For files that several processes append lines to.)
std::vector<std::string> read_distinct_lines(const std::string& path);

/// Writes `data` to `path` atomically: a temp file beside it, then rename(2). Readers see
/// the old file or the new one, never a torn one. `mode` is the new file's permission bits.
/// Errors: directory missing or not writable, disk full (the temp file is removed).
Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644);

/// A new, open file beside `target`, to be renamed over it once complete (the pattern of
/// write_file_atomic, for writers that stream their data).
struct TempFile {
  int fd = -1;
  std::string path;    // "<target>.tmp.<pid>.<random>"
  std::string target;  // the file it will replace
  mode_t mode = 0644;
};

/// Creates a TempFile for `target` with permission bits `mode`, creating missing parent
/// directories. Errors: a directory cannot be created or written, disk full.
Result<TempFile> create_temp_beside(const std::string& target, mode_t mode = 0644);

/// Closes `t` and renames it over its target (readers see the old file or the new one).
/// On failure the temp file is removed. Errors: close or rename failed (errno text).
Status commit_temp(TempFile& t);

/// Closes and removes `t` without touching its target.
void discard_temp(TempFile& t);

/// Makes `target` a hard link to `existing` (linkat(2) to a temp name beside `target`, then
/// rename(2) over it, so readers see the old file or the new one); `existing` may be
/// /proc/self/fd/N to link an open file. Returns false, with nothing
/// changed, where this filesystem or pair of paths cannot link (EXDEV: another filesystem;
/// EPERM, EMLINK, ENOTSUP/EOPNOTSUPP): the caller copies instead. Errors: other errno text.
Result<bool> link_beside(const std::string& existing, const std::string& target);

/// Writes all of `data` to `fd`, retrying short writes and EINTR. Errors: errno text.
Status write_fd(int fd, std::string_view data);

/// Appends `line` (one record, newline included) to `path` with one O_APPEND write, so that
/// concurrent writers never interleave. When the file then exceeds `trim_above_bytes` (0 =
/// never), it is rewritten with its last `keep_lines` lines. Returns false when the file
/// cannot be opened (its directory may be missing); other errors are ignored: these are logs.
bool append_record(const std::string& path, std::string_view line, uint64_t trim_above_bytes = 0,
                   size_t keep_lines = 0);

/// Creates a directory and its parents (mkdir -p). Errors: a component is not a directory.
Status make_dirs(const std::string& path);

/// A timespec (st_mtim, st_ctim) as nanoseconds since the epoch.
inline int64_t timespec_ns(const struct timespec& t) { return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec; }

/// Cheap identity of a file's current contents: size and mtime (ns).
struct FileStat {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t inode = 0;
  mode_t mode = 0;
};

/// stat(2) of a path (following symlinks); nullopt when it does not exist.
std::optional<FileStat> stat_file(const std::string& path);

/// fstat(2) of an open descriptor; nullopt when it fails.
std::optional<FileStat> stat_fd(int fd);

/// True when `path` is an existing regular file or directory.
bool path_exists(const std::string& path);

/// Absolute form of `path` resolved against `base` (no symlink resolution), lexically normalized.
std::string absolute_path(const std::string& path, const std::string& base);

/// Lexical normalization: collapses "//", "/./" and "dir/.." without touching the disk.
std::string normalize_path(const std::string& path);

/// Directory part of a path ("a/b/c" → "a/b"; "c" → ".").
std::string dir_name(const std::string& path);

/// Last component of a path.
std::string base_name(const std::string& path);

/// Joins two path fragments with exactly one '/'.
std::string path_join(const std::string& a, const std::string& b);

/// True when `path` equals `dir` or lies below it (lexical comparison).
bool path_is_under(std::string_view path, std::string_view dir);

/// The current working directory.
std::string current_dir();

/// Names of the entries of a directory (no "." or ".."); empty when unreadable.
std::vector<std::string> list_dir(const std::string& dir);

/// Searches $PATH for an executable named `name` (or returns `name` if it contains '/').
std::optional<std::string> find_in_path(const std::string& name);

/// Removes a file or a directory tree; missing paths are not an error.
Status remove_all(const std::string& path);

}  // namespace kiln
