#include "exporters/mqtt/mosquitto_api.h"

#include "gateway/base/shared_library.h"

namespace p1 {

const MosquittoApi& Mosquitto() {
  static const MosquittoApi api = [] {
    MosquittoApi m;
    SharedLibrary lib("libmosquitto.so.1");
    decltype(&mosquitto_lib_init) lib_init = nullptr;
    lib.Get("mosquitto_lib_init", &lib_init);
    lib.Get("mosquitto_new", &m.new_client);
    lib.Get("mosquitto_destroy", &m.destroy);
    lib.Get("mosquitto_strerror", &m.strerror);
    lib.Get("mosquitto_connack_string", &m.connack_string);
    lib.Get("mosquitto_reason_string", &m.reason_string);
    lib.Get("mosquitto_int_option", &m.int_option);
    lib.Get("mosquitto_username_pw_set", &m.username_pw_set);
    lib.Get("mosquitto_will_set", &m.will_set);
    lib.Get("mosquitto_tls_set", &m.tls_set);
    lib.Get("mosquitto_connect_callback_set", &m.connect_callback_set);
    lib.Get("mosquitto_disconnect_callback_set", &m.disconnect_callback_set);
    lib.Get("mosquitto_publish_callback_set", &m.publish_callback_set);
    lib.Get("mosquitto_message_callback_set", &m.message_callback_set);
    lib.Get("mosquitto_log_callback_set", &m.log_callback_set);
    lib.Get("mosquitto_connect_async", &m.connect_async);
    lib.Get("mosquitto_reconnect_async", &m.reconnect_async);
    lib.Get("mosquitto_disconnect", &m.disconnect);
    lib.Get("mosquitto_socket", &m.socket);
    lib.Get("mosquitto_ssl_get", &m.ssl_get);
    lib.Get("mosquitto_want_write", &m.want_write);
    lib.Get("mosquitto_loop_read", &m.loop_read);
    lib.Get("mosquitto_loop_write", &m.loop_write);
    lib.Get("mosquitto_loop_misc", &m.loop_misc);
    lib.Get("mosquitto_publish", &m.publish);
    lib.Get("mosquitto_subscribe", &m.subscribe);
    m.error = lib.error();
    if (m.error.empty()) {
      SharedLibrary ssl("libssl.so.3");  // already loaded by libmosquitto
      ssl.Get("SSL_is_init_finished", &m.ssl_is_init_finished);
      ssl.Get("SSL_want", &m.ssl_want);
      m.error = ssl.error();
    }
    if (m.error.empty()) lib_init();
    return m;
  }();
  return api;
}

}  // namespace p1
