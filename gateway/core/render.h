// Rendering of a Reading for `p1gateway parse`: one JSON object per line
// (shape in README.md, "parse") or a human-readable text block.
#ifndef P1GW_GATEWAY_CORE_RENDER_H_
#define P1GW_GATEWAY_CORE_RENDER_H_

#include <string>

#include "gateway/core/reading.h"

namespace p1 {

// Single line, no trailing newline. Beyond the DESIGN.md shape: "mbus" and
// "errors" are always present (possibly empty) so scripts need no key checks;
// an object of unrecognised structure is {"obis":…,"raw":"(…)(…)"}; an empty
// value "()" is "value":null; history entries carry "period"/"time" only when
// the meter sent them (null when sent but invalid); numbers are the meter's
// own digits without leading zeros; strings are escaped and invalid UTF-8
// becomes U+FFFD, so the output is valid JSON for any input bytes.
std::string RenderJson(const Reading& reading);
std::string RenderText(const Reading& reading);  // multi-line, ends with newline

// "48656C6C6F" -> "Hello"; returns false (and leaves *out empty) when the
// input is not even-length hex or decodes to non-printable bytes.
bool DecodeHexText(std::string_view hex, std::string* out);

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_RENDER_H_
