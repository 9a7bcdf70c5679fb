#include "exporters/http/http_request.h"

#include <cctype>

namespace p1 {
namespace {

HttpRequestReader* Self(http_parser* p) { return static_cast<HttpRequestReader*>(p->data); }

void AppendLower(std::string* out, const char* at, size_t len) {
  for (size_t i = 0; i < len; ++i)
    out->push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(at[i]))));
}

}  // namespace

std::string_view HttpRequest::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

std::vector<std::string> HttpRequest::QueryValues(std::string_view name) const {
  std::vector<std::string> out;
  std::string_view rest = query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string_view values = pair.substr(eq + 1);
    while (!values.empty()) {
      const size_t comma = values.find(',');
      if (std::string_view v = values.substr(0, comma); !v.empty()) out.emplace_back(v);
      values = comma == std::string_view::npos ? std::string_view() : values.substr(comma + 1);
    }
  }
  return out;
}

HttpRequestReader::HttpRequestReader(HttpLimits limits) : limits_(limits) {
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = OnMessageBegin;
  settings_.on_url = OnUrl;
  settings_.on_header_field = OnHeaderField;
  settings_.on_header_value = OnHeaderValue;
  settings_.on_headers_complete = OnHeadersComplete;
  settings_.on_body = OnBody;
  settings_.on_message_complete = OnMessageComplete;
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

size_t HttpRequestReader::Feed(std::string_view in) {
  if (ready_ || failed() || finished_ || in.empty()) return 0;
  const size_t n = http_parser_execute(&parser_, &settings_, in.data(), in.size());
  const http_errno err = HTTP_PARSER_ERRNO(&parser_);
  if (err == HPE_PAUSED) return n;  // paused by OnMessageComplete: one request is ready
  if (err != HPE_OK && error_status_ == 0) error_status_ = err == HPE_HEADER_OVERFLOW ? 431 : 400;
  return n;
}

void HttpRequestReader::Next() {
  if (!ready_) return;
  finished_ = !request_.keep_alive;
  ready_ = false;
  started_ = false;
  request_ = HttpRequest();
  head_bytes_ = 0;
  in_value_ = false;
  http_parser_pause(&parser_, 0);
}

int HttpRequestReader::Fail(int status) {
  error_status_ = status;
  return 1;  // http-parser stops with HPE_CB_*
}

bool HttpRequestReader::CountHead(size_t len) {
  head_bytes_ += len;
  return head_bytes_ <= limits_.max_head;
}

int HttpRequestReader::OnMessageBegin(http_parser* p) {
  Self(p)->started_ = true;
  return 0;
}

int HttpRequestReader::OnUrl(http_parser* p, const char* at, size_t len) {
  HttpRequestReader* self = Self(p);
  // An over-long request line is 414 in the RFC; 431 is what a client
  // handles alike, and one status for "head too large" is simpler.
  if (!self->CountHead(len)) return self->Fail(431);
  self->request_.target.append(at, len);
  return 0;
}

int HttpRequestReader::OnHeaderField(http_parser* p, const char* at, size_t len) {
  HttpRequestReader* self = Self(p);
  auto& headers = self->request_.headers;
  if (self->in_value_ || headers.empty()) {  // a new header (a name may come in pieces)
    if (headers.size() >= self->limits_.max_headers || !self->CountHead(4))
      return self->Fail(431);  // ": ", CRLF
    headers.emplace_back();
    self->in_value_ = false;
  }
  if (!self->CountHead(len)) return self->Fail(431);
  AppendLower(&headers.back().first, at, len);
  return 0;
}

int HttpRequestReader::OnHeaderValue(http_parser* p, const char* at, size_t len) {
  HttpRequestReader* self = Self(p);
  if (!self->CountHead(len)) return self->Fail(431);
  if (self->request_.headers.empty()) return self->Fail(400);
  self->in_value_ = true;
  self->request_.headers.back().second.append(at, len);
  return 0;
}

int HttpRequestReader::OnHeadersComplete(http_parser* p) {
  HttpRequestReader* self = Self(p);
  HttpRequest& r = self->request_;
  r.method = http_method_str(static_cast<http_method>(p->method));
  r.version_minor = p->http_major == 1 ? p->http_minor : 0;
  if (p->http_major != 1) return self->Fail(400);
  r.keep_alive = http_should_keep_alive(p) != 0;
  const size_t q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  if ((p->flags & F_CONTENTLENGTH) && p->content_length > self->limits_.max_body)
    return self->Fail(413);
  return 0;
}

int HttpRequestReader::OnBody(http_parser* p, const char* at, size_t len) {
  HttpRequestReader* self = Self(p);
  if (self->request_.body.size() + len > self->limits_.max_body) return self->Fail(413);
  self->request_.body.append(at, len);
  return 0;
}

int HttpRequestReader::OnMessageComplete(http_parser* p) {
  HttpRequestReader* self = Self(p);
  self->ready_ = true;
  // After an Upgrade request (curl --http2 asks for h2c) http-parser reads
  // no further; the request is answered in HTTP/1.1 and the connection ends.
  if (p->upgrade) self->request_.keep_alive = false;
  http_parser_pause(p, 1);  // Feed returns here: one request at a time
  return 0;
}

}  // namespace p1
