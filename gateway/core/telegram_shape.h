// CheckTelegramShape: whether a framed '/'..'!' span looks like a DSMR
// telegram at all. Line noise framed between a '/' and a '!' must never be
// forwarded as data; a CRC catches it where the meter sends one, this check
// where it does not (DSMR 2.2/3, Q3D) and guards the 1 in 65536 noise frames
// whose CRC matches by chance. Pure; lenient on what real meters vary in
// (blank lines, "*255" suffixes, text values), strict on what noise breaks.
#ifndef P1GW_GATEWAY_CORE_TELEGRAM_SHAPE_H_
#define P1GW_GATEWAY_CORE_TELEGRAM_SHAPE_H_

#include <string_view>

namespace p1 {

// True when `plaintext` ('/' .. the '!' line, as framed) has a header line
// "/XXX…" (3 letters, usually a baud digit, then an id; no NUL, at most 160
// bytes; "/NWA-WARMTELINK" has '-' for the digit), body lines free
// of control characters, and at least one OBIS line "a-b:c.d.e(". Otherwise
// false with a short reason in *why (static text).
bool CheckTelegramShape(std::string_view plaintext, const char** why);

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_TELEGRAM_SHAPE_H_
