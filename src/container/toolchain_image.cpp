// Making the toolchain image from the host's toolchain (see toolchain_image.h).
#include "container/toolchain_image.h"

#include <unistd.h>

#include "container/container_env.h"
#include "rustc/toolchain.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/text.h"

namespace kiln {
namespace {

std::string last_lines(const std::string& text, int n) {
  std::string t = trim_end(text);
  size_t pos = t.size();
  for (int i = 0; i < n && pos != std::string::npos && pos > 0; ++i) pos = t.rfind('\n', pos - 1);
  std::string tail = pos == std::string::npos ? t : t.substr(pos + 1);
  for (auto& c : tail)
    if (c == '\n') c = ' ';
  return tail;
}

// Copies the toolchain's directories into dest: hard links when on one file system, else copies.
Status copy_toolchain(const std::string& sysroot, const std::string& dest) {
  if (auto st = make_dirs(dest); !st) return st;
  for (const char* sub : {"bin", "lib", "libexec", "etc"}) {
    std::string src = path_join(sysroot, sub);
    if (!path_exists(src)) continue;
    auto r = run_process({"cp", "-al", src, dest + "/"});
    if (!r || r->exit_code != 0) {
      (void)remove_all(path_join(dest, sub));
      r = run_process({"cp", "-a", src, dest + "/"});
      if (!r) return r.error();
      if (r->exit_code != 0) return make_error("cannot copy " + src + ": " + trim_end(r->stderr_data));
    }
  }
  return {};
}

// The ID of `base` in `rt`'s image store. Errors: it is not there, with the ways to get one.
Result<std::string> existing_base_id(const ContainerRuntime& rt, const std::string& base) {
  std::string id = image_id(rt, base);
  if (id.empty())
    return make_error("no base image " + base + " in " + rt.name() +
                      "'s image store for the toolchain image: make one with `kiln image build-base` "
                      "(debootstrap, from Debian's archive), or set KILN_CONTAINER_BASE_IMAGE (or KILN_CONTAINER_IMAGE "
                      "for an image of your own)");
  return id;
}

}  // namespace

Result<HostToolchain> find_host_toolchain(const std::string& store_dir) {
  auto t = load_cargo_toolchain(store_dir);
  if (!t) return t.error();
  HostToolchain tc;
  tc.sysroot = t->sysroot;
  tc.version_verbose = t->version_verbose;
  tc.identity = t->identity();
  size_t p = tc.version_verbose.find("release: ");
  if (p != std::string::npos) tc.release = trim_end(tc.version_verbose.substr(p + 9, tc.version_verbose.find('\n', p) - p - 9));
  if (tc.release.empty()) tc.release = "unknown";
  return tc;
}

std::string toolchain_containerfile(const std::string& base, const HostToolchain& tc,
                                    const std::vector<std::string>& extra_apt) {
  std::string first_line = tc.version_verbose.substr(0, tc.version_verbose.find('\n'));
  std::string home = kContainerHome, cargo_home = kContainerCargoHome;
  std::string f;
  f += "# kiln's toolchain image (`kiln image build-toolchain`): " + first_line + " on " + base + ".\n";
  f += "FROM " + base + "\n";
  f += "RUN set -e; missing=''; \\\n"
       "  command -v cc >/dev/null || missing=\"$missing gcc libc6-dev\"; \\\n"
       "  command -v pkg-config >/dev/null || missing=\"$missing pkg-config\"; \\\n"
       "  command -v git >/dev/null || missing=\"$missing git\"; \\\n"
       "  command -v mold >/dev/null || missing=\"$missing mold\"; \\\n"
       "  command -v ld.lld >/dev/null || missing=\"$missing lld\"; \\\n"
       "  [ -e /etc/ssl/certs/ca-certificates.crt ] || missing=\"$missing ca-certificates\"; \\\n"
       "  ldconfig -p | grep -q 'libcurl.so.4 ' || missing=\"$missing libcurl4\"; \\\n";
  // image_apt: names checked by the config (Debian package-name characters only).
  for (const auto& p : extra_apt) f += "  dpkg -s " + p + " >/dev/null 2>&1 || missing=\"$missing " + p + "\"; \\\n";
  f +=
       "  if [ -n \"$missing\" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive \\\n"
       "    apt-get install -y --no-install-recommends $missing && rm -rf /var/lib/apt/lists/*; fi; \\\n"
       "  mkdir -p " + cargo_home + "/bin " + kContainerStore + " " + kContainerKilnBin + " " + home + "/.config; \\\n"
       "  chmod 1777 " + home + " " + cargo_home + " " + cargo_home + "/bin " + kContainerStore + " " + home + "/.config\n";
  f += "COPY toolchain/ " + std::string(kContainerToolchain) + "/\n";
  // RUSTC and RUSTDOC by path, as rustup's proxies give them on the host: cargo hands them to
  // build scripts, whose keys hold them (a bare "rustc" would be another value).
  std::string tool = kContainerToolchain;
  f += "ENV HOME=" + home + " CARGO_HOME=" + cargo_home + " PATH=" + container_path_value() + " LANG=C.UTF-8 RUSTC=" +
       tool + "/bin/rustc RUSTDOC=" + tool + "/bin/rustdoc\n";
  f += "LABEL dev.kiln.toolchain=\"" + tc.identity.hex() + "\" dev.kiln.rustc=\"" + first_line + "\"\n";
  f += "WORKDIR " + home + "\n";
  return f;
}

std::string toolchain_image_tag(const HostToolchain& tc, const std::string& base_id, const std::string& containerfile) {
  Sha256 h;
  h.field("kiln-toolchain-image-v1");
  h.field(tc.identity.hex());
  h.field(base_id);
  h.field(containerfile);
  return "kiln-toolchain:" + tc.release + "-" + h.finish().hex().substr(0, 12);
}

Result<std::string> build_toolchain_image(const ContainerRuntime& rt, const std::string& base, const HostToolchain& tc,
                                          const std::string& tag_in, const std::string& work_dir, bool verbose,
                                          const std::function<void(const std::string&)>& say,
                                          const std::vector<std::string>& extra_apt) {
  auto base_id = existing_base_id(rt, base);
  if (!base_id) return base_id.error();
  std::string containerfile = toolchain_containerfile(base, tc, extra_apt);
  std::string tag = tag_in.empty() ? toolchain_image_tag(tc, *base_id, containerfile) : tag_in;
  std::string ctx = path_join(work_dir, "image-context-" + std::to_string(::getpid()));
  (void)remove_all(ctx);
  if (auto st = make_dirs(ctx); !st) return st.error();
  struct Cleanup {
    std::string dir;
    ~Cleanup() { (void)remove_all(dir); }
  } cleanup{ctx};
  if (auto st = write_file_atomic(path_join(ctx, "Containerfile"), containerfile); !st) return st.error();
  say("building " + tag + " from " + base + " and " + tc.sysroot + " (once for this toolchain)");
  if (auto st = copy_toolchain(tc.sysroot, path_join(ctx, "toolchain")); !st) return st.error();
  std::vector<std::string> argv = rt.command({"build", "--network=host", "-f", path_join(ctx, "Containerfile"), "-t", tag, ctx});
  if (rt.kind == RuntimeKind::Docker) {
    // The docker CLI's BuildKit needs buildx in newer clients; the classic builder is enough
    // for this Containerfile and is in every client and daemon.
    ::setenv("DOCKER_BUILDKIT", "0", 1);
  }
  auto r = run_process(argv, verbose ? OutputSink([](int, std::string_view c) { write_all(2, c); }) : OutputSink());
  if (!r) return r.error();
  if (r->exit_code != 0)
    return make_error(rt.name() + " build of " + tag + " failed: " + last_lines(r->stderr_data + r->stdout_data, 3));
  return tag;
}

Result<std::string> default_toolchain_image(const ContainerRuntime& rt, const std::string& base,
                                            const std::string& store_dir, bool verbose,
                                            const std::function<void(const std::string&)>& say,
                                            const std::vector<std::string>& extra_apt) {
  auto tc = find_host_toolchain(store_dir);
  if (!tc) return tc.error();
  auto base_id = existing_base_id(rt, base);
  if (!base_id) return base_id.error();
  std::string tag = toolchain_image_tag(*tc, *base_id, toolchain_containerfile(base, *tc, extra_apt));
  if (image_exists(rt, tag)) return tag;
  return build_toolchain_image(rt, base, *tc, tag, store_dir, verbose, say, extra_apt);
}

}  // namespace kiln
