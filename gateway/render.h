// Rendering of a Reading for `p1gateway parse`: one JSON object per line
// (shape in ../shared/DESIGN.md) or a human-readable text block.
#ifndef P1GW_GATEWAY_RENDER_H_
#define P1GW_GATEWAY_RENDER_H_

#include <string>

#include "gateway/reading.h"

namespace p1 {

std::string RenderJson(const Reading& reading);  // single line, no trailing newline
std::string RenderText(const Reading& reading);  // multi-line, ends with newline

// "48656C6C6F" -> "Hello"; returns false (and leaves *out empty) when the
// input is not even-length hex or decodes to non-printable bytes.
bool DecodeHexText(std::string_view hex, std::string* out);

}  // namespace p1

#endif  // P1GW_GATEWAY_RENDER_H_
