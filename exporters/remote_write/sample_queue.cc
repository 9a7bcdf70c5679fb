#include "exporters/remote_write/sample_queue.h"

#include <charconv>
#include <utility>

#include "exporters/metrics/metrics_renderer.h"
#include "exporters/remote_write/write_request.h"

namespace p1 {

SampleQueue::SampleQueue(size_t capacity, std::map<std::string, std::string> external)
    : capacity_(capacity), external_(std::move(external)) {}

std::shared_ptr<SampleQueue::Series> SampleQueue::Intern(
    std::vector<std::pair<std::string, std::string>> labels) {
  std::string key = EncodeLabels(std::move(labels));
  auto it = series_.find(key);
  if (it != series_.end()) return it->second;
  auto s = std::make_shared<Series>();
  s->labels = std::move(key);
  series_.emplace(s->labels, s);
  return s;
}

size_t SampleQueue::Add(const std::vector<prometheus::MetricFamily>& families, int64_t ts_ms) {
  size_t added = 0;
  std::vector<std::pair<std::string, std::string>> labels;
  for (const prometheus::MetricFamily& f : families) {
    for (const prometheus::ClientMetric& m : f.metric) {
      labels.clear();
      labels.emplace_back("__name__", f.name);
      for (const auto& l : m.label) labels.emplace_back(l.name, l.value);
      for (const auto& [name, value] : external_) {
        bool has = false;
        for (const auto& l : m.label) has = has || l.name == name;
        if (!has) labels.emplace_back(name, value);  // the series' own label wins
      }
      std::shared_ptr<Series> s = Intern(labels);
      if (ts_ms <= s->last_ms) continue;
      s->last_ms = ts_ms;
      samples_.push_back(Sample{std::move(s), ts_ms, SampleValue(f, m)});
      ++added;
    }
  }
  while (samples_.size() > capacity_) {
    samples_.pop_front();
    ++dropped_;
  }
  if (series_.size() >= sweep_at_) Sweep();
  return added;
}

void SampleQueue::Sweep() {
  // A series held only by the map has no sample queued. Kept ones stay
  // interned (so their last_ms guard holds); the rest were collected once
  // and may not come back (a meter removed by a reload, a listener gone).
  for (auto it = series_.begin(); it != series_.end();) {
    it = it->second.use_count() == 1 ? series_.erase(it) : std::next(it);
  }
  sweep_at_ = std::max<size_t>(1024, 2 * series_.size());
}

Batch SampleQueue::TakeBatch(size_t max_samples) {
  Batch b;
  const size_t n = std::min(max_samples, samples_.size());
  if (n == 0) return b;
  // One TimeSeries per series, in the order each first appears; its samples
  // keep queue order, which is time order.
  std::vector<EncodedSeries> series;
  std::unordered_map<const Series*, size_t> index;
  for (size_t i = 0; i < n; ++i) {
    const Sample& s = samples_[i];
    auto [it, inserted] = index.emplace(s.series.get(), series.size());
    if (inserted) series.push_back(EncodedSeries{s.series->labels, {}});
    series[it->second].samples.emplace_back(s.ts_ms, s.value);
  }
  b.samples = n;
  b.oldest_ms = samples_.front().ts_ms;
  b.newest_ms = samples_[n - 1].ts_ms;
  b.body = SnappyCompress(EncodeWriteRequest(series));
  samples_.erase(samples_.begin(), samples_.begin() + static_cast<std::ptrdiff_t>(n));
  return b;
}

SendOutcome ClassifyAnswer(long http_status) {
  if (http_status >= 200 && http_status < 300) return SendOutcome::kSent;
  if (http_status == 0 || http_status == 429 || http_status >= 500) return SendOutcome::kRetry;
  return SendOutcome::kDrop;
}

int64_t ParseRetryAfterSeconds(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r' || v.back() == '\n')) {
    v.remove_suffix(1);
  }
  int64_t s = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
  if (ec != std::errc() || ptr != v.data() + v.size() || s < 0 || s > 86400 * 365) return -1;
  return s * 1000;
}

}  // namespace p1
