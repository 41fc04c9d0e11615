/* kiln's input tracer: an LD_PRELOAD library loaded into rustc (or clippy-driver) on a miss,
 * and, through the inherited environment, into every program it starts — the C compiler
 * driver, collect2, the linker. It appends one line per observation to the file named by
 * KILN_TRACE_FILE, so that kiln learns what the compilation really read, beyond dep-info:
 * transitive rlibs found through `-L dependency=`, native libraries the linker searched,
 * linker scripts and response files, files and variables a proc-macro read at expansion time,
 * config files a tool looked for (clippy.toml).
 *
 * Records (tab-separated, one per line; paths absolute as the process named them, not
 * normalized: kiln keeps "dir/../x" relative to the directory it was reached from):
 *   P  pid  exe                  this process loaded the tracer (one per exec'd image)
 *   R  path  size mtime ctime ino  a file opened for reading, its identity at that moment
 *   W  path                      a file opened for writing (an output or a temp file)
 *   A  path                      a look-up that found nothing (ENOENT/ENOTDIR): must stay absent
 *   X  path                      a program about to be executed (after PATH search)
 *   F  path                      that exec failed
 *   E  name  T|P                 an environment variable read; P when the caller is code
 *                                loaded from KILN_TRACE_PLUGINS (proc-macros in the target dir)
 *
 * Interposed (glibc, x86_64 and aarch64): open/openat and their 64/_2 variants, creat, fopen,
 * freopen, stat/lstat/fstatat/statx and the old __xstat ABI (rustc is built against an old
 * glibc), access/faccessat/euidaccess, realpath, dlopen, execve/execv/execvp/execvpe,
 * posix_spawn/posix_spawnp, getenv/secure_getenv. What it cannot see is listed in
 * docs/cache-key.md ("What kiln cannot see"): statically linked programs (kiln detects them:
 * an exec'd image that did not report a P line), raw syscalls, files opened by the dynamic
 * loader, directory listings, the environment read through `environ`.
 *
 * No allocation, no stdio, no locks on the hot path: each record is formatted into a stack
 * buffer and written with one write(2) to an O_APPEND descriptor, so concurrent threads and
 * processes never interleave within a line. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

extern char** environ;

#define EXPORT __attribute__((visibility("default")))
#define LINE_MAX_BYTES (3 * PATH_MAX)

static atomic_int g_fd = -1;       /* the trace file, -2 when it cannot be opened */
static char g_plugins[PATH_MAX];  /* KILN_TRACE_PLUGINS: dir prefix of plugin code */
static size_t g_plugins_len;

static const char* raw_env(const char* name) {
  size_t n = strlen(name);
  for (char** e = environ; e && *e; ++e)
    if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
  return NULL;
}

static int trace_fd(void) {
  int fd = atomic_load(&g_fd);
  if (fd != -1) return fd;
  const char* path = raw_env("KILN_TRACE_FILE");
  int nfd = -2;
  if (path && *path) {
    nfd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (nfd < 0) nfd = -2;
  }
  const char* plugins = raw_env("KILN_TRACE_PLUGINS");
  if (plugins && strlen(plugins) < sizeof g_plugins) {
    strcpy(g_plugins, plugins);
    g_plugins_len = strlen(g_plugins);
  }
  int expected = -1;
  if (!atomic_compare_exchange_strong(&g_fd, &expected, nfd)) {
    if (nfd >= 0) syscall(SYS_close, nfd);
    return expected;
  }
  return nfd;
}

/* Appends s to buf at *pos, replacing tabs and newlines (they would break the record). */
static void put(char* buf, size_t* pos, const char* s) {
  while (*s && *pos < LINE_MAX_BYTES - 2) {
    char c = *s++;
    buf[(*pos)++] = (c == '\t' || c == '\n') ? ' ' : c;
  }
}

static void put_u64(char* buf, size_t* pos, unsigned long long v) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n && *pos < LINE_MAX_BYTES - 2) buf[(*pos)++] = tmp[--n];
}

static void emit(char* buf, size_t pos) {
  int fd = trace_fd();
  if (fd < 0) return;
  buf[pos++] = '\n';
  int saved = errno;
  syscall(SYS_write, fd, buf, pos);
  errno = saved;
}

/* The absolute form of `path` as seen from `dirfd` (AT_FDCWD or an open directory). */
static void put_path(char* buf, size_t* pos, int dirfd, const char* path) {
  if (path[0] != '/') {
    char dir[PATH_MAX];
    int saved = errno;
    if (dirfd == AT_FDCWD) {
      if (!getcwd(dir, sizeof dir)) dir[0] = 0;
    } else {
      char link[64];
      size_t lp = 0;
      put(link, &lp, "/proc/self/fd/");
      put_u64(link, &lp, (unsigned long long)dirfd);
      link[lp] = 0;
      ssize_t n = readlink(link, dir, sizeof dir - 1);
      dir[n > 0 ? n : 0] = 0;
    }
    errno = saved;
    put(buf, pos, dir);
    put(buf, pos, "/");
  }
  put(buf, pos, path);
}

static void record_path(char kind, int dirfd, const char* path) {
  if (!path || !*path) return;
  char buf[LINE_MAX_BYTES];
  size_t pos = 0;
  buf[pos++] = kind;
  buf[pos++] = '\t';
  put_path(buf, &pos, dirfd, path);
  emit(buf, pos);
}

/* A read, with the identity of the file opened (fd), so that kiln can tell later whether it
 * changed while the compilation ran. Directories are not recorded. */
static void record_read(int dirfd, const char* path, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) return;
  char buf[LINE_MAX_BYTES];
  size_t pos = 0;
  buf[pos++] = 'R';
  buf[pos++] = '\t';
  put_path(buf, &pos, dirfd, path);
  buf[pos++] = '\t';
  put_u64(buf, &pos, (unsigned long long)st.st_size);
  buf[pos++] = ' ';
  put_u64(buf, &pos, (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + (unsigned long long)st.st_mtim.tv_nsec);
  buf[pos++] = ' ';
  put_u64(buf, &pos, (unsigned long long)st.st_ctim.tv_sec * 1000000000ull + (unsigned long long)st.st_ctim.tv_nsec);
  buf[pos++] = ' ';
  put_u64(buf, &pos, (unsigned long long)st.st_ino);
  emit(buf, pos);
}

static int is_write(int flags) { return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)); }

static void after_open(int dirfd, const char* path, int flags, int fd) {
  if (fd >= 0) {
    if (is_write(flags)) record_path('W', dirfd, path);
    else record_read(dirfd, path, fd);
  } else if (errno == ENOENT || errno == ENOTDIR) {
    if (!(flags & O_CREAT)) record_path('A', dirfd, path);
  }
}

static void after_probe(int dirfd, const char* path, int rc) {
  if (rc != 0 && (errno == ENOENT || errno == ENOTDIR)) record_path('A', dirfd, path);
}

#define REAL(name, ret, ...)                                    \
  static ret (*real_##name)(__VA_ARGS__);                       \
  if (!real_##name) real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

/* The pre-2.33 stat ABI exists only as compat symbols, which dlsym may not find by name. */
#if defined(__x86_64__)
#define OLD_GLIBC "GLIBC_2.2.5"
#else
#define OLD_GLIBC "GLIBC_2.17"
#endif
#define REAL_OLD(name, ret, ...)                                                       \
  static ret (*real_##name)(__VA_ARGS__);                                              \
  if (!real_##name) real_##name = (ret(*)(__VA_ARGS__))dlvsym(RTLD_NEXT, #name, OLD_GLIBC); \
  if (!real_##name) real_##name = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

static mode_t mode_arg(int flags, va_list ap) {
  return (flags & (O_CREAT | __O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

/* ---- open family ---- */

EXPORT int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  REAL(open, int, const char*, int, ...);
  int fd = real_open(path, flags, mode);
  after_open(AT_FDCWD, path, flags, fd);
  return fd;
}

EXPORT int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  REAL(open64, int, const char*, int, ...);
  int fd = real_open64(path, flags, mode);
  after_open(AT_FDCWD, path, flags, fd);
  return fd;
}

EXPORT int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  REAL(openat, int, int, const char*, int, ...);
  int fd = real_openat(dirfd, path, flags, mode);
  after_open(dirfd, path, flags, fd);
  return fd;
}

EXPORT int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  REAL(openat64, int, int, const char*, int, ...);
  int fd = real_openat64(dirfd, path, flags, mode);
  after_open(dirfd, path, flags, fd);
  return fd;
}

EXPORT int __open_2(const char* path, int flags) {
  REAL(__open_2, int, const char*, int);
  int fd = real___open_2(path, flags);
  after_open(AT_FDCWD, path, flags, fd);
  return fd;
}

EXPORT int __open64_2(const char* path, int flags) {
  REAL(__open64_2, int, const char*, int);
  int fd = real___open64_2(path, flags);
  after_open(AT_FDCWD, path, flags, fd);
  return fd;
}

EXPORT int __openat_2(int dirfd, const char* path, int flags) {
  REAL(__openat_2, int, int, const char*, int);
  int fd = real___openat_2(dirfd, path, flags);
  after_open(dirfd, path, flags, fd);
  return fd;
}

EXPORT int __openat64_2(int dirfd, const char* path, int flags) {
  REAL(__openat64_2, int, int, const char*, int);
  int fd = real___openat64_2(dirfd, path, flags);
  after_open(dirfd, path, flags, fd);
  return fd;
}

EXPORT int creat(const char* path, mode_t mode) {
  REAL(creat, int, const char*, mode_t);
  int fd = real_creat(path, mode);
  if (fd >= 0) record_path('W', AT_FDCWD, path);
  return fd;
}

EXPORT int creat64(const char* path, mode_t mode) {
  REAL(creat64, int, const char*, mode_t);
  int fd = real_creat64(path, mode);
  if (fd >= 0) record_path('W', AT_FDCWD, path);
  return fd;
}

static int fopen_flags(const char* mode) {
  if (!mode) return O_RDONLY;
  if (mode[0] == 'r') return strchr(mode, '+') ? O_RDWR : O_RDONLY;
  return O_WRONLY | O_CREAT;
}

static void after_fopen(const char* path, const char* mode, FILE* f) {
  int flags = fopen_flags(mode);
  if (f) after_open(AT_FDCWD, path, flags, fileno(f));
  else after_open(AT_FDCWD, path, flags, -1);
}

EXPORT FILE* fopen(const char* path, const char* mode) {
  REAL(fopen, FILE*, const char*, const char*);
  FILE* f = real_fopen(path, mode);
  after_fopen(path, mode, f);
  return f;
}

EXPORT FILE* fopen64(const char* path, const char* mode) {
  REAL(fopen64, FILE*, const char*, const char*);
  FILE* f = real_fopen64(path, mode);
  after_fopen(path, mode, f);
  return f;
}

EXPORT FILE* freopen(const char* path, const char* mode, FILE* stream) {
  REAL(freopen, FILE*, const char*, const char*, FILE*);
  FILE* f = real_freopen(path, mode, stream);
  if (path) after_fopen(path, mode, f);
  return f;
}

EXPORT FILE* freopen64(const char* path, const char* mode, FILE* stream) {
  REAL(freopen64, FILE*, const char*, const char*, FILE*);
  FILE* f = real_freopen64(path, mode, stream);
  if (path) after_fopen(path, mode, f);
  return f;
}

/* ---- existence probes: only failures are recorded (a file that exists and matters is read) ---- */

EXPORT int stat(const char* path, struct stat* st) {
  REAL(stat, int, const char*, struct stat*);
  int rc = real_stat(path, st);
  after_probe(AT_FDCWD, path, rc);
  return rc;
}

EXPORT int lstat(const char* path, struct stat* st) {
  REAL(lstat, int, const char*, struct stat*);
  int rc = real_lstat(path, st);
  after_probe(AT_FDCWD, path, rc);
  return rc;
}

EXPORT int stat64(const char* path, struct stat64* st) {
  REAL(stat64, int, const char*, struct stat64*);
  int rc = real_stat64(path, st);
  after_probe(AT_FDCWD, path, rc);
  return rc;
}

EXPORT int lstat64(const char* path, struct stat64* st) {
  REAL(lstat64, int, const char*, struct stat64*);
  int rc = real_lstat64(path, st);
  after_probe(AT_FDCWD, path, rc);
  return rc;
}

EXPORT int fstatat(int dirfd, const char* path, struct stat* st, int flags) {
  REAL(fstatat, int, int, const char*, struct stat*, int);
  int rc = real_fstatat(dirfd, path, st, flags);
  after_probe(dirfd, path, rc);
  return rc;
}

EXPORT int fstatat64(int dirfd, const char* path, struct stat64* st, int flags) {
  REAL(fstatat64, int, int, const char*, struct stat64*, int);
  int rc = real_fstatat64(dirfd, path, st, flags);
  after_probe(dirfd, path, rc);
  return rc;
}

/* glibc < 2.33 programs (rustc, built against an old glibc) call these. */
EXPORT int __xstat(int ver, const char* path, struct stat* st) {
  REAL_OLD(__xstat, int, int, const char*, struct stat*);
  int rc = real___xstat(ver, path, st);
  after_probe(AT_FDCWD, path, rc);
  return rc;
}

EXPORT int __xstat64(int ver, const char* path, struct stat64* st) {
  REAL_OLD(__xstat64, int, int, const char*, struct stat64*);
  int rc = real___xstat64(ver, path, st);
  after_probe(AT_FDCWD, path, rc);
  return rc;
}

EXPORT int __lxstat(int ver, const char* path, struct stat* st) {
  REAL_OLD(__lxstat, int, int, const char*, struct stat*);
  int rc = real___lxstat(ver, path, st);
  after_probe(AT_FDCWD, path, rc);
  return rc;
}

EXPORT int __lxstat64(int ver, const char* path, struct stat64* st) {
  REAL_OLD(__lxstat64, int, int, const char*, struct stat64*);
  int rc = real___lxstat64(ver, path, st);
  after_probe(AT_FDCWD, path, rc);
  return rc;
}

EXPORT int __fxstatat(int ver, int dirfd, const char* path, struct stat* st, int flags) {
  REAL_OLD(__fxstatat, int, int, int, const char*, struct stat*, int);
  int rc = real___fxstatat(ver, dirfd, path, st, flags);
  after_probe(dirfd, path, rc);
  return rc;
}

EXPORT int __fxstatat64(int ver, int dirfd, const char* path, struct stat64* st, int flags) {
  REAL_OLD(__fxstatat64, int, int, int, const char*, struct stat64*, int);
  int rc = real___fxstatat64(ver, dirfd, path, st, flags);
  after_probe(dirfd, path, rc);
  return rc;
}

EXPORT int statx(int dirfd, const char* path, int flags, unsigned int mask, struct statx* st) {
  REAL(statx, int, int, const char*, int, unsigned int, struct statx*);
  int rc = real_statx ? real_statx(dirfd, path, flags, mask, st) : (errno = ENOSYS, -1);
  if (!(flags & AT_EMPTY_PATH) || (path && *path)) after_probe(dirfd, path, rc);
  return rc;
}

EXPORT int access(const char* path, int mode) {
  REAL(access, int, const char*, int);
  int rc = real_access(path, mode);
  after_probe(AT_FDCWD, path, rc);
  return rc;
}

EXPORT int faccessat(int dirfd, const char* path, int mode, int flags) {
  REAL(faccessat, int, int, const char*, int, int);
  int rc = real_faccessat(dirfd, path, mode, flags);
  after_probe(dirfd, path, rc);
  return rc;
}

EXPORT int euidaccess(const char* path, int mode) {
  REAL(euidaccess, int, const char*, int);
  int rc = real_euidaccess(path, mode);
  after_probe(AT_FDCWD, path, rc);
  return rc;
}

EXPORT int eaccess(const char* path, int mode) {
  REAL(eaccess, int, const char*, int);
  int rc = real_eaccess(path, mode);
  after_probe(AT_FDCWD, path, rc);
  return rc;
}

EXPORT char* realpath(const char* path, char* resolved) {
  REAL(realpath, char*, const char*, char*);
  char* r = real_realpath(path, resolved);
  if (!r && path) after_probe(AT_FDCWD, path, -1);
  return r;
}

EXPORT void* dlopen(const char* path, int flags) {
  REAL(dlopen, void*, const char*, int);
  void* h = real_dlopen(path, flags);
  if (h && path && strchr(path, '/')) {
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      record_read(AT_FDCWD, path, fd);
      syscall(SYS_close, fd);
    }
  }
  return h;
}

/* ---- programs started ---- */

/* Records the program `file` resolves to through PATH (as execvp does), and the look-ups
 * that found nothing before it. */
static void record_exec_search(const char* file) {
  if (!file || !*file) return;
  if (strchr(file, '/')) {
    record_path('X', AT_FDCWD, file);
    return;
  }
  const char* path = raw_env("PATH");
  if (!path) path = "/bin:/usr/bin";
  char cand[PATH_MAX];
  const char* p = path;
  while (1) {
    const char* end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n + strlen(file) + 2 < sizeof cand) {
      if (n == 0) {
        strcpy(cand, file);
      } else {
        memcpy(cand, p, n);
        cand[n] = '/';
        strcpy(cand + n + 1, file);
      }
      if (syscall(SYS_faccessat, AT_FDCWD, cand, X_OK, 0) == 0) {
        record_path('X', AT_FDCWD, cand);
        return;
      }
      record_path('A', AT_FDCWD, cand);
    }
    if (!end) break;
    p = end + 1;
  }
}

/* True when `envp` still carries the tracer (a child started with a cleared environment
 * would run untraced: kiln then sees an X line without the child's P line). */
static void check_env(char* const envp[]) {
  if (envp == environ) return;
  int preload = 0, file = 0;
  for (char* const* e = envp; e && *e; ++e) {
    if (strncmp(*e, "LD_PRELOAD=", 11) == 0 && strstr(*e, "kiln_trace")) preload = 1;
    if (strncmp(*e, "KILN_TRACE_FILE=", 16) == 0) file = 1;
  }
  if (!preload || !file) record_path('F', AT_FDCWD, "(environment without the tracer)");
}

EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
  REAL(execve, int, const char*, char* const[], char* const[]);
  record_path('X', AT_FDCWD, path);
  check_env(envp);
  int rc = real_execve(path, argv, envp);
  record_path('F', AT_FDCWD, path);
  return rc;
}

EXPORT int execv(const char* path, char* const argv[]) {
  REAL(execv, int, const char*, char* const[]);
  record_path('X', AT_FDCWD, path);
  int rc = real_execv(path, argv);
  record_path('F', AT_FDCWD, path);
  return rc;
}

EXPORT int execvp(const char* file, char* const argv[]) {
  REAL(execvp, int, const char*, char* const[]);
  record_exec_search(file);
  int rc = real_execvp(file, argv);
  record_path('F', AT_FDCWD, file);
  return rc;
}

EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  REAL(execvpe, int, const char*, char* const[], char* const[]);
  record_exec_search(file);
  check_env(envp);
  int rc = real_execvpe(file, argv, envp);
  record_path('F', AT_FDCWD, file);
  return rc;
}

EXPORT int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* fa,
                       const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  REAL(posix_spawn, int, pid_t*, const char*, const posix_spawn_file_actions_t*, const posix_spawnattr_t*,
       char* const[], char* const[]);
  record_path('X', AT_FDCWD, path);
  check_env(envp);
  int rc = real_posix_spawn(pid, path, fa, attr, argv, envp);
  if (rc != 0) record_path('F', AT_FDCWD, path);
  return rc;
}

EXPORT int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* fa,
                        const posix_spawnattr_t* attr, char* const argv[], char* const envp[]) {
  REAL(posix_spawnp, int, pid_t*, const char*, const posix_spawn_file_actions_t*, const posix_spawnattr_t*,
       char* const[], char* const[]);
  record_exec_search(file);
  check_env(envp);
  int rc = real_posix_spawnp(pid, file, fa, attr, argv, envp);
  if (rc != 0) record_path('F', AT_FDCWD, file);
  return rc;
}

/* ---- environment ---- */

/* Names already recorded by this process, by hash (a miss only means a duplicate line). */
#define SEEN_SLOTS 1024
static atomic_ulong g_seen[SEEN_SLOTS];

static void record_env(const char* name, void* caller) {
  int plugin = 0;
  if (g_plugins_len || trace_fd() >= 0) {
    Dl_info info;
    if (g_plugins_len && dladdr(caller, &info) && info.dli_fname &&
        strncmp(info.dli_fname, g_plugins, g_plugins_len) == 0)
      plugin = 1;
  }
  unsigned long h = 1469598103934665603ul;
  for (const char* c = name; *c; ++c) h = (h ^ (unsigned char)*c) * 1099511628211ul;
  h = (h << 1) | (unsigned long)plugin;
  if (h == 0) h = 1;
  atomic_ulong* slot = &g_seen[h % SEEN_SLOTS];
  if (atomic_load(slot) == h) return;
  atomic_store(slot, h);
  char buf[LINE_MAX_BYTES];
  size_t pos = 0;
  buf[pos++] = 'E';
  buf[pos++] = '\t';
  put(buf, &pos, name);
  buf[pos++] = '\t';
  buf[pos++] = plugin ? 'P' : 'T';
  emit(buf, pos);
}

/* getenv is a scan of `environ` (glibc's own is no more); done here so that no dlsym runs
 * inside it (dlsym itself may call getenv). */
EXPORT char* getenv(const char* name) {
  if (!name) return NULL;
  record_env(name, __builtin_return_address(0));
  return (char*)raw_env(name);
}

EXPORT char* secure_getenv(const char* name) {
  if (!name) return NULL;
  record_env(name, __builtin_return_address(0));
  return (char*)raw_env(name);
}

__attribute__((constructor)) static void kiln_trace_init(void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  exe[n > 0 ? n : 0] = 0;
  char buf[LINE_MAX_BYTES];
  size_t pos = 0;
  buf[pos++] = 'P';
  buf[pos++] = '\t';
  put_u64(buf, &pos, (unsigned long long)getpid());
  buf[pos++] = '\t';
  put(buf, &pos, exe);
  emit(buf, pos);
}
