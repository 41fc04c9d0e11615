// Redis remote store over hiredis (see redis_store.h). Commands: GET, GETEX, SET [EX],
// EXISTS, EXPIRE, SELECT, AUTH (https://redis.io/commands/).
#include "store/remote/redis_store.h"

#include <functional>
#include <set>

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "store/remote/health.h"
#include "util/compress.h"

namespace kiln {
namespace {

constexpr size_t kMaxActionBytes = 64ull << 20;

timeval to_timeval(int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

Result<std::unique_ptr<RedisStore>> RedisStore::create(RemoteUrl url, int timeout_ms, bool compress) {
  std::unique_ptr<RedisStore> s(new RedisStore(url, timeout_ms > 0 ? timeout_ms : 5000, compress));
  if (!url.path.empty()) {
    std::string_view db = std::string_view(url.path).substr(1);
    auto [ptr, ec] = std::from_chars(db.data(), db.data() + db.size(), s->db_);
    if (ec != std::errc() || ptr != db.data() + db.size() || s->db_ < 0)
      return make_error("bad Redis database number in " + url.name() + " (redis://host:port/<db>)");
  }
  for (const auto& [k, v] : url.query) {
    if (k == "ttl") {
      auto ttl = parse_duration_seconds(v);
      if (!ttl) return make_error("bad ttl in " + url.name() + ": " + ttl.error().message);
      s->ttl_s_ = *ttl;
    } else if (k == "prefix") {
      if (v.empty()) return make_error("empty prefix in " + url.name());
      s->prefix_ = v;
    } else {
      return make_error("unknown parameter ?" + k + " in " + url.name() + " (ttl, prefix)");
    }
  }
  return s;
}

RedisStore::~RedisStore() { disconnect(); }

Result<RedisStore::PruneReport> RedisStore::prune(int64_t older_than_s) {
  PruneReport report;
  std::set<std::string> kept_blobs;  // hex digests the remaining entries list
  // Calls `each(key)` for every key matching `pattern` (SCAN: the server is never blocked).
  auto scan = [&](const std::string& pattern, const std::function<Status(const std::string&)>& each) -> Status {
    std::string cursor = "0";
    do {
      auto r = command({"SCAN", cursor, "MATCH", pattern, "COUNT", "500"});
      if (!r) return r.error();
      Reply reply(static_cast<redisReply*>(*r));
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) return make_error("unexpected SCAN reply");
      cursor = std::string(reply->element[0]->str, reply->element[0]->len);
      for (size_t i = 0; i < reply->element[1]->elements; ++i) {
        auto* k = reply->element[1]->element[i];
        if (auto st = each(std::string(k->str, k->len)); !st) return st;
      }
    } while (cursor != "0");
    return {};
  };
  auto idle = [&](const std::string& key) -> Result<int64_t> {
    auto r = command({"OBJECT", "IDLETIME", key});
    if (!r) return r.error();
    Reply reply(static_cast<redisReply*>(*r));
    if (reply->type == REDIS_REPLY_ERROR)
      return make_error("OBJECT IDLETIME on " + url_.name() + ": " + std::string(reply->str, reply->len) +
                        " (an LFU maxmemory-policy keeps no idle time)");
    return reply->type == REDIS_REPLY_INTEGER ? reply->integer : int64_t{-1};
  };
  auto unlink = [&](const std::string& key) -> Status {
    auto r = command({"UNLINK", key});
    if (!r) return r.error();
    Reply reply(static_cast<redisReply*>(*r));
    return {};
  };
  std::string ac = prefix_ + ":ac:", cas = prefix_ + ":cas:";
  auto entries = scan(ac + "*", [&](const std::string& key) -> Status {
    auto t = idle(key);
    if (!t) return t.error();
    if (*t >= older_than_s) {
      ++report.entries_removed;
      return unlink(key);
    }
    ++report.entries_kept;
    auto digest = Digest::from_hex(key.substr(ac.size()));
    if (!digest) return {};
    auto entry = get_action(*digest);
    if (entry && *entry)
      for (const auto& f : (*entry)->output_files) kept_blobs.insert(f.digest.hex());
    return {};
  });
  if (!entries) return entries.error();
  auto blobs = scan(cas + "*", [&](const std::string& key) -> Status {
    if (kept_blobs.count(key.substr(cas.size()))) {
      ++report.blobs_kept;
      return {};
    }
    auto t = idle(key);
    if (!t) return t.error();
    if (*t < older_than_s) {
      ++report.blobs_kept;
      return {};
    }
    ++report.blobs_removed;
    return unlink(key);
  });
  if (!blobs) return blobs.error();
  return report;
}

void RedisStore::disconnect() {
  if (ctx_) redisFree(static_cast<redisContext*>(ctx_));
  ctx_ = nullptr;
}

Status RedisStore::connect() {
  if (ctx_) return {};
  std::string host = url_.host;
  redisContext* c = redisConnectWithTimeout(host.c_str(), url_.port_or_default(), to_timeval(timeout_ms_));
  if (!c) return make_error("cannot allocate a Redis context");
  if (c->err) {
    std::string what = "connect " + url_.name() + ": " + c->errstr;
    bool timed_out = c->err == REDIS_ERR_IO && (errno == ETIMEDOUT || errno == EINPROGRESS || errno == EAGAIN);
    redisFree(c);
    return timed_out || what.find("timed out") != std::string::npos ? Status(timeout_error(what)) : Status(make_error(what));
  }
  redisSetTimeout(c, to_timeval(timeout_ms_));
  ctx_ = c;
  auto check = [&](std::vector<std::string_view> args, const char* what) -> Status {
    auto r = command(args);
    if (!r) return r.error();
    Reply reply(static_cast<redisReply*>(*r));
    if (reply->type == REDIS_REPLY_ERROR) {
      std::string msg = std::string(what) + " on " + url_.name() + ": " + std::string(reply->str, reply->len);
      disconnect();
      return make_error(msg);
    }
    return {};
  };
  if (url_.has_credentials && !url_.password.empty()) {
    std::vector<std::string_view> auth = {"AUTH"};
    if (!url_.user.empty()) auth.push_back(url_.user);
    auth.push_back(url_.password);
    if (auto s = check(auth, "AUTH"); !s) return s;
  }
  if (db_ != 0) {
    std::string db = std::to_string(db_);
    if (auto s = check({"SELECT", db}, "SELECT"); !s) return s;
  }
  return {};
}

Result<void*> RedisStore::command(const std::vector<std::string_view>& args) {
  if (auto s = connect(); !s) return s.error();
  auto* c = static_cast<redisContext*>(ctx_);
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  errno = 0;
  void* reply = redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data());
  if (!reply) {
    int err = errno;
    std::string what = std::string(args[0]) + " on " + url_.name() + ": " + (c->errstr[0] ? c->errstr : "no reply");
    bool timed_out = c->err == REDIS_ERR_IO && (err == EAGAIN || err == EWOULDBLOCK || err == ETIMEDOUT);
    disconnect();  // the context is unusable after an error
    if (timed_out) return timeout_error(what);
    return make_error(what);
  }
  return reply;
}

Result<std::optional<std::string>> RedisStore::get_value(const std::string& key) {
  std::string ttl = std::to_string(ttl_s_);
  bool getex = ttl_s_ > 0 && !getex_unsupported_;
  auto r = getex ? command({"GETEX", key, "EX", ttl}) : command({"GET", key});
  if (!r) return r.error();
  Reply reply(static_cast<redisReply*>(*r));
  if (reply->type == REDIS_REPLY_ERROR && getex && std::string_view(reply->str, reply->len).find("unknown command") != std::string_view::npos) {
    getex_unsupported_ = true;  // Redis < 6.2: plain GET, no renewal
    return get_value(key);
  }
  if (reply->type == REDIS_REPLY_NIL) return std::optional<std::string>{};
  if (reply->type == REDIS_REPLY_ERROR)
    return make_error("GET " + key + " on " + url_.name() + ": " + std::string(reply->str, reply->len));
  if (reply->type != REDIS_REPLY_STRING) return make_error("GET " + key + " on " + url_.name() + ": unexpected reply type");
  wire_.down += reply->len;
  return std::optional<std::string>(std::string(reply->str, reply->len));
}

Status RedisStore::set_value(const std::string& key, std::string_view value) {
  std::string ttl = std::to_string(ttl_s_);
  auto r = ttl_s_ > 0 ? command({"SET", key, value, "EX", ttl}) : command({"SET", key, value});
  if (!r) return r.error();
  Reply reply(static_cast<redisReply*>(*r));
  if (reply->type == REDIS_REPLY_ERROR)
    return make_error("SET " + key + " on " + url_.name() + ": " + std::string(reply->str, reply->len));
  wire_.up += value.size();
  return {};
}

Result<std::optional<ActionResult>> RedisStore::get_action(const Digest& key) {
  auto v = get_value(action_key(key));
  if (!v) return v.error();
  if (!*v) return std::optional<ActionResult>{};
  if ((*v)->size() > kMaxActionBytes) return make_error("oversized action entry " + action_key(key));
  auto decoded = ActionResult::decode(**v);
  if (!decoded)
    return make_error("GET " + action_key(key) + " on " + url_.name() + ": undecodable action entry (" +
                      decoded.error().message + ")");
  return std::optional<ActionResult>(std::move(*decoded));
}

Status RedisStore::put_action(const Digest& key, const ActionResult& result) {
  return set_value(action_key(key), result.encode());
}

Result<std::optional<std::string>> RedisStore::get_blob(const Digest& digest) { return content_of(fetch_blob(digest)); }

Result<std::optional<FetchedBlob>> RedisStore::fetch_blob(const Digest& digest) {
  auto v = get_value(blob_key(digest));
  if (!v) return v.error();
  if (!*v) return std::optional<FetchedBlob>{};
  // A zstd frame is kiln's compressed form; anything else (or a raw blob that merely starts
  // like one) is raw. Either way only bytes whose SHA-256 is the digest come back.
  if (codec_of(**v) == Codec::Zstd)
    if (auto raw = decompress_from_wire(**v, digest)) return std::optional<FetchedBlob>(FetchedBlob{std::move(*raw), std::move(**v)});
  if (sha256(**v) != digest)
    return make_error("GET " + blob_key(digest) + " on " + url_.name() + ": content does not match its digest");
  return std::optional<FetchedBlob>(FetchedBlob{std::move(**v), {}});
}

Status RedisStore::put_blob(const Digest& digest, std::string_view data) {
  if (compress_)
    if (auto z = compress_for_wire(data)) return set_value(blob_key(digest), *z);
  return set_value(blob_key(digest), data);
}

Result<bool> RedisStore::has_blob(const Digest& digest) {
  std::string key = blob_key(digest);
  std::string ttl = std::to_string(ttl_s_);
  auto r = ttl_s_ > 0 ? command({"EXPIRE", key, ttl}) : command({"EXISTS", key});
  if (!r) return r.error();
  Reply reply(static_cast<redisReply*>(*r));
  if (reply->type != REDIS_REPLY_INTEGER)
    return make_error(std::string(ttl_s_ > 0 ? "EXPIRE " : "EXISTS ") + key + " on " + url_.name() + ": " +
                      (reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len) : "unexpected reply"));
  return reply->integer > 0;
}

}  // namespace kiln
