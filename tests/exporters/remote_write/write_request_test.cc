// The hand-written WriteRequest encoder against libprotobuf's decoding of
// the same message (remote.proto, compiled for the tests only), and snappy
// block compression round trips.
#include "exporters/remote_write/write_request.h"

#include <remote.pb.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace p1 {
namespace {

using LabelList = std::vector<std::pair<std::string, std::string>>;

struct Input {
  LabelList labels;
  std::vector<std::pair<int64_t, double>> samples;
};

prometheus::WriteRequest Decode(const std::string& bytes) {
  prometheus::WriteRequest req;
  REQUIRE(req.ParseFromString(bytes));
  return req;
}

void CheckEqual(const std::vector<Input>& in, const prometheus::WriteRequest& req) {
  REQUIRE(req.timeseries_size() == static_cast<int>(in.size()));
  for (size_t i = 0; i < in.size(); ++i) {
    const prometheus::TimeSeries& ts = req.timeseries(static_cast<int>(i));
    LabelList sorted;
    for (const auto& l : in[i].labels) {
      if (!l.second.empty()) sorted.push_back(l);  // an empty label is no label
    }
    std::sort(sorted.begin(), sorted.end());
    REQUIRE(ts.labels_size() == static_cast<int>(sorted.size()));
    for (size_t k = 0; k < sorted.size(); ++k) {
      CHECK(ts.labels(static_cast<int>(k)).name() == sorted[k].first);
      CHECK(ts.labels(static_cast<int>(k)).value() == sorted[k].second);
    }
    REQUIRE(ts.samples_size() == static_cast<int>(in[i].samples.size()));
    for (size_t k = 0; k < in[i].samples.size(); ++k) {
      const prometheus::Sample& s = ts.samples(static_cast<int>(k));
      CHECK(s.timestamp() == in[i].samples[k].first);
      const double want = in[i].samples[k].second;
      if (std::isnan(want)) {
        CHECK(std::isnan(s.value()));
      } else {
        CHECK(s.value() == want);
      }
    }
  }
}

std::string Encode(const std::vector<Input>& in, std::vector<std::string>* keep) {
  std::vector<EncodedSeries> series;
  keep->clear();
  keep->reserve(in.size());
  for (const Input& i : in) keep->push_back(EncodeLabels(i.labels));
  for (size_t k = 0; k < in.size(); ++k) series.push_back({(*keep)[k], in[k].samples});
  return EncodeWriteRequest(series);
}

TEST_CASE("libprotobuf decodes the hand-written WriteRequest to what was encoded") {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Input> in = {
      {{{"__name__", "dsmr_power_imported_watts"}, {"meter", "home"}, {"household", "12b"}},
       {{1700000000000, 412.0}, {1700000001000, 0.0}, {1700000002000, -1.5e-300}, {3, -0.0}}},
      {{{"__name__", "up"}}, {{0, 1}}},
      {{{"__name__", "weird"}, {"z", ""}, {"a", "Z\xC3\xA4hler \"q\"\n"}, {"Upper", "x"}},
       {{-1, inf}, {-9'000'000'000'000, -inf}, {INT64_MAX, std::nan("")}, {INT64_MIN, 1e308}}},
      {{{"__name__", std::string(300, 'n')}, {"long", std::string(70000, 'v')}}, {{5, 2}}},
      {{{"__name__", "no_samples"}}, {}},
  };
  std::vector<std::string> keep;
  const std::string bytes = Encode(in, &keep);
  CheckEqual(in, Decode(bytes));
  // And libprotobuf writes the same bytes for the same message: fields in
  // number order, defaults (+0.0, timestamp 0) left out, -0.0 kept.
  std::string again;
  REQUIRE(Decode(bytes).SerializeToString(&again));
  CHECK(again == bytes);
}

TEST_CASE("labels come out sorted by name in byte order, __name__ first for lower-case names") {
  const std::string enc = EncodeLabels({{"tariff", "1"}, {"meter", "a"}, {"__name__", "x"}});
  std::vector<std::string> keep{enc};
  prometheus::WriteRequest req = Decode(EncodeWriteRequest({{keep[0], {{1, 1}}}}));
  const auto& l = req.timeseries(0).labels();
  REQUIRE(l.size() == 3);
  CHECK(l[0].name() == "__name__");
  CHECK(l[1].name() == "meter");
  CHECK(l[2].name() == "tariff");
}

TEST_CASE("random WriteRequests decode to what was encoded") {
  std::mt19937_64 rng(13);
  for (int round = 0; round < 50; ++round) {
    std::vector<Input> in(rng() % 20);
    for (Input& i : in) {
      i.labels.emplace_back("__name__", "m" + std::to_string(rng() % 1000));
      for (size_t k = rng() % 6; k > 0; --k) {
        i.labels.emplace_back("l" + std::to_string(k), std::string(rng() % 200, 'a' + rng() % 26));
      }
      for (size_t k = rng() % 30; k > 0; --k) {
        i.samples.emplace_back(static_cast<int64_t>(rng()), static_cast<double>(rng()) / 7.0);
      }
    }
    std::vector<std::string> keep;
    CheckEqual(in, Decode(Encode(in, &keep)));
  }
}

TEST_CASE("snappy block compression round-trips and compresses repeated series") {
  std::mt19937_64 rng(7);
  for (size_t n : {0, 1, 100, 65536, 300000}) {
    std::string in(n, '\0');
    for (char& c : in) c = static_cast<char>(rng() % 4 == 0 ? rng() : 'x');
    std::string out;
    REQUIRE(SnappyUncompress(SnappyCompress(in), &out));
    CHECK(out == in);
  }
  std::string out;
  // A header claiming 4 GiB: refused before anything is allocated.
  CHECK_FALSE(SnappyUncompress("\xff\xff\xff\xff\x0f garbage", &out));
  CHECK_FALSE(SnappyUncompress("\x05\xff", &out));
  std::string repeated;
  for (int i = 0; i < 100; ++i) repeated += EncodeLabels({{"__name__", "dsmr_x"}, {"meter", "m"}});
  CHECK(SnappyCompress(repeated).size() * 10 < repeated.size());
}

}  // namespace
}  // namespace p1
