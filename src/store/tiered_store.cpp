// Local store + remote stores (see tiered_store.h).
#include "store/tiered_store.h"

#include <algorithm>

#include "util/log.h"

namespace kiln {

UploadPolicy parse_upload_policy(const std::string& text) {
  if (text == "dependencies" || text == "deps") return UploadPolicy::Dependencies;
  if (text == "none" || text == "off") return UploadPolicy::None;
  return UploadPolicy::All;
}

TieredStore::TieredStore(Store& local, std::string kiln_dir, std::string session, UploadPolicy upload)
    : local_(local), kiln_dir_(std::move(kiln_dir)), session_(std::move(session)), upload_(upload) {}

TieredStore::~TieredStore() { flush_stats(); }

std::string TieredStore::name() const {
  std::string n = local_.name();
  for (const auto& r : remotes_) n += " + " + r->name;
  return n;
}

void TieredStore::add_remote(const RemoteUrl& url, std::unique_ptr<Store> store) {
  auto r = std::make_unique<Remote>(Remote{url.name(), url.access, std::move(store),
                                           RemoteHealth(kiln_dir_, url.name(), session_), {}, false, {}, {}});
  r->counters.store = r->name;
  r->down = r->health.is_down();
  if (r->down) debug("remote " + r->name + " is marked down: " + r->health.reason());
  remotes_.push_back(std::move(r));
}

void TieredStore::add_broken_remote(const std::string& display_name, const std::string& id, const Error& error) {
  auto r = std::make_unique<Remote>(
      Remote{display_name, RemoteAccess::ReadWrite, nullptr, RemoteHealth(kiln_dir_, id, session_), {}, true, {}, {}});
  r->counters.store = display_name;
  if (!r->health.is_down()) {
    auto m = r->health.mark_down(error.message);
    if (m != RemoteHealth::MarkResult::AlreadyDown)
      warn("remote store " + display_name + " is not usable (" + error.message + "); building without it");
  }
  remotes_.push_back(std::move(r));
}

void TieredStore::flush_stats() {
  for (auto& r : remotes_) {
    StoreEvent& c = r->counters;
    if (r->store) {
      WireBytes w = r->store->take_wire_bytes();
      c.wire_down += w.down;
      c.wire_up += w.up;
    }
    if (c.hits || c.misses || c.errors || c.timeouts || c.bytes_down || c.bytes_up || c.wire_down || c.wire_up)
      record_store_event(kiln_dir_, c);
    c = StoreEvent{};
    c.store = r->name;
  }
}

void TieredStore::fail(Remote& r, const Error& e) {
  if (is_timeout(e))
    ++r.counters.timeouts;
  else
    ++r.counters.errors;
  debug("remote " + r.name + " failed: " + e.message);
  if (r.down) return;
  r.down = true;
  switch (r.health.mark_down(e.message)) {
    case RemoteHealth::MarkResult::Made:
      warn("remote store " + r.name + " failed (" + e.message + "); building without it for the rest of this build");
      break;
    case RemoteHealth::MarkResult::Failed:
      warn("remote store " + r.name + " failed (" + e.message + "); building without it");
      break;
    case RemoteHealth::MarkResult::AlreadyDown:
      break;
  }
}

bool TieredStore::fetch_blobs(Remote& r, const ActionResult& entry) {
  for (const auto& of : entry.output_files) {
    if (auto have = local_.has_blob(of.digest); have && *have) continue;
    auto blob = r.store->fetch_blob(of.digest);
    if (!blob) {
      fail(r, blob.error());
      return false;
    }
    if (!*blob) {
      debug("remote " + r.name + ": entry names a missing blob " + of.digest.hex());
      return false;
    }
    r.counters.bytes_down += (*blob)->content.size();
    // The local copy keeps the zstd frame when there was one (store.h: FetchedBlob).
    if (auto s = local_.put_fetched_blob(of.digest, (*blob)->content, (*blob)->frame); !s)
      debug("local store: " + s.error().message);
  }
  return true;
}

bool TieredStore::refresh_manifests(ManifestMerge merge) {
  merge_ = std::move(merge);
  refresh_manifests_ = static_cast<bool>(merge_);
  for (const auto& r : remotes_)
    if (r->readable()) return true;
  return false;
}

Result<std::optional<ActionResult>> TieredStore::get_action(const Digest& key) {
  auto local = local_.get_action(key);
  if (local && !*local && before_remote_ && before_remote_(key)) local = local_.get_action(key);
  if (local && *local) {
    if (refresh_manifests_ && (*local)->meta.kind == EntryKind::Manifest && refreshed_.insert(key).second)
      merge_remote_manifests(key, **local);
    return local;
  }
  for (auto& rp : remotes_) {
    Remote& r = *rp;
    if (!r.readable() || r.missed.count(key)) continue;
    auto got = ask_remote(r, key);
    if (!got) continue;
    ActionResult& entry = *got;
    if (entry.meta.kind == EntryKind::Result && !fetch_blobs(r, entry)) {
      ++r.counters.misses;
      r.missed.insert(key);
      continue;
    }
    if (entry.meta.kind == EntryKind::Result) ++r.counters.hits;
    debug("remote hit " + r.name + " " + std::string(entry_kind_name(entry.meta.kind)) + " " + key.hex());
    if (auto s = local_.put_action(key, entry); !s) debug("local store: " + s.error().message);
    return std::move(got);
  }
  return local;
}

std::optional<ActionResult> TieredStore::get_remote_action(const Digest& key, size_t* from) {
  for (size_t i = 0; i < remotes_.size(); ++i) {
    Remote& r = *remotes_[i];
    if (!r.readable() || r.missed.count(key)) continue;
    if (auto got = ask_remote(r, key)) {
      if (from) *from = i;
      return got;
    }
  }
  return std::nullopt;
}

bool TieredStore::only_writable(size_t i) const {
  if (upload_ == UploadPolicy::None) return false;
  for (size_t j = 0; j < remotes_.size(); ++j)
    if (remotes_[j]->writable() != (j == i)) return false;
  return true;
}

std::optional<std::string> TieredStore::get_remote_blob(const Digest& digest) {
  for (auto& rp : remotes_) {
    Remote& r = *rp;
    if (!r.readable()) continue;
    auto got = r.store->get_blob(digest);
    if (!got) {
      fail(r, got.error());
      continue;
    }
    if (!*got) continue;
    r.counters.bytes_down += (*got)->size();
    return std::move(**got);
  }
  return std::nullopt;
}

bool TieredStore::import_entry(const Digest& key, const ActionResult& entry) {
  if (entry.meta.kind == EntryKind::Result) {
    Remote* from = nullptr;
    bool read_entry = false;
    std::vector<Digest> missing;  // blobs the local store lacks
    for (const auto& of : entry.output_files)
      if (auto have = local_.has_blob(of.digest); !have || !*have) missing.push_back(of.digest);
    for (auto& rp : remotes_) {
      if (!rp->readable()) continue;
      // Its blobs may be named only by its own manifest there (store.h): read that first,
      // unless every missing blob's name is known.
      bool named_by_entry = !missing.empty() && rp->store->blobs_named_by_entry();
      bool names_known = named_by_entry && std::all_of(missing.begin(), missing.end(), [&](const Digest& d) {
                           return rp->store->knows_blob_name(d);
                         });
      read_entry = named_by_entry && !names_known;
      if (read_entry) (void)rp->store->get_action(key);
      bool fetched = fetch_blobs(*rp, entry);
      if (!fetched && names_known && rp->readable()) {
        debug("remote " + rp->name + ": a known blob name failed; reading the entry " + key.hex());
        read_entry = true;
        (void)rp->store->get_action(key);
        fetched = fetch_blobs(*rp, entry);
      }
      if (fetched) {
        from = rp.get();
        break;
      }
    }
    if (!from) return false;
    ++from->counters.hits;
    debug("remote hit " + from->name + " result " + key.hex() + " (index pack" +
          (read_entry ? ", entry read for its blob names)" : ")"));
  }
  if (auto s = local_.put_action(key, entry); !s) {
    debug("local store: " + s.error().message);
    return false;
  }
  return true;
}

void TieredStore::learn_wire_names(const WireNames& names) {
  for (auto& r : remotes_)
    if (r->store) r->store->learn_wire_names(names);
}

WireNames TieredStore::known_wire_names() {
  WireNames out;
  for (auto& r : remotes_)
    if (r->store && r->readable())
      for (auto& n : r->store->known_wire_names()) out.insert(std::move(n));
  return out;
}

std::optional<ActionResult> TieredStore::ask_remote(Remote& r, const Digest& key) {
  auto got = r.store->get_action(key);
  if (!got) {
    fail(r, got.error());
    return std::nullopt;
  }
  if (!*got) {
    ++r.counters.misses;
    r.missed.insert(key);
    return std::nullopt;
  }
  r.counters.bytes_down += (*got)->encode().size();
  return std::move(**got);
}

void TieredStore::merge_remote_manifests(const Digest& key, ActionResult& local_entry) {
  bool changed = false;
  for (auto& rp : remotes_) {
    Remote& r = *rp;
    if (!r.readable() || r.missed.count(key)) continue;
    auto got = ask_remote(r, key);
    if (!got || got->meta.kind != EntryKind::Manifest) continue;
    if (auto merged = merge_(local_entry.meta.payload, got->meta.payload)) {
      local_entry.meta.payload = std::move(*merged);
      changed = true;
      debug("remote manifest merged " + r.name + " " + key.hex());
    }
  }
  if (!changed) return;
  if (auto s = local_.put_action(key, local_entry); !s) debug("local store: " + s.error().message);
}

Result<std::optional<std::string>> TieredStore::get_blob(const Digest& digest) {
  auto local = local_.get_blob(digest);
  if (local && *local) return local;
  auto got = get_remote_blob(digest);
  if (!got) return local;
  if (auto s = local_.put_fetched_blob(digest, *got); !s) debug("local store: " + s.error().message);
  return std::optional<std::string>(std::move(*got));
}

Result<bool> TieredStore::restore_blob(const Digest& digest, const std::string& path, bool executable,
                                       bool may_link) {
  auto local = local_.restore_blob(digest, path, executable, may_link);
  if (local && *local) return local;
  return Store::restore_blob(digest, path, executable);
}

Result<bool> TieredStore::has_blob(const Digest& digest) {
  auto local = local_.has_blob(digest);
  if (local && *local) return local;
  for (auto& rp : remotes_) {
    Remote& r = *rp;
    if (!r.readable()) continue;
    auto got = r.store->has_blob(digest);
    if (!got) {
      fail(r, got.error());
      continue;
    }
    if (*got) return true;
  }
  return local;
}

Status TieredStore::put_blob(const Digest& digest, std::string_view data) {
  Status s = local_.put_blob(digest, data);
  if (upload_ != UploadPolicy::None) {
    for (auto& r : remotes_)
      if (r->writable()) {
        pending_.emplace(digest, std::string(data));
        break;
      }
  }
  return s;
}

Status TieredStore::put_action(const Digest& key, const ActionResult& result) {
  Status s = local_.put_action(key, result);
  upload(key, result);
  return s;
}

void TieredStore::upload(const Digest& key, const ActionResult& entry) {
  bool skip = upload_ == UploadPolicy::None || (upload_ == UploadPolicy::Dependencies && entry.meta.local_only);
  if (skip)
    debug(std::string(upload_ == UploadPolicy::None ? "not uploaded (upload = none): " : "not uploaded (workspace member): ") +
          std::string(entry_kind_name(entry.meta.kind)) + " " + entry.meta.crate_name);
  for (auto& rp : remotes_) {
    Remote& r = *rp;
    if (skip || !r.writable()) continue;
    bool complete = true;
    for (const auto& of : entry.output_files) {
      if (r.present.count(of.digest)) continue;
      auto has = r.store->has_blob(of.digest);
      if (!has) {
        fail(r, has.error());
        break;
      }
      if (!*has) {
        std::string from_local;
        std::string_view data;
        if (auto it = pending_.find(of.digest); it != pending_.end()) {
          data = it->second;
        } else if (auto b = local_.get_blob(of.digest); b && *b) {
          from_local = std::move(**b);
          data = from_local;
        } else {
          debug("not uploaded: blob " + of.digest.hex() + " is gone");
          complete = false;
          break;
        }
        if (auto st = r.store->put_blob(of.digest, data); !st) {
          fail(r, st.error());
          break;
        }
        r.counters.bytes_up += data.size();
      }
      r.present.insert(of.digest);
    }
    if (!complete || !r.writable()) continue;
    if (auto st = r.store->put_action(key, entry); !st) {
      fail(r, st.error());
      continue;
    }
    r.counters.bytes_up += entry.encode().size();
    r.missed.erase(key);
    debug("uploaded " + std::string(entry_kind_name(entry.meta.kind)) + " " + entry.meta.crate_name + " " + key.hex() + " to " + r.name);
  }
  for (const auto& of : entry.output_files) pending_.erase(of.digest);
}

}  // namespace kiln
