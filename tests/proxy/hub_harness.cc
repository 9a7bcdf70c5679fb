// hub_harness: one Hub with one listener on 127.0.0.1 (ephemeral port),
// fed a telegram file in a loop. Prints "PORT <n>" once listening, exits
// after a time limit. For black-box tests with real clients (pyserial).
//   hub_harness raw|telnet|rfc2217 FILE [interval_ms=100] [max_seconds=30]
//               [port_settings=virtual|fixed]
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/loop/uv_handle.h"
#include "proxy/hub.h"

namespace {

struct Harness {
  p1::Hub* hub = nullptr;
  p1::TelegramPtr telegram;
  p1::UvHandle<uv_timer_t> feed;
  p1::UvHandle<uv_timer_t> limit;
};

void OnFeed(uv_timer_t* timer) {
  auto* h = static_cast<Harness*>(timer->data);
  if (h != nullptr) h->hub->OnTelegram(h->telegram);
}

void OnLimit(uv_timer_t* timer) {
  if (timer->data != nullptr) uv_stop(timer->loop);
}

int ParseInt(const char* text, int fallback) {
  int v = fallback;
  const std::string_view s(text);
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s raw|telnet|rfc2217 FILE [interval_ms] [max_seconds] [virtual|fixed]\n",
                 argv[0]);
    return 2;
  }
  spdlog::set_default_logger(spdlog::stderr_color_mt("harness"));  // stdout carries PORT
  const std::string_view proto = argv[1];
  p1::ListenerConfig c;
  c.listen.host = "127.0.0.1";
  c.protocol = proto == "rfc2217"  ? p1::ListenerProtocol::kRfc2217
               : proto == "telnet" ? p1::ListenerProtocol::kTelnet
                                   : p1::ListenerProtocol::kRaw;
  if (argc > 5 && std::string_view(argv[5]) == "fixed") c.port_settings = p1::PortSettings::kFixed;
  std::ifstream in(argv[2], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", argv[2]);
    return 1;
  }
  auto t = std::make_shared<p1::Telegram>();
  t->plaintext.assign(std::istreambuf_iterator<char>(in), {});
  t->raw = t->plaintext;
  t->crc = p1::CrcStatus::kValid;
  const int interval_ms = argc > 3 ? ParseInt(argv[3], 100) : 100;
  const int max_seconds = argc > 4 ? ParseInt(argv[4], 30) : 30;

  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    p1::Hub hub(&loop, "harness", {c}, p1::SerialSettings{});
    std::string err;
    if (!hub.Start(&err)) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
    Harness h;
    h.hub = &hub;
    h.telegram = t;
    h.feed.Init(uv_timer_init, &loop, &h);
    h.limit.Init(uv_timer_init, &loop, &h);
    uv_timer_start(h.feed.get(), OnFeed, interval_ms, interval_ms);
    uv_timer_start(h.limit.get(), OnLimit, static_cast<uint64_t>(max_seconds) * 1000, 0);
    std::printf("PORT %u\n", hub.BoundPorts()[0]);
    std::fflush(stdout);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // finish the closes
  return uv_loop_close(&loop) == 0 ? 0 : 1;
}
