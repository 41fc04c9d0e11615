// An action's output files as they were the moment its command ended, for a record that runs
// later (core/background_store.h). By the time a background store reads an output, cargo may
// have moved on: `cargo clean` deleted it, or the next compilation of the same crate (the edit
// loop) replaced it. A store that read the new file under the old key would be a wrong entry;
// one that found nothing would lose the work.
//
// So the snapshot opens every output when the command ends and takes the XXH3-64 of its
// content (util/xxh3.h), and the store reads through those descriptors: a deleted or
// renamed-over path does not matter, the descriptor still holds the file the command wrote,
// and a file rewritten in place since (the next compilation writing its dep-info) no longer
// has the content's checksum, which leaves the action unstored ("output-changed").
// Timestamps cannot tell: cargo itself sets an output's mtime back after the command ends
// (cargo check's rmeta, since 1.90), and hard-links it (a new ctime).
//
// This checksum is the part of a background store that cargo waits for: fd's 41 MB debug
// binary takes 11–13 ms here (2-core VM: mapping it in ~4 ms, XXH3 ~4 ms, unmapping ~3 ms;
// `timing of the miss` in KILN_LOG), against ~100 ms for the whole store.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/expected.h"
#include "util/fs.h"

namespace kiln {

/// Output files, open, with their identities taken when the command ended.
class OutputSnapshot {
 public:
  OutputSnapshot() = default;
  OutputSnapshot(const OutputSnapshot&) = delete;
  OutputSnapshot& operator=(const OutputSnapshot&) = delete;
  OutputSnapshot(OutputSnapshot&& o) noexcept : files_(std::move(o.files_)) { o.files_.clear(); }
  ~OutputSnapshot();

  /// Opens and checksums each of `paths` now; a path that cannot be opened or read is left out
  /// (reading it later fails).
  static OutputSnapshot take(const std::vector<std::string>& paths);

  /// The content of `path` as the command left it. Errors (messages starting "output
  /// changed"): the path was not there when the command ended, or the file was rewritten since;
  /// or a read error.
  Result<std::string> read(const std::string& path) const;

  /// The identity `path` had when the command ended; nullopt when it is not in the snapshot.
  std::optional<FileStat> stat(const std::string& path) const;

  size_t size() const { return files_.size(); }

 private:
  struct Open {
    int fd = -1;
    FileStat st;
    uint64_t xxh3 = 0;  // of the content when the command ended
  };
  std::map<std::string, Open> files_;
};

/// Reads an output file for a record: through `snapshot` when there is one (a background
/// record), else by path. Errors: as OutputSnapshot::read, or read_file's.
Result<std::string> read_output(const OutputSnapshot* snapshot, const std::string& path);

/// The identity of an output file: the snapshot's when there is one, else a stat(2) now.
std::optional<FileStat> stat_output(const OutputSnapshot* snapshot, const std::string& path);

}  // namespace kiln
