// Loading a base image through skopeo into a cached OCI layout (see base_layers.h).
#include "package/base_layers.h"

#include "container/runtime.h"
#include "util/digest.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/text.h"

namespace kiln {
namespace {

bool has_transport(const std::string& ref) {
  for (const char* t : {"containers-storage:", "docker-daemon:", "oci:", "oci-archive:", "docker-archive:", "dir:"})
    if (ref.rfind(t, 0) == 0) return true;
  return false;
}

// The skopeo source for `ref` and the identity of its content.
Result<std::pair<std::string, std::string>> resolve(const std::string& ref, const Config& cfg) {
  if (has_transport(ref)) {
    std::string rest = ref.substr(ref.find(':') + 1);
    std::string file = rest.substr(0, rest.find(':'));
    bool is_file = ref.rfind("oci", 0) == 0 || ref.rfind("docker-archive:", 0) == 0 || ref.rfind("dir:", 0) == 0;
    if (is_file) {
      auto st = stat_file(file);
      if (!st) return make_error("base image " + ref + ": " + file + " does not exist");
      return std::pair{ref, "file:" + normalize_path(absolute_path(file, current_dir())) + ":" + std::to_string(st->size) +
                                ":" + std::to_string(st->mtime_ns) + ":" + rest};
    }
    std::string name = rest;
    ContainerRuntime rt;
    rt.kind = ref.rfind("docker-daemon:", 0) == 0 ? RuntimeKind::Docker : RuntimeKind::Podman;
    rt.program = rt.kind == RuntimeKind::Docker ? "docker" : "podman";
    std::string id = image_id(rt, name);
    if (id.empty()) return make_error("base image " + name + " is not in " + rt.name() + "'s image store");
    return std::pair{ref, id};
  }
  if (path_exists(ref)) return resolve("oci-archive:" + ref, cfg);
  auto rt = find_container_runtime(cfg.container_runtime);
  if (!rt) return make_error("base image " + ref + ": " + rt.error().message);
  std::string id = image_id(*rt, ref);
  if (id.empty())
    return make_error("base image " + ref + " is not in " + rt->name() +
                      "'s image store (kiln never pulls): make one with `kiln image build-base`, or name an "
                      "oci-archive:FILE");
  // By ID: skopeo would read a short name as docker.io/library/NAME, which podman calls
  // localhost/NAME.
  if (rt->kind == RuntimeKind::Docker) return std::pair{"docker-daemon:" + id, id};
  return std::pair{"containers-storage:" + (id.rfind("sha256:", 0) == 0 ? id.substr(7) : id), id};
}

Result<LayoutBlob> descriptor(const nlohmann::json& d, const std::string& layout) {
  LayoutBlob b;
  b.media_type = d.value("mediaType", "");
  b.digest = d.value("digest", "");
  b.size = d.value("size", int64_t{0});
  if (b.digest.rfind("sha256:", 0) != 0) return make_error("unsupported digest " + b.digest);
  b.path = layout + "/blobs/sha256/" + b.digest.substr(7);
  if (!path_exists(b.path)) return make_error("layout lacks blob " + b.digest);
  return b;
}

Result<BaseImage> read_layout(const std::string& layout) {
  auto index_text = read_file(layout + "/index.json");
  if (!index_text) return index_text.error();
  auto index = nlohmann::json::parse(*index_text, nullptr, false);
  if (index.is_discarded() || !index.contains("manifests") || index["manifests"].empty())
    return make_error(layout + "/index.json is not an image index");
  auto mdesc = descriptor(index["manifests"][0], layout);
  if (!mdesc) return mdesc.error();
  auto mtext = read_file(mdesc->path);
  if (!mtext) return mtext.error();
  auto manifest = nlohmann::json::parse(*mtext, nullptr, false);
  if (manifest.is_discarded() || !manifest.contains("config")) return make_error("not an image manifest: " + mdesc->digest);
  auto cdesc = descriptor(manifest["config"], layout);
  if (!cdesc) return cdesc.error();
  auto ctext = read_file(cdesc->path);
  if (!ctext) return ctext.error();
  BaseImage b;
  b.config = nlohmann::json::parse(*ctext, nullptr, false);
  if (b.config.is_discarded()) return make_error("unreadable image config " + cdesc->digest);
  for (const auto& l : manifest.value("layers", nlohmann::json::array())) {
    auto ld = descriptor(l, layout);
    if (!ld) return ld.error();
    b.layers.push_back(*ld);
  }
  return b;
}

}  // namespace

Result<BaseImage> load_base_image(const std::string& ref, const Config& cfg, const std::string& cache_dir,
                                  const std::function<void(const std::string&)>& say) {
  if (ref == "scratch") {
    BaseImage b;
    b.ref = "scratch";
    b.id = "scratch";
    b.config = {{"architecture", "amd64"}, {"os", "linux"}, {"config", nlohmann::json::object()},
                {"rootfs", {{"type", "layers"}, {"diff_ids", nlohmann::json::array()}}}};
    return b;
  }
  auto src = resolve(ref, cfg);
  if (!src) return src.error();
  std::string layout = path_join(cache_dir, sha256(src->second).hex().substr(0, 32));
  if (!path_exists(layout + "/index.json")) {
    if (!find_in_path("skopeo")) return make_error("reading a base image needs skopeo: apt-get install skopeo");
    say("copying base image " + ref + " into " + layout + " (once per base)");
    std::string part = layout + ".part";
    (void)remove_all(part);
    if (auto st = make_dirs(cache_dir); !st) return st.error();
    auto r = run_process({"skopeo", "copy", "-q", src->first, "oci:" + part + ":base"});
    if (!r || r->exit_code != 0) {
      (void)remove_all(part);
      return make_error("skopeo copy " + src->first + " failed: " + (r ? last_line(r->stderr_data) : r.error().message));
    }
    (void)remove_all(layout);
    if (::rename(part.c_str(), layout.c_str()) != 0) return make_error("cannot keep the base in " + layout);
  }
  auto b = read_layout(layout);
  if (!b) return make_error("base image " + ref + ": " + b.error().message);
  b->ref = ref;
  b->id = src->second;
  return b;
}

}  // namespace kiln
