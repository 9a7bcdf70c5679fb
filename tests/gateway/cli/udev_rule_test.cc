// The udev rule line `list-ports` prints for a USB serial adapter.
#include <catch2/catch.hpp>

#include "gateway/cli/probe.h"

namespace p1 {

TEST_CASE("udev rule names an FTDI cable by its serial") {
  CHECK(UdevRule(0x0403, 0x6001, "A12345") ==
        "SUBSYSTEM==\"tty\", ATTRS{idVendor}==\"0403\", ATTRS{idProduct}==\"6001\", "
        "ATTRS{serial}==\"A12345\", SYMLINK+=\"p1meter-A12345\", GROUP=\"dialout\", "
        "MODE=\"0660\"");
}

TEST_CASE("udev rule without a serial falls back to vid-pid") {
  for (const char* serial : {static_cast<const char*>(nullptr), ""}) {
    CHECK(UdevRule(0x1a86, 0x7523, serial) ==
          "SUBSYSTEM==\"tty\", ATTRS{idVendor}==\"1a86\", ATTRS{idProduct}==\"7523\", "
          "SYMLINK+=\"p1meter-1a86-7523\", GROUP=\"dialout\", MODE=\"0660\"");
  }
}

TEST_CASE("udev rule keeps quotes and slashes out of the rule") {
  std::string rule = UdevRule(0x10c4, 0xea60, "0001 \"x\"/y");
  CHECK(rule.find("ATTRS{serial}==\"0001??x??y\"") != std::string::npos);
  CHECK(rule.find("SYMLINK+=\"p1meter-0001__x__y\"") != std::string::npos);
  // Exactly the quotes of the six key/value pairs: nothing from the serial.
  CHECK(std::count(rule.begin(), rule.end(), '"') == 14);
}

}  // namespace p1
