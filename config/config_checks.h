// Cross-entry checks of a config (listen addresses shared across meters) and
// the "FILE:LINE:COLUMN: " prefix every config error starts with.
#ifndef P1GW_CONFIG_CONFIG_CHECKS_H_
#define P1GW_CONFIG_CONFIG_CHECKS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace p1 {

struct Position {
  uint32_t line = 1;
  uint32_t column = 1;
  std::string file;  // set when it is another file than the one being read (meters_dir)

  // "line 7", or "line 7 of meters.d/b.toml".
  std::string Describe() const {
    return "line " + std::to_string(line) + (file.empty() ? "" : " of " + file);
  }
};

// "FILE:LINE:COLUMN: "
std::string Location(std::string_view source, uint32_t line, uint32_t column);

// Remembers every address something listens on and refuses one that could
// not be bound next to the others: the same address, or the same port where
// one side is a wildcard covering the other ("::" is dual-stack on Linux).
class AddressChecker {
 public:
  // False (and *clash says why) if `address` collides with an earlier one.
  bool Add(const SocketAddress& address, std::string owner, Position pos,
           std::string* clash = nullptr);

 private:
  struct Entry {
    SocketAddress address;
    std::string owner;
    Position pos;
  };
  std::vector<Entry> entries_;
};

}  // namespace p1

#endif  // P1GW_CONFIG_CONFIG_CHECKS_H_
