#include "exporters/remote_write/remote_writer.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <utility>

#include "gateway/loop/wall_clock.h"

namespace p1 {
namespace {

constexpr int64_t kMaxRetryAfterMs = 300'000;  // a Retry-After beyond 5 min is not waited out
constexpr size_t kAnswerLogBytes = 256;
constexpr size_t kTrimAfterSamples = 5000;  // ~100 meters' families
constexpr int64_t kTrimEveryMs = 60'000;

bool ReadFirstLine(const std::string& path, std::string* line, std::string* err) {
  std::ifstream in(path);
  if (!in || !std::getline(in, *line)) {
    *err = "cannot read " + path;
    return false;
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

}  // namespace

RemoteWriter::RemoteWriter(uv_loop_t* loop, RemoteWriteConfig config, std::string version,
                           Source source)
    : loop_(loop),
      config_(std::move(config)),
      version_(std::move(version)),
      source_(std::move(source)),
      queue_(config_.queue_samples, config_.external_labels),
      multi_(loop, this) {
  interval_.Init(uv_timer_init, loop_, this);
  retry_.Init(uv_timer_init, loop_, this);
}

RemoteWriter::~RemoteWriter() {
  if (in_flight_) multi_.Remove(easy_.get());
}

bool RemoteWriter::ReadSecret(const RemoteWriteConfig& c, std::string* secret, std::string* err) {
  secret->clear();
  const std::string& file =
      !c.basic_auth_password_file.empty() ? c.basic_auth_password_file : c.bearer_token_file;
  if (file.empty()) return true;
  if (!ReadFirstLine(file, secret, err)) {
    *err = "remote_write " + c.name + ": " + *err;
    return false;
  }
  return true;
}

bool RemoteWriter::Prepare(std::string* err) {
  if (!ReadSecret(config_, &secret_, err)) return false;
  if (!multi_.ok()) {
    *err = "remote_write " + config_.name + ": libcurl: " + Curl().error;
    return false;
  }
  easy_.reset(Curl().easy_init());
  if (!easy_) {
    *err = "remote_write " + config_.name + ": curl_easy_init failed";
    return false;
  }
  CURL* e = easy_.get();
  curl_slist* h = nullptr;
  h = Curl().slist_append(h, "Content-Encoding: snappy");
  h = Curl().slist_append(h, "Content-Type: application/x-protobuf");
  h = Curl().slist_append(h, "X-Prometheus-Remote-Write-Version: 0.1.0");
  h = Curl().slist_append(h, "Expect:");  // no 1 s wait for "100 Continue"
  if (!config_.bearer_token_file.empty()) {
    h = Curl().slist_append(h, ("Authorization: Bearer " + secret_).c_str());
  }
  headers_.reset(h);
  const std::string agent = "p1gateway/" + version_;
  Curl().easy_setopt(e, CURLOPT_URL, config_.url.c_str());
  Curl().easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  Curl().easy_setopt(e, CURLOPT_HTTPHEADER, headers_.get());
  Curl().easy_setopt(e, CURLOPT_USERAGENT, agent.c_str());  // curl copies strings
  Curl().easy_setopt(e, CURLOPT_POST, 1L);
  Curl().easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  // A reload or shutdown must not wait for a hung name lookup to end.
  Curl().easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
  Curl().easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.timeout.count()));
  Curl().easy_setopt(e, CURLOPT_HEADERFUNCTION, OnHeader);
  Curl().easy_setopt(e, CURLOPT_HEADERDATA, this);
  Curl().easy_setopt(e, CURLOPT_WRITEFUNCTION, OnBody);
  Curl().easy_setopt(e, CURLOPT_WRITEDATA, this);
  if (!config_.basic_auth_user.empty()) {
    Curl().easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    Curl().easy_setopt(e, CURLOPT_USERNAME, config_.basic_auth_user.c_str());
    Curl().easy_setopt(e, CURLOPT_PASSWORD, secret_.c_str());
  }
  if (!config_.tls_ca_file.empty()) Curl().easy_setopt(e, CURLOPT_CAINFO, config_.tls_ca_file.c_str());
  if (config_.tls_insecure_skip_verify) {
    Curl().easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    Curl().easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  return true;
}

void RemoteWriter::Start() {
  const auto every = static_cast<uint64_t>(config_.interval.count());
  uv_timer_start(interval_.get(), OnInterval, every, every);
  spdlog::info("remote_write {}: pushing to {} every {} ms{}", config_.name, config_.url, every,
               config_.on_telegram ? " and at every telegram" : "");
}

void RemoteWriter::OnInterval(uv_timer_t* handle) {
  auto* self = static_cast<RemoteWriter*>(handle->data);
  if (self != nullptr) self->Push();
}

void RemoteWriter::Push() {
  const int64_t now = WallClockMs();
  // As after a scrape (PrometheusExporter::Render): a fleet's families are
  // ~10^4 small blocks, freed just now, whose pages glibc keeps unless told.
  // At most every kTrimEveryMs: the heap walk costs more than it returns
  // when pushes come every second (500 meters: +4 % of a core for -6 MB).
  if (queue_.Add(source_(now), now) > kTrimAfterSamples && now - last_trim_ms_ >= kTrimEveryMs) {
    malloc_trim(0);
    last_trim_ms_ = now;
  }
  flushing_ = true;
  MaybeSend();
}

void RemoteWriter::Add(const std::vector<prometheus::MetricFamily>& families, int64_t ts_ms) {
  queue_.Add(families, ts_ms);
  MaybeSend();
}

void RemoteWriter::MaybeSend() {
  if (in_flight_ || waiting_ || !easy_) return;
  if (batch_.empty()) {
    if (queue_.empty()) {
      flushing_ = false;
      return;
    }
    if (!flushing_ && queue_.size() < config_.max_samples_per_send) return;
    batch_ = queue_.TakeBatch(config_.max_samples_per_send);
  }
  Send();
}

void RemoteWriter::Send() {
  CURL* e = easy_.get();
  retry_after_.clear();
  answer_.clear();
  Curl().easy_setopt(e, CURLOPT_POSTFIELDS, batch_.body.data());
  Curl().easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(batch_.body.size()));
  if (!multi_.Add(e)) {
    spdlog::error("remote_write {}: curl refused the request", config_.name);
    return;
  }
  in_flight_ = true;
}

size_t RemoteWriter::OnHeader(char* data, size_t size, size_t n, void* userp) {
  auto* self = static_cast<RemoteWriter*>(userp);
  std::string_view line(data, size * n);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    std::string lower(line.substr(0, kName.size()));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == kName) {
      std::string_view v = line.substr(kName.size());
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) {
        v.remove_suffix(1);
      }
      self->retry_after_ = std::string(v);  // curl_getdate wants it bare
    }
  }
  if (line.rfind("HTTP/", 0) == 0) self->retry_after_.clear();  // a new answer (after a 1xx)
  return size * n;
}

size_t RemoteWriter::OnBody(char* data, size_t size, size_t n, void* userp) {
  auto* self = static_cast<RemoteWriter*>(userp);
  const size_t room = kAnswerLogBytes - std::min(kAnswerLogBytes, self->answer_.size());
  self->answer_.append(data, std::min(room, size * n));
  return size * n;
}

void RemoteWriter::OnTransferDone(CURL* easy, CURLcode result) {
  in_flight_ = false;
  long status = 0;
  if (result == CURLE_OK) Curl().easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  const SendOutcome outcome = ClassifyAnswer(status);
  for (char& c : answer_) c = (c == '\n' || c == '\r') ? ' ' : c;
  if (outcome == SendOutcome::kSent) {
    if (failures_in_row_ > 0) {
      spdlog::info("remote_write {}: delivering again after {} failed attempts", config_.name,
                   failures_in_row_);
    }
    failures_in_row_ = 0;
    rejects_in_row_ = 0;
    sent_ += batch_.samples;
    last_success_ms_ = WallClockMs();
    backoff_.Reset();
    batch_ = Batch{};
    MaybeSend();
    return;
  }
  if (outcome == SendOutcome::kDrop) {
    // Once per run of refusals: a target refusing everything must not
    // flood the log every interval (the counter tells how many).
    if (rejects_in_row_++ == 0) {
      spdlog::warn("remote_write {}: HTTP {} dropped {} samples: {}", config_.name, status,
                   batch_.samples, answer_);
    } else {
      spdlog::debug("remote_write {}: HTTP {} dropped {} samples: {}", config_.name, status,
                    batch_.samples, answer_);
    }
    rejected_ += batch_.samples;
    batch_ = Batch{};
    MaybeSend();
    return;
  }
  failed_ += batch_.samples;
  int64_t delay = static_cast<int64_t>(backoff_.Next());
  int64_t after = ParseRetryAfterSeconds(retry_after_);
  if (after < 0 && !retry_after_.empty()) {
    const time_t at = Curl().getdate(retry_after_.c_str(), nullptr);  // an HTTP date
    if (at > 0) after = std::max<int64_t>(0, static_cast<int64_t>(at) * 1000 - WallClockMs());
  }
  if (after > delay) delay = std::min(after, kMaxRetryAfterMs);
  const std::string why = result != CURLE_OK ? Curl().easy_strerror(result)
                                             : "HTTP " + std::to_string(status) + " " + answer_;
  if (failures_in_row_++ == 0) {
    spdlog::warn("remote_write {}: {}; retrying {} samples (then every <= 5 s)", config_.name,
                 why, batch_.samples);
  } else {
    spdlog::debug("remote_write {}: {}; retry in {} ms", config_.name, why, delay);
  }
  waiting_ = true;
  uv_timer_start(retry_.get(), OnRetry, static_cast<uint64_t>(delay), 0);
}

void RemoteWriter::OnRetry(uv_timer_t* handle) {
  auto* self = static_cast<RemoteWriter*>(handle->data);
  if (self == nullptr) return;
  self->waiting_ = false;
  self->Send();
}

RemoteWriteMetrics RemoteWriter::metrics() const {
  RemoteWriteMetrics m;
  m.target = config_.name;
  m.sent = sent_;
  m.failed = failed_;
  m.dropped_queue_full = queue_.dropped();
  m.dropped_rejected = rejected_;
  m.pending = queue_.size() + batch_.samples;
  m.last_success_unix_ms = last_success_ms_;
  m.oldest_pending_unix_ms = !batch_.empty() ? batch_.oldest_ms : queue_.oldest_ms();
  return m;
}

}  // namespace p1
