// Resolving target-cpu=native (see native_cpu.h).
#include "rustc/native_cpu.h"

#include <algorithm>
#include <vector>

#include "util/digest.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/text.h"

namespace kiln {
namespace {

// The fields of the first processor in /proc/cpuinfo that name the CPU and what it can do.
std::string host_cpu_fingerprint() {
  auto text = read_file("/proc/cpuinfo");
  if (!text) return "unknown";
  std::string out;
  for (std::string_view lv : split_lines(*text)) {
    std::string line(lv);
    if (line.empty()) break;  // end of the first processor's block
    for (const char* f : {"vendor_id", "cpu family", "model", "model name", "stepping", "flags", "Features",
                          "CPU implementer", "CPU part", "CPU variant"})
      if (line.rfind(f, 0) == 0 && line.size() > std::string(f).size() &&
          (line[std::string(f).size()] == '\t' || line[std::string(f).size()] == ' ' ||
           line[std::string(f).size()] == ':'))
        out += line + "\n";
  }
  return out;
}

}  // namespace

std::string native_cpu_key(std::string_view target_cpus_output, std::string_view cfg_output) {
  std::string cpu = "unknown";
  size_t n = target_cpus_output.find("native");
  if (n != std::string_view::npos) {
    size_t c = target_cpus_output.find("(currently ", n);
    size_t eol = target_cpus_output.find('\n', n);
    if (c != std::string_view::npos && (eol == std::string_view::npos || c < eol)) {
      size_t e = target_cpus_output.find(')', c);
      cpu = std::string(target_cpus_output.substr(c + 11, e - c - 11));
      while (!cpu.empty() && cpu.back() == '.') cpu.pop_back();
    }
  }
  std::vector<std::string> features;
  const std::string_view tag = "target_feature=\"";
  for (size_t p = cfg_output.find(tag); p != std::string_view::npos; p = cfg_output.find(tag, p + 1)) {
    size_t e = cfg_output.find('"', p + tag.size());
    if (e == std::string_view::npos) break;
    features.emplace_back(cfg_output.substr(p + tag.size(), e - p - tag.size()));
  }
  std::sort(features.begin(), features.end());
  std::string out = "cpu=" + cpu + " features=";
  for (size_t i = 0; i < features.size(); ++i) out += (i ? "," : "") + features[i];
  return out;
}

Result<std::string> resolve_native_cpu(const std::string& rustc, const Toolchain& toolchain, const std::string& target,
                                       const std::string& cache_dir) {
  Sha256 h;
  h.field(toolchain.identity().hex());
  h.field(target);
  h.field(host_cpu_fingerprint());
  std::string cache_file = cache_dir + "/toolchains/native-" + h.finish().hex().substr(0, 32) + ".txt";
  if (auto cached = read_file(cache_file); cached && cached->rfind("cpu=", 0) == 0) return *cached;
  std::vector<std::string> cpus = {rustc, "--print", "target-cpus"};
  std::vector<std::string> cfg = {rustc, "-C", "target-cpu=native", "--print", "cfg"};
  if (!target.empty()) {
    for (auto* v : {&cpus, &cfg}) {
      v->push_back("--target");
      v->push_back(target);
    }
  }
  auto a = run_process(cpus);
  auto b = run_process(cfg);
  if (!a || a->exit_code != 0 || !b || b->exit_code != 0) return make_error("cannot run " + rustc + " --print cfg -C target-cpu=native");
  std::string key = native_cpu_key(a->stdout_data, b->stdout_data);
  if (make_dirs(cache_dir + "/toolchains")) (void)write_file_atomic(cache_file, key);
  return key;
}

}  // namespace kiln
