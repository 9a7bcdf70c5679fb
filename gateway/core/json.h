// The JSON text pieces every document of ours is written with (parse
// output, the API, the HomeWizard documents): one string escaper, one
// number format.
#ifndef P1GW_GATEWAY_CORE_JSON_H_
#define P1GW_GATEWAY_CORE_JSON_H_

#include <string>
#include <string_view>

namespace p1 {

// Appends `s` as a JSON string. Control bytes are escaped and bytes that are
// not well-formed UTF-8 become U+FFFD, so a header with binary noise (Iskra
// IE's 0x02, line garbage) still yields valid JSON.
void AppendJsonString(std::string* out, std::string_view s);

// The shortest text that reads back as `v` (std::to_chars); null when not finite.
void AppendJsonDouble(std::string* out, double v);

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_JSON_H_
