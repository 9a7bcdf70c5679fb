// CRC-16/ARC (poly 0x8005 reflected, init 0, no final xor), as used by DSMR
// P1 telegrams over '/' .. '!' inclusive. Check value: "123456789" -> 0xBB3D.
#ifndef P1GW_GATEWAY_CORE_CRC16_H_
#define P1GW_GATEWAY_CORE_CRC16_H_

#include <cstdint>
#include <string_view>

namespace p1 {

// Continues a running CRC; start with crc = 0. On x86-64 CPUs with PCLMULQDQ
// inputs of 64 bytes and more are folded with carry-less multiplies; every
// other case (and every other CPU) uses the portable slicing-by-16 tables.
uint16_t Crc16Update(uint16_t crc, std::string_view data);
inline uint16_t Crc16(std::string_view data) { return Crc16Update(0, data); }

// The two implementations behind Crc16Update, for tests and benchmarks.
// Crc16UpdateClmul returns the portable result where the CPU lacks it.
uint16_t Crc16UpdateTables(uint16_t crc, std::string_view data);
uint16_t Crc16UpdateClmul(uint16_t crc, std::string_view data);
bool Crc16HasClmul();

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_CRC16_H_
