// libcurl, opened at its first use instead of linked: a gateway without
// [[remote_write]] maps none of it. Linked, libcurl and what it needs (GnuTLS,
// Kerberos, LDAP, SSH, HTTP/2, IDN, ...) are ~3.7 MB of every gateway's RSS.
#ifndef P1GW_EXPORTERS_REMOTE_WRITE_CURL_API_H_
#define P1GW_EXPORTERS_REMOTE_WRITE_CURL_API_H_

#include <curl/curl.h>

#include <string>

namespace p1 {

struct CurlApi {
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
  decltype(&curl_multi_init) multi_init = nullptr;
  decltype(&curl_multi_cleanup) multi_cleanup = nullptr;
  decltype(&curl_multi_setopt) multi_setopt = nullptr;
  decltype(&curl_multi_add_handle) multi_add_handle = nullptr;
  decltype(&curl_multi_remove_handle) multi_remove_handle = nullptr;
  decltype(&curl_multi_assign) multi_assign = nullptr;
  decltype(&curl_multi_socket_action) multi_socket_action = nullptr;
  decltype(&curl_multi_info_read) multi_info_read = nullptr;
  decltype(&curl_getdate) getdate = nullptr;
  std::string error;  // empty when the library opened, every function found and initialised
};

// Opened and curl_global_init'ed once, at the first call (thread-safe).
const CurlApi& Curl();

}  // namespace p1

#endif  // P1GW_EXPORTERS_REMOTE_WRITE_CURL_API_H_
