#include "exporters/remote_write/curl_api.h"

#include "gateway/base/shared_library.h"

namespace p1 {

const CurlApi& Curl() {
  static const CurlApi api = [] {
    CurlApi c;
    SharedLibrary lib("libcurl.so.4");
    decltype(&curl_global_init) global_init = nullptr;
    lib.Get("curl_global_init", &global_init);
    lib.Get("curl_easy_init", &c.easy_init);
    lib.Get("curl_easy_cleanup", &c.easy_cleanup);
    lib.Get("curl_easy_setopt", &c.easy_setopt);
    lib.Get("curl_easy_getinfo", &c.easy_getinfo);
    lib.Get("curl_easy_strerror", &c.easy_strerror);
    lib.Get("curl_slist_append", &c.slist_append);
    lib.Get("curl_slist_free_all", &c.slist_free_all);
    lib.Get("curl_multi_init", &c.multi_init);
    lib.Get("curl_multi_cleanup", &c.multi_cleanup);
    lib.Get("curl_multi_setopt", &c.multi_setopt);
    lib.Get("curl_multi_add_handle", &c.multi_add_handle);
    lib.Get("curl_multi_remove_handle", &c.multi_remove_handle);
    lib.Get("curl_multi_assign", &c.multi_assign);
    lib.Get("curl_multi_socket_action", &c.multi_socket_action);
    lib.Get("curl_multi_info_read", &c.multi_info_read);
    lib.Get("curl_getdate", &c.getdate);
    c.error = lib.error();
    if (c.error.empty() && global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      c.error = "curl_global_init failed";
    }
    return c;
  }();
  return api;
}

}  // namespace p1
