// SampleQueue: bounds (the oldest go, counted), order across batches,
// external labels, no non-increasing timestamps per series; the retry
// policy and Retry-After.
#include "exporters/remote_write/sample_queue.h"

#include <remote.pb.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "exporters/remote_write/write_request.h"

namespace p1 {
namespace {

// Gauge families: name -> {meter label -> value}.
std::vector<prometheus::MetricFamily> Families(
    const std::map<std::string, std::map<std::string, double>>& in) {
  std::vector<prometheus::MetricFamily> out;
  for (const auto& [name, series] : in) {
    prometheus::MetricFamily f;
    f.name = name;
    f.type = prometheus::MetricType::Gauge;
    for (const auto& [meter, v] : series) {
      prometheus::ClientMetric m;
      m.label.push_back({"meter", meter});
      m.gauge.value = v;
      f.metric.push_back(m);
    }
    out.push_back(f);
  }
  return out;
}

prometheus::WriteRequest Decode(const Batch& b) {
  std::string raw;
  REQUIRE(SnappyUncompress(b.body, &raw));
  prometheus::WriteRequest req;
  REQUIRE(req.ParseFromString(raw));
  return req;
}

std::map<std::string, std::string> LabelsOf(const prometheus::TimeSeries& ts) {
  std::map<std::string, std::string> out;
  for (const auto& l : ts.labels()) out[l.name()] = l.value();
  return out;
}

TEST_CASE("a batch holds the oldest samples, one TimeSeries per series, in time order") {
  SampleQueue q(1000, {{"household", "12b"}});
  for (int t = 1; t <= 5; ++t) {
    CHECK(q.Add(Families({{"a_watts", {{"m1", t}, {"m2", 10.0 * t}}}}), t * 1000) == 2);
  }
  CHECK(q.size() == 10);
  CHECK(q.series() == 2);
  CHECK(q.oldest_ms() == 1000);
  Batch b = q.TakeBatch(6);
  CHECK(b.samples == 6);
  CHECK(b.oldest_ms == 1000);
  CHECK(b.newest_ms == 3000);
  prometheus::WriteRequest req = Decode(b);
  REQUIRE(req.timeseries_size() == 2);
  CHECK(LabelsOf(req.timeseries(0)) ==
        std::map<std::string, std::string>{{"__name__", "a_watts"}, {"household", "12b"}, {"meter", "m1"}});
  for (int s = 0; s < 2; ++s) {
    REQUIRE(req.timeseries(s).samples_size() == 3);
    for (int k = 0; k < 3; ++k) CHECK(req.timeseries(s).samples(k).timestamp() == (k + 1) * 1000);
  }
  CHECK(req.timeseries(1).samples(2).value() == 30);
  // The rest, still in order.
  Batch rest = q.TakeBatch(100);
  CHECK(rest.samples == 4);
  CHECK(rest.oldest_ms == 4000);
  CHECK(Decode(rest).timeseries(0).samples(0).timestamp() == 4000);
  CHECK(q.empty());
  CHECK(q.TakeBatch(10).empty());
}

TEST_CASE("a full queue drops its oldest samples and counts them") {
  SampleQueue q(100, {});
  for (int t = 1; t <= 30; ++t) {
    std::map<std::string, double> meters;
    for (int m = 0; m < 10; ++m) meters["m" + std::to_string(m)] = t;
    q.Add(Families({{"x", meters}}), t);
  }
  CHECK(q.size() == 100);
  CHECK(q.dropped() == 200);
  CHECK(q.oldest_ms() == 21);  // the last ten collections are what is left
  Batch b = q.TakeBatch(1000);
  CHECK(b.oldest_ms == 21);
  CHECK(b.newest_ms == 30);
}

TEST_CASE("a series never gets a sample not newer than its last one") {
  SampleQueue q(1000, {});
  CHECK(q.Add(Families({{"x", {{"a", 1}}}}), 5000) == 1);
  CHECK(q.Add(Families({{"x", {{"a", 2}}}}), 5000) == 0);  // same millisecond
  CHECK(q.Add(Families({{"x", {{"a", 3}}}}), 4000) == 0);  // the wall clock stepped back
  CHECK(q.Add(Families({{"x", {{"a", 4}, {"b", 4}}}}), 4000) == 1);  // b is new
  CHECK(q.Add(Families({{"x", {{"a", 5}}}}), 6000) == 1);
  CHECK(q.size() == 3);
}

TEST_CASE("external labels go on every series that lacks them; a series' own label wins") {
  SampleQueue q(1000, {{"household", "ext"}, {"meter", "never"}});
  q.Add(Families({{"x", {{"a", 1}}}}), 1);
  prometheus::WriteRequest req = Decode(q.TakeBatch(10));
  CHECK(LabelsOf(req.timeseries(0)) ==
        std::map<std::string, std::string>{{"__name__", "x"}, {"household", "ext"}, {"meter", "a"}});
}

TEST_CASE("2xx is sent, 5xx, 429 and transport errors retried, other answers dropped") {
  for (long s : {200L, 204L, 299L}) CHECK(ClassifyAnswer(s) == SendOutcome::kSent);
  for (long s : {0L, 429L, 500L, 502L, 503L, 504L, 599L}) CHECK(ClassifyAnswer(s) == SendOutcome::kRetry);
  for (long s : {400L, 401L, 403L, 404L, 409L, 413L, 100L, 301L, 302L}) {
    CHECK(ClassifyAnswer(s) == SendOutcome::kDrop);
  }
}

TEST_CASE("Retry-After delta-seconds parse; dates and junk do not") {
  CHECK(ParseRetryAfterSeconds(" 7\r\n") == 7000);
  CHECK(ParseRetryAfterSeconds("0") == 0);
  CHECK(ParseRetryAfterSeconds("") == -1);
  CHECK(ParseRetryAfterSeconds("-3") == -1);
  CHECK(ParseRetryAfterSeconds("1.5") == -1);
  CHECK(ParseRetryAfterSeconds(" Wed, 21 Oct 2015 07:28:00 GMT") == -1);
}

}  // namespace
}  // namespace p1
