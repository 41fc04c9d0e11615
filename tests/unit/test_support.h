// Helpers shared by kiln's unit tests: the recorded fixtures under tests/data (real cargo
// command lines logged with `printf '%q '`, real dep-info files), scratch directories,
// scoped environment variables and file mtimes. Header-only: tests/unit globs *_test.cpp.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/fs.h"

extern char** environ;

namespace kiln::testing {

/// Absolute path of a file under tests/data.
inline std::string data_path(const std::string& rel) { return std::string(KILN_TEST_DATA) + "/" + rel; }

/// Contents of a file under tests/data (fails the test when missing).
inline std::string read_data(const std::string& rel) {
  auto text = kiln::read_file(data_path(rel));
  EXPECT_TRUE(text.ok()) << "missing fixture " << rel;
  return text.ok() ? *text : std::string();
}

/// Splits one line of bash `printf '%q '` output back into words: backslash escapes,
/// '…' quoting, $'…' quoting with C escapes (what %q emits for control characters).
inline std::vector<std::string> shell_words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  size_t i = 0;
  auto flush = [&] {
    if (in_word) out.push_back(cur);
    cur.clear();
    in_word = false;
  };
  while (i < s.size()) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      flush();
      ++i;
    } else if (c == '\\' && i + 1 < s.size()) {
      cur += s[i + 1];
      in_word = true;
      i += 2;
    } else if (c == '\'') {
      size_t j = s.find('\'', i + 1);
      if (j == std::string_view::npos) j = s.size();
      cur.append(s.substr(i + 1, j - i - 1));
      in_word = true;
      i = j + 1;
    } else if (c == '$' && i + 1 < s.size() && s[i + 1] == '\'') {
      i += 2;
      in_word = true;
      while (i < s.size() && s[i] != '\'') {
        if (s[i] == '\\' && i + 1 < s.size()) {
          char e = s[i + 1];
          i += 2;
          switch (e) {
            case 'n': cur += '\n'; break;
            case 't': cur += '\t'; break;
            case 'r': cur += '\r'; break;
            case 'e': case 'E': cur += '\x1b'; break;
            case 'x': {
              int v = 0, n = 0;
              while (n < 2 && i < s.size() && std::isxdigit(static_cast<unsigned char>(s[i]))) {
                v = v * 16 + (std::isdigit(static_cast<unsigned char>(s[i])) ? s[i] - '0' : (std::tolower(s[i]) - 'a' + 10));
                ++i, ++n;
              }
              cur += static_cast<char>(v);
              break;
            }
            default:
              if (e >= '0' && e <= '7') {
                int v = e - '0', n = 1;
                while (n < 3 && i < s.size() && s[i] >= '0' && s[i] <= '7') v = v * 8 + (s[i++] - '0'), ++n;
                cur += static_cast<char>(v);
              } else {
                cur += e;  // \\ \' \"
              }
          }
        } else {
          cur += s[i++];
        }
      }
      ++i;  // closing quote
    } else {
      cur += c;
      in_word = true;
      ++i;
    }
  }
  flush();
  return out;
}

/// A rustc command line as cargo handed it to the RUSTC_WRAPPER, recorded in
/// tests/data/argv/NAME.argv: the cwd, then the wrapper's argv (rustc or a workspace
/// wrapper such as clippy-driver first).
struct RecordedCommand {
  std::string cwd;
  std::vector<std::string> command;  // [workspace wrapper] rustc args…
};

/// Loads tests/data/argv/NAME.argv.
inline RecordedCommand recorded(const std::string& name) {
  auto words = shell_words(read_data("argv/" + name + ".argv"));
  RecordedCommand r;
  EXPECT_GE(words.size(), 2u) << name;
  if (words.size() < 2) return r;
  r.cwd = words[0];
  r.command.assign(words.begin() + 1, words.end());
  return r;
}

/// Replaces every occurrence of `from` with `to` in each string.
inline std::vector<std::string> replace_in(std::vector<std::string> v, const std::string& from, const std::string& to) {
  for (auto& s : v) {
    size_t pos = 0;
    while ((pos = s.find(from, pos)) != std::string::npos) {
      s.replace(pos, from.size(), to);
      pos += to.size();
    }
  }
  return v;
}

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/kiln-unit-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data())) path_ = buf.data();
    EXPECT_FALSE(path_.empty()) << "mkdtemp failed";
  }
  ~TempDir() {
    if (!path_.empty()) (void)kiln::remove_all(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  /// Absolute path of `rel` under the directory.
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

  /// Writes a file (parents created), returning its absolute path.
  std::string write(const std::string& rel, std::string_view content) const {
    std::string p = *this / rel;
    EXPECT_TRUE(kiln::make_dirs(kiln::dir_name(p)).ok());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    EXPECT_TRUE(f.good()) << "cannot write " << p;
    return p;
  }

 private:
  std::string path_;
};

/// Sets a file's mtime (and atime) to `unix_seconds` + `ns` nanoseconds.
inline void set_mtime(const std::string& path, int64_t unix_seconds, long ns = 0) {
  struct timespec ts[2];
  ts[0].tv_sec = ts[1].tv_sec = static_cast<time_t>(unix_seconds);
  ts[0].tv_nsec = ts[1].tv_nsec = ns;
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), ts, 0), 0) << path;
}

/// Restores the whole process environment at scope exit; set()/unset() change it meanwhile.
class ScopedEnv {
 public:
  ScopedEnv() {
    for (char** e = environ; *e; ++e) {
      const char* eq = std::strchr(*e, '=');
      if (eq) saved_[std::string(*e, static_cast<size_t>(eq - *e))] = eq + 1;
    }
  }
  ~ScopedEnv() {
    std::vector<std::string> now;
    for (char** e = environ; *e; ++e) {
      const char* eq = std::strchr(*e, '=');
      if (eq) now.emplace_back(*e, static_cast<size_t>(eq - *e));
    }
    for (const auto& n : now)
      if (!saved_.count(n)) ::unsetenv(n.c_str());
    for (const auto& [n, v] : saved_) ::setenv(n.c_str(), v.c_str(), 1);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

  void set(const std::string& name, const std::string& value) { ::setenv(name.c_str(), value.c_str(), 1); }
  void unset(const std::string& name) { ::unsetenv(name.c_str()); }
  /// Unsets every variable whose name starts with `prefix`.
  void unset_prefix(const std::string& prefix) {
    std::vector<std::string> names;
    for (char** e = environ; *e; ++e)
      if (std::strncmp(*e, prefix.c_str(), prefix.size()) == 0) {
        const char* eq = std::strchr(*e, '=');
        if (eq) names.emplace_back(*e, static_cast<size_t>(eq - *e));
      }
    for (const auto& n : names) ::unsetenv(n.c_str());
  }

 private:
  std::map<std::string, std::string> saved_;
};

}  // namespace kiln::testing
