// libmosquitto, opened at its first use instead of linked: a gateway without
// [mqtt] maps none of it. Linked, libmosquitto and the OpenSSL it needs
// (libssl, libcrypto initialised at startup) are ~1.7 MB of every gateway's
// RSS. The two OpenSSL calls the client makes on libmosquitto's TLS session
// come from the libssl libmosquitto itself loaded.
#ifndef P1GW_EXPORTERS_MQTT_MOSQUITTO_API_H_
#define P1GW_EXPORTERS_MQTT_MOSQUITTO_API_H_

#include <mosquitto.h>
#include <openssl/ssl.h>

#include <string>

namespace p1 {

struct MosquittoApi {
  decltype(&mosquitto_new) new_client = nullptr;
  decltype(&mosquitto_destroy) destroy = nullptr;
  decltype(&mosquitto_strerror) strerror = nullptr;
  decltype(&mosquitto_connack_string) connack_string = nullptr;
  decltype(&mosquitto_reason_string) reason_string = nullptr;
  decltype(&mosquitto_int_option) int_option = nullptr;
  decltype(&mosquitto_username_pw_set) username_pw_set = nullptr;
  decltype(&mosquitto_will_set) will_set = nullptr;
  decltype(&mosquitto_tls_set) tls_set = nullptr;
  decltype(&mosquitto_connect_callback_set) connect_callback_set = nullptr;
  decltype(&mosquitto_disconnect_callback_set) disconnect_callback_set = nullptr;
  decltype(&mosquitto_publish_callback_set) publish_callback_set = nullptr;
  decltype(&mosquitto_message_callback_set) message_callback_set = nullptr;
  decltype(&mosquitto_log_callback_set) log_callback_set = nullptr;
  decltype(&mosquitto_connect_async) connect_async = nullptr;
  decltype(&mosquitto_reconnect_async) reconnect_async = nullptr;
  decltype(&mosquitto_disconnect) disconnect = nullptr;
  decltype(&mosquitto_socket) socket = nullptr;
  decltype(&mosquitto_ssl_get) ssl_get = nullptr;
  decltype(&mosquitto_want_write) want_write = nullptr;
  decltype(&mosquitto_loop_read) loop_read = nullptr;
  decltype(&mosquitto_loop_write) loop_write = nullptr;
  decltype(&mosquitto_loop_misc) loop_misc = nullptr;
  decltype(&mosquitto_publish) publish = nullptr;
  decltype(&mosquitto_subscribe) subscribe = nullptr;
  decltype(&SSL_is_init_finished) ssl_is_init_finished = nullptr;
  decltype(&SSL_want) ssl_want = nullptr;
  std::string error;  // empty when both libraries opened, every function found, lib_init ran
};

// Opened and mosquitto_lib_init'ed once, at the first call (thread-safe).
const MosquittoApi& Mosquitto();

}  // namespace p1

#endif  // P1GW_EXPORTERS_MQTT_MOSQUITTO_API_H_
