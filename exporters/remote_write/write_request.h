// Prometheus remote-write 1.0 encoding (pure): a hand-written protobuf
// encoder for the one message sent, prometheus.WriteRequest (prompb
// remote.proto / types.proto: WriteRequest.timeseries = 1; TimeSeries.labels
// = 1, samples = 2; Label.name = 1, value = 2; Sample.value = 1 (double),
// timestamp = 2 (int64 ms)), and snappy block compression of the body.
// tests/exporters/remote_write decodes its output with libprotobuf.
#ifndef P1GW_EXPORTERS_REMOTE_WRITE_WRITE_REQUEST_H_
#define P1GW_EXPORTERS_REMOTE_WRITE_WRITE_REQUEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace p1 {

// A series' labels, sorted by name (byte order, as the remote-write spec
// requires; __name__ comes first unless a label name starts with an
// upper-case letter), encoded once as TimeSeries' repeated Label fields.
// Labels with an empty value are left out (Prometheus: the same as absent).
std::string EncodeLabels(std::vector<std::pair<std::string, std::string>> labels);

// One TimeSeries: its encoded labels and its samples, oldest first.
struct EncodedSeries {
  std::string_view labels;  // from EncodeLabels
  std::vector<std::pair<int64_t, double>> samples;  // (timestamp ms, value)
};

// The WriteRequest's protobuf bytes.
std::string EncodeWriteRequest(const std::vector<EncodedSeries>& series);

// Snappy block format (not the framed format), as remote write sends it.
std::string SnappyCompress(std::string_view in);
// False when `in` is not valid snappy data (for tests and receivers).
bool SnappyUncompress(std::string_view in, std::string* out);

}  // namespace p1

#endif  // P1GW_EXPORTERS_REMOTE_WRITE_WRITE_REQUEST_H_
