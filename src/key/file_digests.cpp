// Stat-cached file digests via extended attributes (see file_digests.h).
#include "key/file_digests.h"

#include <sys/xattr.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "util/clock.h"

namespace kiln {
namespace {

constexpr const char* kAttr = "user.kiln.sha256";
constexpr int64_t kRacyMarginNs = 2'000'000'000;  // 2 s: coarse filesystem timestamps

struct Note {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  int64_t noted_ns = 0;
  Digest digest;
};

std::optional<Note> read_note(const std::string& path) {
  char buf[200];
  ssize_t n = ::getxattr(path.c_str(), kAttr, buf, sizeof buf - 1);
  if (n <= 0) return std::nullopt;
  const char* p = buf;
  const char* end = buf + n;
  Note note;
  auto num = [&](auto& v) {
    auto r = std::from_chars(p, end, v);
    if (r.ec != std::errc() || r.ptr >= end || *r.ptr != ' ') return false;
    p = r.ptr + 1;
    return true;
  };
  if (!num(note.size) || !num(note.mtime_ns) || !num(note.inode) || !num(note.noted_ns)) return std::nullopt;
  auto d = Digest::from_hex(std::string_view(p, static_cast<size_t>(end - p)));
  if (!d) return std::nullopt;
  note.digest = *d;
  return note;
}

// The note still describes the file: same size, mtime and inode, and its ctime is the note's.
bool note_matches(const Note& n, const FileStat& st) {
  int64_t dc = st.ctime_ns - n.noted_ns;
  return n.size == st.size && n.mtime_ns == st.mtime_ns && n.inode == st.inode && dc <= kNoteWindowNs &&
         dc >= -kNoteWindowNs;
}

void write_note(const std::string& path, const FileStat& st, const Digest& digest) {
  std::string v = std::to_string(st.size) + " " + std::to_string(st.mtime_ns) + " " + std::to_string(st.inode) +
                  " " + std::to_string(wall_ns()) + " " + digest.hex();
  ::setxattr(path.c_str(), kAttr, v.data(), v.size(), 0);
}

struct Known {
  FileStat id;
  Digest digest;
};

std::unordered_map<std::string, Known>& known_digests() {
  static std::unordered_map<std::string, Known> m;
  return m;
}

}  // namespace

void note_known_digest(const std::string& path, const FileStat& id, const Digest& digest) {
  if (id.ctime_ns == 0) return;
  known_digests().insert_or_assign(path, Known{id, digest});
}

Result<Digest> file_digest(const std::string& path, bool remember) {
  auto st = stat_file(path);
  if (!st) return make_error("cannot stat " + path);
  if (auto it = known_digests().find(path); it != known_digests().end()) {
    const FileStat& id = it->second.id;
    if (id.size == st->size && id.mtime_ns == st->mtime_ns && id.ctime_ns == st->ctime_ns && id.inode == st->inode)
      return it->second.digest;
  }
  if (auto note = read_note(path); note && note_matches(*note, *st)) return note->digest;
  auto d = sha256_file(path);
  if (!d) return d;
  if (remember && st->mtime_ns < wall_ns() - kRacyMarginNs) {
    // Noted only if nothing touched the file while it was hashed.
    auto again = stat_file(path);
    if (again && again->ctime_ns == st->ctime_ns && again->mtime_ns == st->mtime_ns && again->size == st->size)
      write_note(path, *st, *d);
  }
  return d;
}

Result<Digest> cached_file_digest(const std::string& cache_dir, const std::string& path) {
  auto st = stat_file(path);
  if (!st) return make_error("cannot stat " + path);
  if (cache_dir.empty()) return sha256_file(path);
  std::string entry = cache_dir + "/" + sha256(path).hex().substr(0, 32);
  auto id_line = [&](const FileStat& s) {
    return std::to_string(s.size) + " " + std::to_string(s.mtime_ns) + " " + std::to_string(s.ctime_ns) + " " +
           std::to_string(s.inode) + " ";
  };
  const std::string id = id_line(*st);
  if (auto text = read_file(entry); text && text->size() == id.size() + 64 + 1 + path.size() + 1 &&
                                    text->compare(0, id.size(), id) == 0 &&
                                    text->compare(id.size() + 65, path.size(), path) == 0 && text->back() == '\n')
    if (auto d = Digest::from_hex(std::string_view(*text).substr(id.size(), 64))) return *d;
  auto d = sha256_file(path);
  if (!d) return d;
  int64_t racy = wall_ns() - kRacyMarginNs;
  if (st->mtime_ns < racy && st->ctime_ns < racy)
    if (auto again = stat_file(path); again && id_line(*again) == id && make_dirs(cache_dir))
      (void)write_file_atomic(entry, id + d->hex() + " " + path + "\n");
  return d;
}

void remember_file_digest(const std::string& path, const Digest& digest) {
  auto st = stat_file(path);
  if (!st) return;
  write_note(path, *st, digest);
}

bool changed_only_by_note(const std::string& path, const FileStat& before, const FileStat& now) {
  if (before.size != now.size || before.mtime_ns != now.mtime_ns || before.inode != now.inode) return false;
  auto note = read_note(path);
  return note && note->noted_ns >= before.ctime_ns - kNoteWindowNs && note_matches(*note, now);
}

}  // namespace kiln
