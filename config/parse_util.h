// Small validators and formatters shared by the config parser, DumpConfig
// and the ser2net importer. Pure functions, no state.
#ifndef P1GW_CONFIG_PARSE_UTIL_H_
#define P1GW_CONFIG_PARSE_UTIL_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

namespace p1 {

// [a-z0-9_-]+, at most 64 characters.
bool IsValidMeterName(std::string_view name);

// Prometheus label name syntax [a-zA-Z_][a-zA-Z0-9_]*, not "__"-prefixed.
bool IsValidLabelName(std::string_view name);

// RFC 1123 host name (letters, digits, '-', dots), at most 253 characters.
bool IsValidHostName(std::string_view name);

// Largest exact unit: "5m", "30s", "250ms", "0s".
std::string FormatDuration(Millis d);

// TOML basic string literal, quotes included.
std::string TomlQuote(std::string_view s);

std::string_view ParityName(Parity p);  // "none" | "even" | "odd"
bool ParseParity(std::string_view text, Parity* out);
std::string_view ProtocolName(ListenerProtocol p);  // "raw" | "telnet" | "rfc2217"
bool ParseProtocol(std::string_view text, ListenerProtocol* out);
std::string_view PayloadName(Payload p);  // "telegrams" | "bytes"
bool ParsePayload(std::string_view text, Payload* out);
std::string_view PortSettingsName(PortSettings p);  // "virtual" | "fixed"
bool ParsePortSettings(std::string_view text, PortSettings* out);
std::string_view IoUringModeName(IoUringMode mode);  // "auto" | "on" | "off"
bool ParseIoUringMode(std::string_view text, IoUringMode* out);

// Simulated meter variants the runtime provides.
bool IsSimulateVariant(std::string_view v);
bool IsLogLevel(std::string_view v);

}  // namespace p1

#endif  // P1GW_CONFIG_PARSE_UTIL_H_
