#include "exporters/http/http_response.h"

#include <zlib.h>

#include <cctype>

namespace p1 {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

const char* HttpStatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

bool AcceptsGzip(std::string_view accept_encoding) {
  std::string_view rest = accept_encoding;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t semi = item.find(';');
    const std::string_view coding = Trim(item.substr(0, semi));
    if (!EqualsNoCase(coding, "gzip") && !EqualsNoCase(coding, "x-gzip") && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    const std::string_view params = Trim(item.substr(semi + 1));
    // "q=0", "q=0.0", "q=0.000" refuse; any other weight accepts.
    if (params.substr(0, 2) != "q=") return true;
    const std::string_view q = params.substr(2);
    if (q.empty() || q.find_first_not_of("0.") != std::string_view::npos) return true;
  }
  return false;
}

std::string Gzip(std::string_view in) {
  z_stream zs{};
  // 15 + 16: a gzip wrapper rather than zlib. Level 1: scrapes are frequent
  // and text compresses well even at the fastest level.
  if (deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  // Grown a step at a time: exposition text shrinks ~10x, and sizing the
  // output to deflateBound zero-filled (and faulted in) the whole input's
  // size, a fifth of a 500-meter scrape's CPU.
  constexpr size_t kStep = 64 * 1024;
  std::string out;
  int rc = Z_OK;
  while (rc == Z_OK) {
    const size_t used = out.size();
    out.resize(used + kStep);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = static_cast<uInt>(kStep);
    rc = deflate(&zs, Z_FINISH);
    out.resize(used + kStep - zs.avail_out);
  }
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return {};
  return out;
}

std::string HttpResponseHead(const HttpRequest* req, HttpResponse* resp, bool keep_alive) {
  const bool stream = static_cast<bool>(resp->on_stream);
  const bool http10 = req == nullptr || req->version_minor == 0;
  std::string head = "HTTP/1.1 " + std::to_string(resp->status) + " " +
                     HttpStatusText(resp->status) + "\r\nContent-Type: " + resp->content_type +
                     "\r\n";
  if (stream) {
    // HTTP/1.0 has no chunked coding: the stream ends with the connection.
    if (http10) keep_alive = false;
    head += http10 ? "Cache-Control: no-cache\r\n"
                   : "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n";
  } else {
    if (resp->status == 200 && req != nullptr && AcceptsGzip(req->Header("accept-encoding"))) {
      std::string zipped = Gzip(resp->shared_body ? *resp->shared_body : resp->body);
      if (!zipped.empty()) {
        resp->body = std::move(zipped);
        resp->shared_body = nullptr;
        head += "Content-Encoding: gzip\r\n";
      }
    }
    const size_t length = resp->shared_body ? resp->shared_body->size() : resp->body.size();
    head += "Content-Length: " + std::to_string(length) + "\r\nVary: Accept-Encoding\r\n";
  }
  for (const auto& [name, value] : resp->headers) head += name + ": " + value + "\r\n";
  if (!keep_alive) {
    head += "Connection: close\r\n";
  } else if (http10) {
    head += "Connection: keep-alive\r\n";
  }
  head += "\r\n";
  return head;
}

}  // namespace p1
