// The store chain from the Config (see store_factory.h).
#include "store/store_factory.h"

#include "session/session_env.h"

#include <cstdlib>

#include "store/remote/http_store.h"
#include "store/remote/oci_store.h"
#include "store/remote/redis_store.h"

namespace kiln {

Result<std::unique_ptr<Store>> make_remote_store(const RemoteUrl& given, int timeout_ms, const Config* cfg) {
  RemoteUrl url = given;
  if (cfg && !url.has_credentials && url.scheme != "oci" &&
      (!cfg->remote_username.empty() || !cfg->remote_password.empty())) {
    url.user = cfg->remote_username;  // the URL's own user:password wins
    url.password = cfg->remote_password;
    url.has_credentials = true;
  }
  if (url.scheme == "http" || url.scheme == "https") {
    if (!url.query.empty()) return make_error("unknown parameter ?" + url.query.begin()->first + " in " + url.name());
    return std::unique_ptr<Store>(std::make_unique<HttpStore>(url, timeout_ms, cfg ? cfg->remote_ca_bundle : ""));
  }
  if (url.scheme == "redis") {
    auto s = RedisStore::create(url, timeout_ms, !cfg || cfg->remote_compression != "off");
    if (!s) return s.error();
    return std::unique_ptr<Store>(std::move(*s));
  }
  if (url.scheme == "oci") {
    OciOptions o;
    o.timeout_ms = timeout_ms;
    if (cfg) {
      o.username = cfg->remote_username;
      o.password = cfg->remote_password;
      o.ca_bundle = cfg->remote_ca_bundle;
      o.auth_cache_dir = cfg->dir + "/remote-auth";
      o.layer_names_dir = cfg->dir + "/remote-layers";
      o.compress = cfg->remote_compression != "off";
    }
    auto s = OciStore::create(url, o);
    if (!s) return s.error();
    return std::unique_ptr<Store>(std::move(*s));
  }
  return make_error(url.scheme + ":// remotes are not supported by this kiln");
}

StoreChain make_store_chain(const Config& cfg) {
  auto local = std::make_unique<LocalStore>(cfg.dir, cfg.cache_size_bytes);
  local->set_hard_links(cfg.hard_links);
  if (cfg.remotes.empty()) return StoreChain(std::move(local), nullptr);
  auto tiered = std::make_unique<TieredStore>(*local, cfg.dir, session_env().session, parse_upload_policy(cfg.upload));
  for (size_t i = 0; i < cfg.remotes.size(); ++i) {
    const std::string& text = cfg.remotes[i];
    auto url = parse_remote_url(text);
    if (!url) {
      tiered->add_broken_remote("#" + std::to_string(i + 1), text, url.error());
      continue;
    }
    auto store = make_remote_store(*url, cfg.remote_timeout_ms, &cfg);
    if (!store) {
      tiered->add_broken_remote(url->name(), url->name(), store.error());
      continue;
    }
    tiered->add_remote(*url, std::move(*store));
  }
  return StoreChain(std::move(local), std::move(tiered));
}

}  // namespace kiln
