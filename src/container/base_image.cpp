// debootstrap → tar → import (see base_image.h).
#include "container/base_image.h"

#include <unistd.h>

#include "util/fs.h"
#include "util/process.h"
#include "util/text.h"

namespace kiln {

const char* base_image_packages() { return "gcc,libc6-dev,pkg-config,ca-certificates,git,mold,lld,libcurl4"; }

Status build_base_image(const ContainerRuntime& rt, const BaseImageRequest& req,
                        const std::function<void(const std::string&)>& say) {
  std::string tar = req.rootfs_tar;
  bool temporary = tar.empty();
  std::string work = req.work_dir.empty() ? "/var/tmp" : req.work_dir;
  if (temporary) tar = path_join(work, "kiln-base-" + std::to_string(::getpid()) + ".tar");
  if (!path_exists(tar)) {
    if (::geteuid() != 0) return make_error("making a base image needs root (debootstrap); run `sudo kiln image build-base`");
    if (!find_in_path("debootstrap")) return make_error("debootstrap is not installed: apt-get install debootstrap");
    std::string root = path_join(work, "kiln-rootfs-" + std::to_string(::getpid()));
    (void)remove_all(root);
    if (auto st = make_dirs(dir_name(tar)); !st) return st;
    say("debootstrap --variant=minbase " + req.suite + " from " + req.mirror + " (about a minute)");
    auto r = run_process({"debootstrap", "--variant=minbase", std::string("--include=") + base_image_packages(),
                          req.suite, root, req.mirror});
    if (!r || r->exit_code != 0) {
      (void)remove_all(root);
      return make_error("debootstrap failed: " + (r ? last_line(r->stderr_data + r->stdout_data) : r.error().message));
    }
    (void)remove_all(root + "/var/cache/apt/archives");
    (void)make_dirs(root + "/var/cache/apt/archives/partial");
    std::string part = tar + ".part";
    auto t = run_process({"tar", "--numeric-owner", "--xattrs", "-C", root, "-cf", part, "."});
    (void)remove_all(root);
    if (!t || t->exit_code != 0) {
      ::unlink(part.c_str());
      return make_error("cannot pack the root file system: " + (t ? last_line(t->stderr_data) : t.error().message));
    }
    if (::rename(part.c_str(), tar.c_str()) != 0) return make_error("cannot write " + tar);
  } else {
    say("using the root file system in " + tar);
  }
  say(rt.name() + " import " + tar + " " + req.tag);
  auto r = run_process(rt.command({"import", "--change", "CMD [\"/bin/bash\"]", tar, req.tag}));
  if (temporary) ::unlink(tar.c_str());
  if (!r) return r.error();
  if (r->exit_code != 0) return make_error(rt.name() + " import failed: " + last_line(r->stderr_data));
  return {};
}

}  // namespace kiln
