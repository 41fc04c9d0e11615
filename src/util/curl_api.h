// libcurl, loaded on first use (dlopen "libcurl.so.4") instead of linked: libcurl pulls in
// ~25 shared libraries (TLS, Kerberos, LDAP, SSH…) whose loading cost ~9 ms per process start
// here, and kiln starts once per rustc invocation — most of which never talk to a remote.
// The functions mirror libcurl's easy API (https://curl.se/libcurl/c/libcurl-easy.html);
// types and constants still come from <curl/curl.h>.
#pragma once

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace kiln::curl {

/// Function table of the loaded library.
struct Api {
  CURLcode (*global_init)(long);
  CURL* (*easy_init)();
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  curl_slist* (*slist_append)(curl_slist*, const char*);
  void (*slist_free_all)(curl_slist*);
};

/// The loaded library, or nullptr when libcurl.so.4 cannot be loaded (`load_error()` says why).
/// Thread-safe; loads once per process.
const Api* api();

/// Why api() returned nullptr.
std::string load_error();

inline CURLcode global_init(long flags) { return api() ? api()->global_init(flags) : CURLE_FAILED_INIT; }
inline CURL* easy_init() { return api() ? api()->easy_init() : nullptr; }
inline void easy_cleanup(CURL* c) { if (api() && c) api()->easy_cleanup(c); }
inline void easy_reset(CURL* c) { api()->easy_reset(c); }
inline CURLcode easy_perform(CURL* c) { return api()->easy_perform(c); }
template <class... A>
CURLcode easy_setopt(CURL* c, CURLoption o, A... a) { return api()->easy_setopt(c, o, a...); }
template <class... A>
CURLcode easy_getinfo(CURL* c, CURLINFO i, A... a) { return api()->easy_getinfo(c, i, a...); }
inline const char* easy_strerror(CURLcode e) { return api() ? api()->easy_strerror(e) : "libcurl not loaded"; }
inline curl_slist* slist_append(curl_slist* l, const char* s) { return api()->slist_append(l, s); }
inline void slist_free_all(curl_slist* l) { if (api()) api()->slist_free_all(l); }

/// A request body sent by CURLOPT_READFUNCTION = read_body, CURLOPT_READDATA = &upload.
struct Upload {
  std::string_view data;
  size_t pos = 0;
};

/// CURLOPT_READFUNCTION: copies the next part of an Upload (bytes returned; 0 at the end).
inline size_t read_body(char* buf, size_t size, size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t len = std::min(size * n, up->data.size() - up->pos);
  std::memcpy(buf, up->data.data() + up->pos, len);
  up->pos += len;
  return len;
}

/// A response body received by CURLOPT_WRITEFUNCTION = write_body, at most `max` bytes. With
/// `handle`, the body's room is reserved from the response's Content-Length on the first
/// chunk (a 40 MB blob is then not copied from buffer to growing buffer).
struct Download {
  std::string* body;
  size_t max;
  CURL* handle = nullptr;
};

/// CURLOPT_WRITEFUNCTION: appends to a Download; returns 0 (aborting the transfer with
/// CURLE_WRITE_ERROR) when the body would exceed its limit.
inline size_t write_body(char* ptr, size_t size, size_t n, void* user) {
  auto* d = static_cast<Download*>(user);
  size_t len = size * n;
  if (d->body->size() + len > d->max) return 0;
  if (d->body->empty() && d->handle) {
    curl_off_t length = -1;
    if (api()->easy_getinfo(d->handle, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK && length > 0 &&
        static_cast<uint64_t>(length) <= d->max)
      d->body->reserve(static_cast<size_t>(length));
  }
  d->body->append(ptr, len);
  return len;
}

}  // namespace kiln::curl
