// HttpServer on a real loop with plain client sockets on loopback: the test
// thread runs the loop and the clients, so every wait is RunUntil on an
// observable condition (bytes arrived, the server closed, a counter moved).
#include "exporters/http/http_server.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "tests/exporters/http/http_test_client.h"

namespace p1 {
namespace {

using testing::Client;
using testing::Fixture;
using testing::kWaitMs;
using testing::RunUntil;

TEST_CASE("HTTP: HEAD sends the length and no body, pipelined requests are answered in order") {
  Fixture f;
  REQUIRE(f.listen_status == 0);
  Client c(&f.loop, f.port());
  c.Get("/x?head", "", "HEAD");
  auto head = c.Read(/*head_only=*/true);
  REQUIRE(head);
  CHECK(head->status() == 200);
  CHECK(head->Has("Content-Length: 6"));
  // Two requests in one segment: had HEAD sent a body, it would sit before this answer.
  c.Send("GET /x?1 HTTP/1.1\r\n\r\nGET /x?2 HTTP/1.1\r\n\r\n");
  auto one = c.Read();
  auto two = c.Read();
  REQUIRE(one);
  REQUIRE(two);
  CHECK(one->body == "x:1");
  CHECK(two->body == "x:2");
  CHECK(c.unread().empty());
}

TEST_CASE("HTTP: HTTP/1.0 and Connection: close end the connection after the answer") {
  Fixture f;
  REQUIRE(f.listen_status == 0);
  Client old(&f.loop, f.port());
  old.Send("GET /x HTTP/1.0\r\n\r\n");
  auto r = old.Read();
  REQUIRE(r);
  CHECK(r->Has("Connection: close"));
  CHECK(old.WaitClosed());
  Client close_after(&f.loop, f.port());
  close_after.Get("/x", "Connection: close\r\n");
  REQUIRE(close_after.Read());
  CHECK(close_after.WaitClosed());
  Client kept(&f.loop, f.port());
  kept.Send("GET /x?a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  r = kept.Read();
  REQUIRE(r);
  CHECK(r->Has("Connection: keep-alive"));
  kept.Send("GET /x?b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  r = kept.Read();
  REQUIRE(r);
  CHECK(r->body == "x:b");
}

TEST_CASE("HTTP: listening on [::] serves IPv6 and IPv4 loopback") {
  Fixture f({}, "::");
  if (f.listen_status != 0) {
    WARN("IPv6 unavailable here, skipped: " << uv_strerror(f.listen_status));
    return;
  }
  Client v6(&f.loop, f.port(), true);
  v6.Get("/x?6");
  auto r = v6.Read();
  REQUIRE(r);
  CHECK(r->body == "x:6");
  Client v4(&f.loop, f.port());
  v4.Get("/x?4");
  r = v4.Read();
  REQUIRE(r);
  CHECK(r->body == "x:4");
}

TEST_CASE("HTTP: a busy port is a clear error") {
  Fixture first;
  REQUIRE(first.listen_status == 0);
  HttpServer second(&first.loop);
  sockaddr_storage addr{};
  REQUIRE(NumericSocketAddress("127.0.0.1", first.port(), &addr) == 0);
  CHECK(second.Listen(addr) == UV_EADDRINUSE);
  CHECK(second.port() == 0);
}

TEST_CASE(
    "HTTP: oversized, malformed and too-large requests get a status and the connection closed") {
  Fixture f;
  REQUIRE(f.listen_status == 0);
  struct Case {
    std::string bytes;
    int status;
  } cases[] = {
      {"GET /x HTTP/1.1\r\nX-Junk: " + std::string(20000, 'a') + "\r\n\r\n", 431},
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n", 431},
      {"POST /x HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n", 413},
      {"BREW /x HTCPCP/1.0\r\n\r\n", 400},
      {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 400},
  };
  for (const Case& c : cases) {
    INFO(c.status << " " << c.bytes.substr(0, 20));
    Client client(&f.loop, f.port());
    client.Send(c.bytes);
    auto r = client.Read();
    REQUIRE(r);
    CHECK(r->status() == c.status);
    CHECK(r->Has("Connection: close"));
    CHECK(client.WaitClosed());
  }
  CHECK(f.server->stats().bad_requests == 5);
  // The server still answers afterwards.
  Client after(&f.loop, f.port());
  after.Get("/x");
  REQUIRE(after.Read());
}

TEST_CASE(
    "HTTP: 64 idle connections are held while other clients are served, the 65th from one address "
    "is refused") {
  Fixture f;
  REQUIRE(f.listen_status == 0);
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 64; ++i)
    idle.push_back(std::make_unique<Client>(&f.loop, f.port(), false, "127.0.0.2"));
  // Half of them start a request and stall in the middle of it (slowloris).
  for (int i = 0; i < 32; ++i) idle[i]->Send("GET /x HTTP/1.1\r\nHost: slow");
  REQUIRE(RunUntil(
      &f.loop, [&] { return f.server->stats().connections == 64; }, kWaitMs));

  Client over(&f.loop, f.port(), false, "127.0.0.2");
  auto busy = over.Read();
  REQUIRE(busy);
  CHECK(busy->status() == 503);
  CHECK(over.WaitClosed());
  CHECK(f.server->stats().rejected_per_client == 1);

  Client scraper(&f.loop, f.port());
  scraper.Get("/x?scrape");
  auto r = scraper.Read();
  REQUIRE(r);
  CHECK(r->body == "x:scrape");
  // Every held connection still works.
  for (int i = 0; i < 64; ++i) {
    idle[i]->Send(i < 32 ? "\r\n\r\n" : "GET /x HTTP/1.1\r\n\r\n");
    auto a = idle[i]->Read();
    REQUIRE(a);
    CHECK(a->status() == 200);
  }
}

TEST_CASE("HTTP: 200 concurrent scrapes are all answered") {
  Fixture f;
  REQUIRE(f.listen_status == 0);
  std::vector<std::unique_ptr<Client>> clients;
  const char* from[] = {"127.0.0.1", "127.0.0.3", "127.0.0.4", "127.0.0.5"};
  for (int i = 0; i < 200; ++i)
    clients.push_back(std::make_unique<Client>(&f.loop, f.port(), false, from[i % 4]));
  for (int i = 0; i < 200; ++i) clients[i]->Get("/x?" + std::to_string(i));
  for (int i = 0; i < 200; ++i) {
    auto r = clients[i]->Read();
    REQUIRE(r);
    CHECK(r->body == "x:" + std::to_string(i));
  }
  CHECK(f.server->stats().requests == 200);
}

TEST_CASE(
    "HTTP: a client that never reads a large answer stalls nobody and is dropped by the write "
    "timeout") {
  HttpServer::Options o;
  o.write_timeout_ms = 300;
  Fixture f(o);
  REQUIRE(f.listen_status == 0);
  f.server->Handle("/big", [](const HttpRequest&) {
    return HttpResponse::Text(200, std::string(32 << 20, 'b'));
  });
  Client stuck(&f.loop, f.port());
  stuck.Get("/big");
  Client other(&f.loop, f.port());
  for (int i = 0; i < 20; ++i) {
    other.Get("/x?" + std::to_string(i));
    auto r = other.Read();
    REQUIRE(r);
    CHECK(r->body == "x:" + std::to_string(i));
  }
  CHECK(RunUntil(
      &f.loop, [&] { return f.server->stats().timeouts == 1; }, kWaitMs));
  CHECK(RunUntil(
      &f.loop, [&] { return f.server->stats().connections == 1; }, kWaitMs));
}

TEST_CASE("HTTP: idle and half-sent requests time out") {
  HttpServer::Options o;
  o.idle_timeout_ms = 100;
  o.request_timeout_ms = 100;
  Fixture f(o);
  REQUIRE(f.listen_status == 0);
  Client idle(&f.loop, f.port());
  CHECK(idle.WaitClosed());
  CHECK(idle.unread().empty());
  Client half(&f.loop, f.port());
  half.Send("GET /x HTTP/1.1\r\nHo");
  auto r = half.Read();
  REQUIRE(r);
  CHECK(r->status() == 408);
  CHECK(half.WaitClosed());
  CHECK(f.server->stats().timeouts == 2);
}

TEST_CASE("HTTP: a client pipelining without reading is paused, then served in full") {
  Fixture f;
  REQUIRE(f.listen_status == 0);
  f.server->Handle("/64k", [](const HttpRequest&) {
    return HttpResponse::Text(200, std::string(64 << 10, 'p'));
  });
  Client c(&f.loop, f.port());
  std::string burst;
  for (int i = 0; i < 100; ++i) burst += "GET /64k HTTP/1.1\r\n\r\n";
  c.Send(burst);
  for (int i = 0; i < 100; ++i) {
    auto r = c.Read();
    REQUIRE(r);
    CHECK(r->body.size() == 64u << 10);
  }
  CHECK(f.server->stats().requests == 100);
}

TEST_CASE("HTTP: streams deliver chunks, a full queue drops whole chunks for that client only") {
  HttpServer::Options o;
  o.stream_queue_bytes = 64 << 10;
  Fixture f(o);
  REQUIRE(f.listen_status == 0);
  std::vector<std::shared_ptr<HttpStream>> streams;
  f.server->Handle("/events", [&](const HttpRequest&) {
    HttpResponse r = HttpResponse::Text(200, ": hello\n\n");
    r.content_type = "text/event-stream";
    r.on_stream = [&](std::shared_ptr<HttpStream> s) { streams.push_back(std::move(s)); };
    return r;
  });
  auto fast = std::make_unique<Client>(&f.loop, f.port());
  fast->Get("/events");
  auto head = fast->Read(/*head_only=*/true);
  REQUIRE(head);
  CHECK(head->Has("Transfer-Encoding: chunked"));
  CHECK(head->Has("Content-Type: text/event-stream"));
  Client slow(&f.loop, f.port());
  slow.Get("/events");  // never read
  REQUIRE(RunUntil(
      &f.loop, [&] { return streams.size() == 2; }, kWaitMs));
  CHECK(fast->ReadAtLeast(14) == "9\r\n: hello\n\n\r\n");

  auto event = std::make_shared<const std::string>("data: " + std::string(16 << 10, 'e') + "\n\n");
  const std::string framed = "4008\r\n" + *event + "\r\n";  // 0x4008: the event's size
  std::string ten;
  for (int k = 0; k < 10; ++k) ten += framed;
  for (int i = 0; i < 400; ++i) {
    streams[0]->Send(OutChunk::Of(event));
    streams[1]->Send(OutChunk::Of(event));
    if (i % 10 == 9) CHECK(fast->ReadAtLeast(10 * framed.size()) == ten);
  }
  CHECK(streams[0]->dropped() == 0);
  CHECK(streams[1]->dropped() > 0);
  CHECK(f.server->stats().stream_drops == streams[1]->dropped());

  // The client goes: its stream reports closed.
  fast.reset();
  CHECK(RunUntil(
      &f.loop, [&] { return !streams[0]->open(); }, kWaitMs));
  CHECK_FALSE(streams[0]->Send(OutChunk::Of(event)));
  CHECK(streams[1]->open());
}

}  // namespace
}  // namespace p1
