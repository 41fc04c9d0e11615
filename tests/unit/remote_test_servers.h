// Real servers for the remote store tests, started on 127.0.0.1 at a free port and stopped by
// the destructor: nginx with WebDAV (a Bazel HTTP cache), redis-server, and a "silent" socket
// that accepts connections and never answers (for timeouts). A test skips itself when the
// server binary is missing (scripts/install-deps.sh installs nginx-extras and redis-server).
// Header-only: tests/unit globs *_test.cpp.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "util/fs.h"

namespace kiln::remote_test {

/// A fresh directory under /tmp.
inline std::string temp_dir(const char* tag) {
  std::string t = std::string("/tmp/kiln-") + tag + "-XXXXXX";
  return ::mkdtemp(t.data());
}

/// A TCP port that was free a moment ago (bind to port 0, read it back, close).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// True once something accepts TCP connections on 127.0.0.1:port.
inline bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

/// A child process (stdout/stderr to `log`), terminated and reaped by the destructor.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { stop(); }

  bool start(const std::vector<std::string>& argv, const std::string& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    return pid_ > 0;
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
  }
  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
};

/// Waits (up to ~10 s) for the port to accept connections while the child runs.
inline bool wait_for_port(const Child& c, int port) {
  for (int i = 0; i < 200; ++i) {
    if (port_open(port)) return true;
    if (!c.running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

/// nginx serving `root()` with WebDAV PUT at "/", basic auth (user kiln, password secret) under
/// "/auth/", and `return 500` under "/fail500/".
struct Nginx {
  std::string dir = temp_dir("nginx");
  int port = 0;
  Child child;

  static bool available() { return find_in_path("nginx").has_value() || path_exists("/usr/sbin/nginx"); }
  std::string root() const { return dir + "/data"; }
  std::string url(const std::string& path = "") const { return "http://127.0.0.1:" + std::to_string(port) + path; }

  bool start() {
    port = free_port();
    (void)make_dirs(root() + "/auth");
    (void)write_file_atomic(dir + "/htpasswd", "kiln:{PLAIN}secret\n");
    std::string d = dir;
    std::string conf = "daemon off;\nmaster_process off;\nworker_processes 1;\npid " + d + "/nginx.pid;\nerror_log " + d +
                       "/error.log;\nevents { worker_connections 64; }\nhttp {\n  access_log " + d +
                       "/access.log;\n  client_body_temp_path " + d + "/body;\n  proxy_temp_path " + d +
                       "/proxy;\n  fastcgi_temp_path " + d + "/fastcgi;\n  uwsgi_temp_path " + d +
                       "/uwsgi;\n  scgi_temp_path " + d + "/scgi;\n  client_max_body_size 0;\n  server {\n    listen 127.0.0.1:" +
                       std::to_string(port) + ";\n    root " + root() +
                       ";\n    location / { dav_methods PUT DELETE; create_full_put_path on; }\n"
                       "    location /auth/ { auth_basic kiln; auth_basic_user_file " + d +
                       "/htpasswd; dav_methods PUT DELETE; create_full_put_path on; }\n"
                       "    location /fail500/ { return 500; }\n  }\n}\n";
    (void)write_file_atomic(dir + "/nginx.conf", conf);
    std::string bin = find_in_path("nginx").value_or("/usr/sbin/nginx");
    if (!child.start({bin, "-e", d + "/error.log", "-p", d, "-c", d + "/nginx.conf"}, d + "/stderr.log")) return false;
    return wait_for_port(child, port);
  }
  ~Nginx() {
    child.stop();
    (void)remove_all(dir);
  }
};

/// redis-server without persistence; `extra` adds arguments (e.g. {"--requirepass", "pw"}).
struct Redis {
  std::string dir = temp_dir("redis");
  int port = 0;
  Child child;

  static bool available() { return find_in_path("redis-server").has_value(); }
  std::string url(const std::string& rest = "") const { return "redis://127.0.0.1:" + std::to_string(port) + rest; }

  bool start(const std::vector<std::string>& extra = {}) {
    port = free_port();
    std::vector<std::string> argv = {"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (!child.start(argv, dir + "/redis.log")) return false;
    return wait_for_port(child, port);
  }
  ~Redis() {
    child.stop();
    (void)remove_all(dir);
  }
};

/// A listening socket on 127.0.0.1 that never accepts nor answers: connections complete in
/// the kernel's backlog and every request waits until the client's timeout.
struct SilentServer {
  int fd = -1;
  int port = 0;
  SilentServer() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 64);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~SilentServer() { ::close(fd); }
};

}  // namespace kiln::remote_test
