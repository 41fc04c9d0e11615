// dlopen-based libcurl loader (see curl_api.h).
#include "util/curl_api.h"

#include <dlfcn.h>

#include <mutex>

namespace kiln::curl {
namespace {

Api g_api;
bool g_loaded = false;
std::string g_error;

template <class F>
bool bind(void* lib, F& fn, const char* name) {
  fn = reinterpret_cast<F>(::dlsym(lib, name));
  if (!fn) g_error = std::string("libcurl lacks ") + name;
  return fn != nullptr;
}

void load() {
  void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* e = ::dlerror();
    g_error = std::string("cannot load libcurl.so.4: ") + (e ? e : "unknown error");
    return;
  }
  g_loaded = bind(lib, g_api.global_init, "curl_global_init") && bind(lib, g_api.easy_init, "curl_easy_init") &&
             bind(lib, g_api.easy_cleanup, "curl_easy_cleanup") && bind(lib, g_api.easy_reset, "curl_easy_reset") &&
             bind(lib, g_api.easy_perform, "curl_easy_perform") && bind(lib, g_api.easy_setopt, "curl_easy_setopt") &&
             bind(lib, g_api.easy_getinfo, "curl_easy_getinfo") &&
             bind(lib, g_api.easy_strerror, "curl_easy_strerror") &&
             bind(lib, g_api.slist_append, "curl_slist_append") &&
             bind(lib, g_api.slist_free_all, "curl_slist_free_all");
}

}  // namespace

const Api* api() {
  static std::once_flag once;
  std::call_once(once, load);
  return g_loaded ? &g_api : nullptr;
}

std::string load_error() {
  api();
  return g_error;
}

}  // namespace kiln::curl
