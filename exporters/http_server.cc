#include "exporters/http_server.h"

#include <civetweb.h>
#include <zlib.h>

#include <cstring>
#include <string_view>

namespace p1 {
namespace {

const char* StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    default: return "Error";
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool AcceptsGzip(const char* accept_encoding) {
  if (accept_encoding == nullptr) return false;
  std::string_view rest(accept_encoding);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view coding = Trim(item.substr(0, semi));
    if (coding != "gzip" && coding != "x-gzip" && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view params = Trim(item.substr(semi + 1));
    // "q=0", "q=0.0", "q=0.000" refuse; any other weight accepts.
    if (params.substr(0, 2) == "q=") {
      std::string_view q = params.substr(2);
      bool zero = !q.empty() && q.find_first_not_of("0.") == std::string_view::npos;
      if (!zero) return true;
    } else {
      return true;
    }
  }
  return false;
}

std::string Gzip(const std::string& in) {
  z_stream zs{};
  // 15 + 16: a gzip wrapper rather than zlib. Level 1: scrapes are frequent
  // and text compresses well even at the fastest level.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out;
  out.resize(deflateBound(&zs, in.size()));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return {};
  out.resize(produced);
  return out;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Handle(std::string path, Handler handler) { handlers_[std::move(path)] = std::move(handler); }

bool HttpServer::Start(const std::string& host, uint16_t port, int threads, std::string* err) {
  bool v6 = host.find(':') != std::string::npos;
  if (v6 && mg_check_feature(8) == 0) {
    *err = "this civetweb build has no IPv6 support";
    return false;
  }
  std::string ports = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  std::string nthreads = std::to_string(threads < 1 ? 1 : threads);
  const char* options[] = {"listening_ports", ports.c_str(), "num_threads", nthreads.c_str(),
                           // Bounded: a client that stalls mid-request cannot hold a worker forever.
                           "request_timeout_ms", "10000", nullptr};
  mg_callbacks callbacks{};
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = this;
  init.configuration_options = options;
  char text[256] = {0};
  unsigned code = 0;
  mg_error_data error{&code, text, sizeof text};
  mg_init_library(0);
  ctx_ = mg_start2(&init, &error);
  if (ctx_ == nullptr) {
    *err = "cannot listen on " + ports + ": " + (text[0] != 0 ? text : "civetweb failed to start");
    mg_exit_library();
    return false;
  }
  mg_server_port bound[4];
  int n = mg_get_server_ports(ctx_, 4, bound);
  port_ = n > 0 ? static_cast<uint16_t>(bound[0].port) : port;
  mg_set_request_handler(ctx_, "/", &HttpServer::OnRequest, this);
  return true;
}

void HttpServer::Stop() {
  if (ctx_ == nullptr) return;
  mg_stop(ctx_);
  ctx_ = nullptr;
  mg_exit_library();
}

int HttpServer::OnRequest(mg_connection* conn, void* self) { return static_cast<HttpServer*>(self)->Serve(conn); }

int HttpServer::Serve(mg_connection* conn) {
  const mg_request_info* req = mg_get_request_info(conn);
  std::string_view method = req->request_method != nullptr ? req->request_method : "";
  std::string_view path = req->local_uri != nullptr ? req->local_uri : "";
  HttpResponse resp;
  auto it = handlers_.find(path);
  if (method != "GET" && method != "HEAD") {
    resp = {405, "text/plain; charset=utf-8", "method not allowed\n"};
  } else if (it == handlers_.end()) {
    resp = {404, "text/plain; charset=utf-8", "not found\n"};
  } else {
    resp = it->second();
  }
  const char* encoding = "";
  if (resp.status == 200 && AcceptsGzip(mg_get_header(conn, "Accept-Encoding"))) {
    std::string zipped = Gzip(resp.body);
    if (!zipped.empty()) {
      resp.body = std::move(zipped);
      encoding = "Content-Encoding: gzip\r\n";
    }
  }
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sVary: Accept-Encoding\r\n"
            "Connection: close\r\n\r\n",
            resp.status, StatusText(resp.status), resp.content_type.c_str(), resp.body.size(), encoding);
  if (method != "HEAD") mg_write(conn, resp.body.data(), resp.body.size());
  return resp.status;
}

}  // namespace p1
