// RemoteWriter: one [[remote_write]] target. Every `interval` it takes the
// gateway's families (the ones /metrics shows) from its source into a
// bounded SampleQueue and POSTs them, oldest first, as snappy-compressed
// remote-write 1.0 requests of at most max_samples_per_send samples, one
// request at a time. A 5xx, 429 or transport error retries the same
// request after a capped exponential backoff (or Retry-After, if longer);
// any other 4xx drops it (counted). While a request waits, new samples
// queue behind it; a full queue loses its oldest samples (counted). The
// HTTP client is libcurl's multi-socket API on the loop (CurlMulti).
// *loop must outlive this object; `collect` is called on the loop thread.
#ifndef P1GW_EXPORTERS_REMOTE_WRITE_REMOTE_WRITER_H_
#define P1GW_EXPORTERS_REMOTE_WRITE_REMOTE_WRITER_H_

#include <curl/curl.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "config/config.h"
#include "exporters/metrics/metrics_renderer.h"
#include "exporters/remote_write/curl_multi.h"
#include "exporters/remote_write/sample_queue.h"
#include "gateway/loop/uv_handle.h"

namespace p1 {

class RemoteWriter : public CurlMulti::Handler {
 public:
  // Every family to push at `now_unix_ms`.
  using Source = std::function<std::vector<prometheus::MetricFamily>(int64_t now_unix_ms)>;

  RemoteWriter(uv_loop_t* loop, RemoteWriteConfig config, std::string version, Source source);
  ~RemoteWriter() override;  // an unsent queue is lost (there is no spool yet)

  // Reads the password or token file and prepares the HTTP request. False
  // with *err; then nothing was started.
  bool Prepare(std::string* err);
  // Starts the interval timer (the first push one interval from now).
  void Start();

  // The secret this target sends: the first line of basic_auth_password_file
  // or bearer_token_file ("" with neither). False with *err.
  static bool ReadSecret(const RemoteWriteConfig& config, std::string* secret, std::string* err);
  const std::string& secret() const { return secret_; }
  const RemoteWriteConfig& config() const { return config_; }

  // Queues `families` at `ts_ms` (on_telegram: a meter's series at its
  // telegram); sent at the next interval, or now if a request is full.
  void Add(const std::vector<prometheus::MetricFamily>& families, int64_t ts_ms);
  // Collects and sends now, as the interval timer does.
  void Push();

  RemoteWriteMetrics metrics() const;

  // CurlMulti::Handler
  void OnTransferDone(CURL* easy, CURLcode result) override;

 private:
  static void OnInterval(uv_timer_t* handle);
  static void OnRetry(uv_timer_t* handle);
  static size_t OnHeader(char* data, size_t size, size_t n, void* userp);
  static size_t OnBody(char* data, size_t size, size_t n, void* userp);
  // Sends the next batch if nothing is on the way and one is due.
  void MaybeSend();
  void Send();

  uv_loop_t* loop_;
  RemoteWriteConfig config_;
  std::string version_;
  Source source_;
  std::string secret_;
  SampleQueue queue_;
  CurlMulti multi_;
  std::unique_ptr<CURL, void (*)(CURL*)> easy_{nullptr, [](CURL* e) { Curl().easy_cleanup(e); }};
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers_{
      nullptr, [](curl_slist* h) { Curl().slist_free_all(h); }};
  UvHandle<uv_timer_t> interval_;
  UvHandle<uv_timer_t> retry_;
  Backoff backoff_{100, 5000};
  Batch batch_;             // the request on the way or waiting for its retry
  bool in_flight_ = false;  // easy_ is in multi_
  bool waiting_ = false;    // retry_ runs
  bool flushing_ = false;   // an interval's push: send until the queue is empty
  std::string retry_after_;  // of the answer being received
  std::string answer_;       // its body's start, for the log
  uint64_t sent_ = 0;
  uint64_t failed_ = 0;
  uint64_t rejected_ = 0;
  uint64_t failures_in_row_ = 0;  // retryable failures since the last success
  uint64_t rejects_in_row_ = 0;   // dropped requests since the last success
  int64_t last_success_ms_ = 0;
  int64_t last_trim_ms_ = 0;  // malloc_trim after a large collection
};

}  // namespace p1

#endif  // P1GW_EXPORTERS_REMOTE_WRITE_REMOTE_WRITER_H_
