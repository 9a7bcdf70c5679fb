// A remote-write receiver for loop tests: HTTP/1.1 on 127.0.0.1 (an
// ephemeral port) on the test's own libuv loop, keep-alive, answering each
// request with the next status of a script (200 once the script is empty)
// and recording every request's head and body.
#ifndef P1GW_TESTS_EXPORTERS_REMOTE_WRITE_FAKE_RECEIVER_H_
#define P1GW_TESTS_EXPORTERS_REMOTE_WRITE_FAKE_RECEIVER_H_

#include <uv.h>

#include <cstdlib>
#include <deque>
#include <set>
#include <string>
#include <strings.h>

namespace p1::testing {

class FakeReceiver {
 public:
  struct Request {
    std::string head;  // request line and headers
    std::string body;
  };
  struct Answer {
    int status = 200;
    std::string extra_headers;  // "Retry-After: 1\r\n"
  };

  // Listens on `port` (0: an ephemeral one).
  explicit FakeReceiver(uv_loop_t* loop, int port = 0) : loop_(loop) {
    uv_tcp_init(loop_, server_);
    server_->data = this;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", port, &addr);
    uv_tcp_bind(server_, reinterpret_cast<const sockaddr*>(&addr), 0);
    uv_listen(reinterpret_cast<uv_stream_t*>(server_), 16, OnConnection);
    sockaddr_storage bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(server_, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  ~FakeReceiver() { Close(); }

  // Closes the listener and every connection; each handle's memory goes in
  // its close callback, so the loop may finish the closes after this object.
  void Close() {
    if (server_ == nullptr) return;
    uv_close(reinterpret_cast<uv_handle_t*>(server_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    server_ = nullptr;
    for (Conn* c : conns_) {
      c->owner = nullptr;
      if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->tcp))) {
        uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), OnConnClosed);
      }
    }
    conns_.clear();
  }

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api/v1/write"; }
  std::deque<Answer> script;
  std::deque<Request> requests;

 private:
  struct Conn {
    FakeReceiver* owner;  // null once the receiver closed it
    uv_tcp_t tcp;
    std::string in;
  };
  static void OnConnClosed(uv_handle_t* h) {
    auto* c = static_cast<Conn*>(h->data);
    if (c->owner != nullptr) c->owner->conns_.erase(c);
    delete c;
  }
  struct Write {
    uv_write_t req;
    std::string bytes;
  };

  static void OnConnection(uv_stream_t* server, int status) {
    auto* self = static_cast<FakeReceiver*>(server->data);
    if (status < 0) return;
    auto* c = new Conn{self, {}, {}};
    self->conns_.insert(c);
    uv_tcp_init(self->loop_, &c->tcp);
    c->tcp.data = c;
    uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp));
    uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), OnAlloc, OnRead);
  }
  static void OnAlloc(uv_handle_t*, size_t, uv_buf_t* buf) {
    static char block[65536];
    *buf = uv_buf_init(block, sizeof block);
  }
  static void OnRead(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
    auto* c = static_cast<Conn*>(s->data);
    if (n < 0) {
      if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(s))) {
        uv_close(reinterpret_cast<uv_handle_t*>(s), OnConnClosed);
      }
      return;
    }
    if (c->owner == nullptr) return;
    c->in.append(buf->base, static_cast<size_t>(n));
    for (;;) {
      const size_t end = c->in.find("\r\n\r\n");
      if (end == std::string::npos) return;
      std::string head = c->in.substr(0, end + 2);
      size_t length = 0;
      for (size_t at = 0; (at = head.find("\r\n", at)) != std::string::npos;) {
        at += 2;
        if (strncasecmp(head.c_str() + at, "Content-Length:", 15) == 0) {
          length = std::strtoul(head.c_str() + at + 15, nullptr, 10);
        }
      }
      if (c->in.size() < end + 4 + length) return;
      c->owner->requests.push_back({head, c->in.substr(end + 4, length)});
      c->in.erase(0, end + 4 + length);
      Answer a;
      if (!c->owner->script.empty()) {
        a = c->owner->script.front();
        c->owner->script.pop_front();
      }
      auto* w = new Write;
      w->bytes = "HTTP/1.1 " + std::to_string(a.status) + " Scripted\r\nContent-Length: 4\r\n" +
                 a.extra_headers + "\r\nbody";
      w->req.data = w;
      uv_buf_t out = uv_buf_init(w->bytes.data(), static_cast<unsigned>(w->bytes.size()));
      uv_write(&w->req, s, &out, 1, [](uv_write_t* r, int) { delete static_cast<Write*>(r->data); });
    }
  }

  uv_loop_t* loop_;
  uv_tcp_t* server_ = new uv_tcp_t;
  std::set<Conn*> conns_;
  int port_ = 0;
};

}  // namespace p1::testing

#endif  // P1GW_TESTS_EXPORTERS_REMOTE_WRITE_FAKE_RECEIVER_H_
