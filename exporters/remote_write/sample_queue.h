// SampleQueue: the bounded in-memory queue of one remote-write target
// (pure). Samples are kept oldest first; each series' labels (with the
// target's external labels) are encoded once and shared by its samples. A
// series never gets a sample that is not newer than its last one (a wall
// clock stepping back, an interval tick and a telegram in the same
// millisecond), which the receivers would refuse. When full, the oldest
// samples go (counted). TakeBatch removes the oldest samples as one
// compressed WriteRequest; nothing is ever reordered.
// Also the retry policy: which answers are retried, which dropped.
#ifndef P1GW_EXPORTERS_REMOTE_WRITE_SAMPLE_QUEUE_H_
#define P1GW_EXPORTERS_REMOTE_WRITE_SAMPLE_QUEUE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <prometheus/metric_family.h>

namespace p1 {

// One request's worth of samples, compressed and ready to POST.
struct Batch {
  std::string body;  // snappy(WriteRequest)
  size_t samples = 0;
  int64_t oldest_ms = 0;
  int64_t newest_ms = 0;
  bool empty() const { return samples == 0; }
};

class SampleQueue {
 public:
  // `external`: added to every series that has no label of that name.
  SampleQueue(size_t capacity, std::map<std::string, std::string> external);

  // Queues every sample of `families` at `ts_ms`; returns how many were
  // queued (samples not newer than their series' last are skipped).
  size_t Add(const std::vector<prometheus::MetricFamily>& families, int64_t ts_ms);
  // Removes up to `max_samples` of the oldest samples as one request.
  Batch TakeBatch(size_t max_samples);

  size_t size() const { return samples_.size(); }
  bool empty() const { return samples_.empty(); }
  int64_t oldest_ms() const { return samples_.empty() ? 0 : samples_.front().ts_ms; }
  uint64_t dropped() const { return dropped_; }  // lost to a full queue
  size_t series() const { return series_.size(); }  // interned series (tests)

 private:
  struct Series {
    std::string labels;  // EncodeLabels
    int64_t last_ms = INT64_MIN;
  };
  struct Sample {
    std::shared_ptr<Series> series;
    int64_t ts_ms;
    double value;
  };
  // The series for these labels, interned by their encoding.
  std::shared_ptr<Series> Intern(std::vector<std::pair<std::string, std::string>> labels);
  // Forgets series that have no queued sample and were not collected lately.
  void Sweep();

  size_t capacity_;
  std::map<std::string, std::string> external_;
  std::deque<Sample> samples_;
  // Keyed by a view of the Series' own encoding (one copy of the labels).
  std::unordered_map<std::string_view, std::shared_ptr<Series>> series_;
  size_t sweep_at_ = 1024;  // series_ size that triggers the next Sweep
  uint64_t dropped_ = 0;
};

// What to do with a request after its answer, as Prometheus' remote-write
// client does: 2xx sent; 5xx, 429 and transport errors (`http_status` 0:
// no answer, a timeout, a refused connection) retried with backoff;
// anything else (4xx, and 1xx/3xx, which curl does not follow) dropped.
enum class SendOutcome { kSent, kRetry, kDrop };
SendOutcome ClassifyAnswer(long http_status);

// A Retry-After header's delta-seconds as milliseconds, or -1 when it is
// absent or not a number (HTTP dates are the caller's to parse).
int64_t ParseRetryAfterSeconds(std::string_view value);

}  // namespace p1

#endif  // P1GW_EXPORTERS_REMOTE_WRITE_SAMPLE_QUEUE_H_
