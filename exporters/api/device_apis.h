// The APIs of the P1 dongles people already own, served for p1gateway's
// meters so their clients work unchanged:
//  - HomeWizardServer: one meter's HomeWizard P1 API v1 on its own port
//    (`homewizard = "0.0.0.0:PORT"`): GET /api, /api/v1/data,
//    /api/v1/telegram, /api/v1/system (PUT accepted and ignored), and the
//    DSMR-logger v2 view of the same meter; every other path is a JSON 404.
//    Read-only: nothing identifies, switches or changes state.
//  - RegisterDsmrLogger: /api/v2/sm/{actual,info,telegram}?meter=NAME on the
//    main server (the meter may be left out when there is only one).
// Documents come from exporters/json; the latest telegram is asked for per
// request.
#ifndef P1GW_EXPORTERS_API_DEVICE_APIS_H_
#define P1GW_EXPORTERS_API_DEVICE_APIS_H_

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "exporters/http/http_server.h"
#include "gateway/core/telegram.h"

namespace p1 {

// The latest valid telegram of a meter, or null (none yet, or no such meter).
using LatestTelegram = std::function<TelegramPtr(const std::string& meter)>;

class HomeWizardServer {
 public:
  struct Identity {
    std::string meter;
    std::string firmware_version;
    std::string wifi_ssid;  // required by clients; the gateway's host name
  };
  HomeWizardServer(uv_loop_t* loop, Identity identity, LatestTelegram latest);
  HomeWizardServer(const HomeWizardServer&) = delete;
  HomeWizardServer& operator=(const HomeWizardServer&) = delete;

  // Binds `addr`. 0 or a libuv error.
  int Listen(const sockaddr_storage& addr) { return server_.Listen(addr); }
  uint16_t port() const { return server_.port(); }

 private:
  Identity identity_;
  LatestTelegram latest_;
  HttpServer server_;
};

// Adds /api/v2/sm/... to `server`; `meters` lists the names a request may ask for.
void RegisterDsmrLogger(HttpServer* server, LatestTelegram latest,
                        std::function<std::vector<std::string>()> meters);

}  // namespace p1

#endif  // P1GW_EXPORTERS_API_DEVICE_APIS_H_
