// DLMS data-notification APDUs (0x0F), as Austrian meters push them on
// their M-Bus customer interface once decrypted, turned into DSMR telegram
// text so that one parser, every exporter and every proxy client handle
// them like any other meter. The notification's A-XDR data is walked as a
// flat sequence of values (Kaifa MA309M and the other Austrian layouts put
// them in structures of different shapes):
//   - an octet-string of 6 bytes followed by a number is an OBIS code and
//     its value; a following structure {integer scaler, enum unit} scales
//     it (value * 10^scaler) and names the unit;
//   - the first 12-byte octet-string that is a valid COSEM date-time (or
//     else the notification's own date-time) is the meter clock, 0-0:1.0.0,
//     S/W from its DST status bit;
//   - a printable octet- or visible-string that is not an OBIS code's value
//     is the meter's serial number, 0-0:96.1.0.
// Registers print as the Austrian text meters do (integer Wh, W, varh; V,
// A with their scaler's decimals). The text gets a valid CRC: the M-Bus
// checksums and the decryption vouched for the bytes.
#ifndef P1GW_GATEWAY_CORE_COSEM_H_
#define P1GW_GATEWAY_CORE_COSEM_H_

#include <string>
#include <string_view>

namespace p1 {

inline constexpr unsigned char kDlmsDataNotification = 0x0F;

// Writes the DSMR text for `apdu` into *telegram ('/' .. CRC line, CRLF).
// `system_title` (8 bytes, may be empty) gives the header's manufacturer
// (its first three letters, as the DSMR header's). False with *err when the
// APDU is not a data-notification, is malformed or holds no OBIS value;
// *telegram is then empty.
bool DlmsNotificationToDsmr(std::string_view apdu, std::string_view system_title,
                            std::string* telegram, std::string* err);

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_COSEM_H_
