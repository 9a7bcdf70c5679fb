// ApiExporter: the JSON API on an HttpServer, on the loop.
//   GET /api/v1/meters                  every meter: source, up, counters, listeners
//   GET /api/v1/meters/{name}           the latest reading (`parse --format json`
//                                       shape, plus "meter" and "received_at")
//   GET /api/v1/meters/{name}/telegram  the latest telegram as sent (plaintext)
//   GET /api/v1/events[?meter=a,b]      server-sent events: `event: reading`
//                                       per telegram, a comment heartbeat,
//                                       Last-Event-ID resumption
//   GET /healthz                        200 while every meter is up, else 503
//   GET /                               the live page (exporters/web)
// Errors are {"error": "..."} with their status. CORS headers only for the
// configured origins. State is read from the SnapshotSource per request;
// events come from the meters through SinkFor().
#ifndef P1GW_EXPORTERS_API_API_EXPORTER_H_
#define P1GW_EXPORTERS_API_API_EXPORTER_H_

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "exporters/http/http_server.h"
#include "gateway/core/meter_snapshot.h"
#include "gateway/core/telegram_sink.h"
#include "gateway/loop/out_chunk.h"
#include "gateway/loop/uv_handle.h"

namespace p1 {

// {"error": message} with `status`, as every JSON API of ours answers errors.
HttpResponse JsonError(int status, std::string_view message);

class ApiExporter {
 public:
  using SnapshotSource = std::function<std::vector<MeterSnapshotPtr>()>;
  struct Options {
    std::vector<std::string> cors;  // allowed origins; "*" for any
    uint64_t heartbeat_ms = 15000;
    size_t resumable_events = 64;  // kept for Last-Event-ID
  };
  struct Stats {
    uint64_t events = 0;      // telegrams turned into events
    uint64_t deliveries = 0;  // events queued to a client
    uint64_t dropped = 0;     // events a slow client lost
    size_t clients = 0;       // open event streams
  };

  ApiExporter(uv_loop_t* loop, SnapshotSource source, Options options);
  ~ApiExporter();
  ApiExporter(const ApiExporter&) = delete;
  ApiExporter& operator=(const ApiExporter&) = delete;

  // Adds the routes; *server must not outlive this.
  void Register(HttpServer* server);
  // What meter `name` feeds its telegrams to (for events). Owned here; one
  // per name, kept across reloads.
  TelegramSink* SinkFor(const std::string& name);
  Stats stats() const;

  // The reading document of one telegram (also each event's data).
  static std::string ReadingJson(const std::string& meter, const Telegram& telegram);

 private:
  class MeterSink;
  struct Event {
    uint64_t id;
    std::string meter;
    TelegramPtr telegram;
    OutChunk chunk;  // "id: ..\nevent: reading\ndata: ..\n\n", built when first sent
  };
  static const OutChunk& Text(Event* e);
  struct Client {
    std::shared_ptr<HttpStream> stream;
    std::vector<std::string> meters;  // empty: all
    bool Wants(const std::string& meter) const;
  };
  static void OnHeartbeat(uv_timer_t* timer);
  void Publish(const std::string& meter, const TelegramPtr& telegram);
  HttpResponse Meters() const;
  HttpResponse Meter(const HttpRequest& req) const;
  HttpResponse Events(const HttpRequest& req);
  HttpResponse Health() const;
  // Adds CORS headers, answers OPTIONS and refuses other methods.
  HttpResponse Guard(const HttpRequest& req, const std::function<HttpResponse()>& answer) const;
  void Prune();

  uv_loop_t* loop_;
  SnapshotSource source_;
  Options options_;
  Stats stats_;
  uint64_t next_id_ = 1;
  std::deque<Event> recent_;  // the last options_.resumable_events events
  std::vector<Client> clients_;
  std::map<std::string, std::unique_ptr<MeterSink>> sinks_;
  UvHandle<uv_timer_t> heartbeat_;
  OutChunk heartbeat_chunk_;
};

}  // namespace p1

#endif  // P1GW_EXPORTERS_API_API_EXPORTER_H_
