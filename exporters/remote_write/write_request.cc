#include "exporters/remote_write/write_request.h"

#include <snappy.h>

#include <algorithm>
#include <cstring>

namespace p1 {
namespace {

// Wire types: 0 varint, 1 fixed64, 2 length-delimited.
constexpr char Tag(int field, int wire_type) { return static_cast<char>(field << 3 | wire_type); }

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void AppendBytesField(std::string* out, int field, std::string_view bytes) {
  out->push_back(Tag(field, 2));
  AppendVarint(out, bytes.size());
  out->append(bytes);
}

// Sample { double value = 1; int64 timestamp = 2; }. As protobuf 3 writes
// it: a field holding its default (+0.0, 0) is left out, and a negative
// int64 is a ten-byte varint (two's complement). So the bytes are exactly
// libprotobuf's (the test compares them), and zero readings cost 2 bytes.
bool IsDefault(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  return bits == 0;  // +0.0 only: -0.0 is written
}

size_t SampleSize(int64_t ts, double value) {
  return (IsDefault(value) ? 0 : 1 + 8) + (ts == 0 ? 0 : 1 + VarintSize(static_cast<uint64_t>(ts)));
}

void AppendSample(std::string* out, int64_t ts, double value) {
  if (!IsDefault(value)) {
    out->push_back(Tag(1, 1));
    char bytes[8];
    std::memcpy(bytes, &value, 8);  // little-endian IEEE 754 on every target we build for
    out->append(bytes, 8);
  }
  if (ts != 0) {
    out->push_back(Tag(2, 0));
    AppendVarint(out, static_cast<uint64_t>(ts));
  }
}

}  // namespace

std::string EncodeLabels(std::vector<std::pair<std::string, std::string>> labels) {
  std::sort(labels.begin(), labels.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [name, value] : labels) {
    if (value.empty()) continue;  // in Prometheus an empty label is no label
    out.push_back(Tag(1, 2));
    AppendVarint(&out, 2 + VarintSize(name.size()) + name.size() + VarintSize(value.size()) +
                           value.size());
    AppendBytesField(&out, 1, name);
    AppendBytesField(&out, 2, value);
  }
  return out;
}

std::string EncodeWriteRequest(const std::vector<EncodedSeries>& series) {
  size_t total = 0;
  std::vector<size_t> sizes;
  sizes.reserve(series.size());
  for (const EncodedSeries& s : series) {
    size_t n = s.labels.size();
    for (const auto& [ts, v] : s.samples) {
      const size_t sample = SampleSize(ts, v);
      n += 1 + VarintSize(sample) + sample;
    }
    sizes.push_back(n);
    total += 1 + VarintSize(n) + n;
  }
  std::string out;
  out.reserve(total);
  for (size_t i = 0; i < series.size(); ++i) {
    out.push_back(Tag(1, 2));
    AppendVarint(&out, sizes[i]);
    out.append(series[i].labels);
    for (const auto& [ts, v] : series[i].samples) {
      out.push_back(Tag(2, 2));
      AppendVarint(&out, SampleSize(ts, v));
      AppendSample(&out, ts, v);
    }
  }
  return out;
}

std::string SnappyCompress(std::string_view in) {
  std::string out;
  snappy::Compress(in.data(), in.size(), &out);
  return out;
}

bool SnappyUncompress(std::string_view in, std::string* out) {
  // Checked first: Uncompress allocates the length the header claims.
  return snappy::IsValidCompressedBuffer(in.data(), in.size()) &&
         snappy::Uncompress(in.data(), in.size(), out);
}

}  // namespace p1
