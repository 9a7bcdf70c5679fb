// Parser: DSMR plaintext telegram -> Reading. Pure, never throws, keeps
// unknown OBIS lines, and one bad field never loses the others. Handles DSMR
// 2.2/3/4.x/5, Belgian e-MUCS, Luxembourg Smarty, Austria, Sweden, EasyMeter
// Q3D, E.ON Hungary, Iskra IE (quirks per variant: tests/data/INDEX.md).
#ifndef P1GW_GATEWAY_CORE_PARSER_H_
#define P1GW_GATEWAY_CORE_PARSER_H_

#include <string_view>

#include "gateway/core/reading.h"

namespace p1 {

// Parses `plaintext` ('/' .. '!' line) into *out (cleared first; capacity
// reused; no heap allocation unless an error is recorded). Bytes before the
// first '/' and after the '!' line are ignored. Errors read "line N: …" with
// N counted from the '/' line as line 1. Views in *out point into
// `plaintext`. CRC is not checked here: out->crc is left as set by the
// caller. Returns true when no error was recorded in out->errors.
bool ParseTelegram(std::string_view plaintext, Reading* out);

// Parses one OBIS reference "1-0:1.8.1" or "1-0:1.8.1*255". False if malformed.
bool ParseObis(std::string_view text, Obis* out);

// Parses a DSMR timestamp "YYMMDDhhmmssX" (X = S|W, optional). False and
// an invalid Timestamp when the date/time is impossible, and for the fixed
// dates clockless meters send (YYMMDD 000101 or 700101, e.g. 000101010000W).
// Without X the EU CET/CEST rule decides (see gateway/core/dsmr_time.h).
bool ParseDsmrTimestamp(std::string_view text, Timestamp* out);

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_PARSER_H_
