// CRC-16/ARC (poly 0x8005 reflected, init 0, no final xor), as used by DSMR
// P1 telegrams over '/' .. '!' inclusive. Check value: "123456789" -> 0xBB3D.
#ifndef P1GW_GATEWAY_CORE_CRC16_H_
#define P1GW_GATEWAY_CORE_CRC16_H_

#include <cstdint>
#include <string_view>

namespace p1 {

// Continues a running CRC; start with crc = 0.
uint16_t Crc16Update(uint16_t crc, std::string_view data);
inline uint16_t Crc16(std::string_view data) { return Crc16Update(0, data); }

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_CRC16_H_
