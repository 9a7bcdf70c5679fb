#include "exporters/api/api_exporter.h"

#include <algorithm>
#include <utility>

#include "exporters/web/web_page.h"
#include "gateway/core/json_writer.h"
#include "gateway/core/render.h"
#include "gateway/loop/wall_clock.h"

namespace p1 {
namespace {

std::string UtcTime(int64_t unix_ms) {
  Timestamp t;
  t.unix_seconds = unix_ms / 1000;
  t.valid = true;
  return t.ToIso8601();
}

void Key(std::string* out, std::string_view key) {
  AppendJsonString(out, key);
  out->push_back(':');
}

void Count(std::string* out, std::string_view key, uint64_t n, bool last = false) {
  Key(out, key);
  out->append(std::to_string(n));
  if (!last) out->push_back(',');
}

}  // namespace

HttpResponse JsonError(int status, std::string_view message) {
  std::string body;
  JsonWriter(&body).BeginObject().Key("error").String(message).EndObject();
  return HttpResponse::Json(status, std::move(body));
}

class ApiExporter::MeterSink : public TelegramSink {
 public:
  MeterSink(ApiExporter* api, std::string name) : api_(api), name_(std::move(name)) {}
  void OnTelegram(const TelegramPtr& telegram) override { api_->Publish(name_, telegram); }

 private:
  ApiExporter* api_;
  std::string name_;
};

bool ApiExporter::Client::Wants(const std::string& meter) const {
  return meters.empty() || std::find(meters.begin(), meters.end(), meter) != meters.end();
}

ApiExporter::ApiExporter(uv_loop_t* loop, SnapshotSource source, Options options)
    : loop_(loop),
      source_(std::move(source)),
      options_(std::move(options)),
      heartbeat_chunk_(OutChunk::Of(std::make_shared<const std::string>(": heartbeat\n\n"))) {
  if (heartbeat_.Init(uv_timer_init, loop_, this) == 0) {
    uv_timer_start(heartbeat_.get(), OnHeartbeat, options_.heartbeat_ms, options_.heartbeat_ms);
    uv_unref(reinterpret_cast<uv_handle_t*>(heartbeat_.get()));
  }
}

ApiExporter::~ApiExporter() = default;

TelegramSink* ApiExporter::SinkFor(const std::string& name) {
  auto& sink = sinks_[name];
  if (!sink) sink = std::make_unique<MeterSink>(this, name);
  return sink.get();
}

ApiExporter::Stats ApiExporter::stats() const {
  Stats s = stats_;
  s.clients = static_cast<size_t>(std::count_if(clients_.begin(), clients_.end(),
                                                [](const Client& c) { return c.stream->open(); }));
  return s;
}

void ApiExporter::Register(HttpServer* server) {
  auto route = [this, server](std::string path, bool prefix,
                              std::function<HttpResponse(const HttpRequest&)> h) {
    auto guarded = [this, h = std::move(h)](const HttpRequest& req) {
      return Guard(req, [&] { return h(req); });
    };
    if (prefix) {
      server->HandlePrefix(std::move(path), std::move(guarded), /*any_method=*/true);
    } else {
      server->Handle(std::move(path), std::move(guarded), /*any_method=*/true);
    }
  };
  route("/api/v1/meters", false, [this](const HttpRequest&) { return Meters(); });
  route("/api/v1/meters/", true, [this](const HttpRequest& req) { return Meter(req); });
  route("/api/v1/events", false, [this](const HttpRequest& req) { return Events(req); });
  route("/api/", true, [](const HttpRequest&) { return JsonError(404, "no such API path"); });
  route("/healthz", false, [this](const HttpRequest&) { return Health(); });
  // The live page reads the routes above; same origin, so no CORS.
  server->Handle("/", [](const HttpRequest&) {
    HttpResponse r = HttpResponse::Text(200, std::string(WebPage()));
    r.content_type = "text/html; charset=utf-8";
    return r;
  });
}

HttpResponse ApiExporter::Guard(const HttpRequest& req,
                                const std::function<HttpResponse()>& answer) const {
  HttpResponse r;
  if (req.method == "OPTIONS") {
    r = HttpResponse::Text(204, "");
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
    r.headers.emplace_back("Access-Control-Allow-Headers", "Last-Event-ID, Cache-Control");
    r.headers.emplace_back("Access-Control-Max-Age", "600");
  } else if (req.method != "GET" && req.method != "HEAD") {
    r = JsonError(405, "method not allowed");
    r.headers.emplace_back("Allow", "GET, HEAD, OPTIONS");
  } else {
    r = answer();
  }
  const std::string_view origin = req.Header("origin");
  if (!origin.empty()) {
    const bool any =
        std::find(options_.cors.begin(), options_.cors.end(), "*") != options_.cors.end();
    if (any ||
        std::find(options_.cors.begin(), options_.cors.end(), origin) != options_.cors.end()) {
      r.headers.emplace_back("Access-Control-Allow-Origin", any ? "*" : std::string(origin));
    }
  }
  if (!options_.cors.empty()) r.headers.emplace_back("Vary", "Origin");
  return r;
}

std::string ApiExporter::ReadingJson(const std::string& meter, const Telegram& telegram) {
  std::string out = "{";
  Key(&out, "meter");
  AppendJsonString(&out, meter);
  out += ",";
  Key(&out, "received_at");
  AppendJsonString(&out, UtcTime(telegram.received_unix_ms));
  out += ",";
  std::string reading = RenderJson(telegram.reading);  // {"header":...}
  out.append(reading, 1);
  return out;
}

HttpResponse ApiExporter::Meters() const {
  const int64_t now = WallClockMs();
  std::string o = "{\"meters\":[";
  bool first = true;
  for (const MeterSnapshotPtr& m : source_()) {
    if (!first) o += ",";
    first = false;
    o += "{";
    Key(&o, "name");
    AppendJsonString(&o, m->name);
    o += ",\"labels\":{";
    bool first_label = true;
    for (const auto& [k, v] : m->labels) {
      if (!first_label) o += ",";
      first_label = false;
      Key(&o, k);
      AppendJsonString(&o, v);
    }
    o += "},\"source\":{";
    Key(&o, "kind");
    AppendJsonString(&o, m->source_kind);
    o += ",";
    Key(&o, "address");
    AppendJsonString(&o, m->source_address);
    o += std::string(",\"connected\":") + (m->source_connected ? "true" : "false") + "},";
    o += std::string("\"up\":") + (m->Up(now) ? "true" : "false") + ",\"last_telegram\":";
    if (m->latest) {
      AppendJsonString(&o, UtcTime(m->latest->received_unix_ms));
      o += ",\"age_seconds\":";
      AppendJsonNumber(&o, static_cast<double>(now - m->latest->received_unix_ms) / 1000.0);
    } else {
      o += "null,\"age_seconds\":null";
    }
    const MeterCounters& c = m->counters;
    o += ",\"counters\":{";
    Count(&o, "telegrams", c.telegrams);
    Count(&o, "received_bytes", c.received_bytes);
    Count(&o, "reconnects", c.reconnects);
    Count(&o, "silence_reconnects", c.silence_reconnects);
    o += "\"errors\":{";
    Count(&o, "crc", c.crc_errors);
    Count(&o, "crc_missing", c.crc_missing_errors);
    Count(&o, "malformed", c.malformed_errors);
    Count(&o, "parse", c.parse_errors);
    Count(&o, "overflow", c.overflow_errors);
    Count(&o, "truncated", c.truncated_errors);
    Count(&o, "decrypt", c.decrypt_errors);
    Count(&o, "timeout", c.timeouts, /*last=*/true);
    o += "}},\"listeners\":[";
    for (size_t i = 0; i < m->listeners.size(); ++i) {
      const ListenerStats& l = m->listeners[i];
      if (i > 0) o += ",";
      o += "{";
      Key(&o, "listen");
      AppendJsonString(&o, l.listener);
      o += ",";
      Key(&o, "protocol");
      AppendJsonString(&o, l.protocol);
      o += ",";
      Count(&o, "clients", l.clients, /*last=*/true);
      o += "}";
    }
    o += "]}";
  }
  const Stats s = stats();
  o += "],\"events\":{";
  Count(&o, "clients", s.clients);
  Count(&o, "dropped", s.dropped, /*last=*/true);
  o += "}}";
  return HttpResponse::Json(200, std::move(o));
}

HttpResponse ApiExporter::Meter(const HttpRequest& req) const {
  std::string_view rest =
      std::string_view(req.path).substr(std::string_view("/api/v1/meters/").size());
  const bool telegram = rest.size() > 9 && rest.substr(rest.size() - 9) == "/telegram";
  if (telegram) rest.remove_suffix(9);
  if (rest.find('/') != std::string_view::npos) return JsonError(404, "no such API path");
  for (const MeterSnapshotPtr& m : source_()) {
    if (m->name != rest) continue;
    if (!m->latest) return JsonError(404, "meter '" + m->name + "' has no telegram yet");
    if (telegram) return HttpResponse::Text(200, m->latest->plaintext);
    return HttpResponse::Json(200, ReadingJson(m->name, *m->latest));
  }
  return JsonError(404, "unknown meter '" + std::string(rest) + "'");
}

HttpResponse ApiExporter::Health() const {
  const int64_t now = WallClockMs();
  std::string down;
  std::string list;
  for (const MeterSnapshotPtr& m : source_()) {
    const bool up = m->Up(now);
    if (!list.empty()) list += ",";
    list += "{";
    Key(&list, "name");
    AppendJsonString(&list, m->name);
    list += std::string(",\"up\":") + (up ? "true" : "false") + "}";
    if (!up) {
      if (!down.empty()) down += ",";
      AppendJsonString(&down, m->name);
    }
  }
  const bool ok = down.empty();
  return HttpResponse::Json(ok ? 200 : 503, std::string("{\"status\":\"") + (ok ? "ok" : "down") +
                                                "\",\"down\":[" + down + "],\"meters\":[" + list +
                                                "]}");
}

HttpResponse ApiExporter::Events(const HttpRequest& req) {
  Client client;
  client.meters = req.QueryValues("meter");
  if (!client.meters.empty()) {
    const std::vector<MeterSnapshotPtr> meters = source_();
    for (const std::string& want : client.meters) {
      if (std::none_of(meters.begin(), meters.end(),
                       [&](const MeterSnapshotPtr& m) { return m->name == want; })) {
        return JsonError(404, "unknown meter '" + want + "'");
      }
    }
  }
  // Resumption: the events after Last-Event-ID that are still kept. An id
  // from before a restart (larger than any now) resumes nothing.
  uint64_t last = 0;
  const std::string_view last_id = req.Header("last-event-id");
  bool resume = !last_id.empty();
  for (char c : last_id) resume = resume && c >= '0' && c <= '9' && last_id.size() <= 19;
  if (resume) last = std::stoull(std::string(last_id));
  HttpResponse r = HttpResponse::Text(200, "retry: 3000\n\n");
  r.content_type = "text/event-stream";
  r.headers.emplace_back("X-Accel-Buffering", "no");  // nginx: do not buffer the stream
  r.on_stream = [this, client = std::move(client), resume,
                 last](std::shared_ptr<HttpStream> stream) mutable {
    if (resume && last < next_id_) {
      for (Event& e : recent_) {
        if (e.id > last && client.Wants(e.meter) && stream->Send(Text(&e))) ++stats_.deliveries;
      }
    }
    client.stream = std::move(stream);
    Prune();
    clients_.push_back(std::move(client));
  };
  return r;
}

const OutChunk& ApiExporter::Text(Event* e) {
  if (e->chunk.empty()) {
    std::string text = "id: " + std::to_string(e->id) + "\nevent: reading\ndata: ";
    text += ReadingJson(e->meter, *e->telegram);
    text += "\n\n";
    e->chunk = OutChunk::Of(std::make_shared<const std::string>(std::move(text)));
  }
  return e->chunk;
}

// Without clients an event is only kept for resumption; its text is built
// when someone first needs it.
void ApiExporter::Publish(const std::string& meter, const TelegramPtr& telegram) {
  if (!telegram) return;
  recent_.push_back(Event{next_id_++, meter, telegram, {}});
  while (recent_.size() > options_.resumable_events) recent_.pop_front();
  Event& e = recent_.back();
  ++stats_.events;
  bool gone = false;
  for (Client& c : clients_) {
    if (!c.stream->open()) {
      gone = true;
      continue;
    }
    if (!c.Wants(meter)) continue;
    if (c.stream->Send(Text(&e))) {
      ++stats_.deliveries;
    } else if (c.stream->open()) {
      ++stats_.dropped;
    }
  }
  if (gone) Prune();
}

void ApiExporter::Prune() {
  std::erase_if(clients_, [](const Client& c) { return !c.stream->open(); });
}

void ApiExporter::OnHeartbeat(uv_timer_t* timer) {
  auto* self = static_cast<ApiExporter*>(timer->data);
  if (self == nullptr) return;
  self->Prune();
  for (Client& c : self->clients_) c.stream->Send(self->heartbeat_chunk_);
}

}  // namespace p1
