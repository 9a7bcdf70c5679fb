#include "proxy/telnet/telnet_codec.h"

#include <catch2/catch.hpp>

#include <string>

#include "proxy/telnet/rfc2217.h"

namespace p1 {
namespace {

const std::string kIac = "\xff";
std::string Cmd(unsigned char verb, unsigned char option) {
  return std::string{'\xff', static_cast<char>(verb), static_cast<char>(option)};
}
std::string ComPortSb(std::string payload) {
  return std::string("\xff\xfa\x2c", 3) + payload + std::string("\xff\xf0", 2);
}
constexpr unsigned char kWill = 251, kWont = 252, kDo = 253, kDont = 254;

TEST_CASE("telnet greeting asks for binary, character mode and server echo like ser2net") {
  TelnetCodec codec(TelnetCodec::Mode::kTelnet, SerialSettings{});
  const std::string out = codec.TakeOutput();
  // ser2net 4.3 sends WILL SGA, DO SGA, WILL ECHO, DONT ECHO, DO BINARY, WILL BINARY.
  CHECK(out == Cmd(kWill, 3) + Cmd(kDo, 3) + Cmd(kWill, 1) + Cmd(kDo, 0) + Cmd(kWill, 0));
  CHECK(codec.TakeOutput().empty());
}

TEST_CASE("rfc2217 greeting also offers COM-PORT-OPTION") {
  TelnetCodec codec(TelnetCodec::Mode::kRfc2217, SerialSettings{});
  const std::string out = codec.TakeOutput();
  CHECK(out.find(Cmd(kWill, 44)) != std::string::npos);
  CHECK(out.find(Cmd(kDo, 0)) != std::string::npos);
}

TEST_CASE("telnet client data is discarded, unknown options refused, agreed ones settle") {
  TelnetCodec codec(TelnetCodec::Mode::kTelnet, SerialSettings{});
  codec.TakeOutput();
  codec.Receive("hello\r\n");
  CHECK(codec.discarded_data_bytes() == 7);
  CHECK(codec.TakeOutput().empty());
  // Answers to our own requests complete the negotiation without a reply.
  codec.Receive(Cmd(kDo, 3) + Cmd(kWill, 3) + Cmd(kDo, 0) + Cmd(kWill, 0));
  CHECK(codec.TakeOutput().empty());
  // Terminal type and window size are refused.
  codec.Receive(Cmd(kWill, 24) + Cmd(kDo, 31));
  CHECK(codec.TakeOutput() == Cmd(kDont, 24) + Cmd(kWont, 31));
  // A doubled IAC inside data is one data byte.
  codec.Receive(kIac + kIac);
  CHECK(codec.discarded_data_bytes() == 8);
  CHECK_FALSE(codec.failed());
}

TEST_CASE("a negotiation flood never grows pending output past the bound") {
  TelnetCodec codec(TelnetCodec::Mode::kTelnet, SerialSettings{});
  std::string flood;
  for (int i = 0; i < 100000; ++i) flood += Cmd(kWill, 24) + Cmd(kWont, 24);
  codec.Receive(flood);
  CHECK(codec.TakeOutput().size() <= TelnetCodec::kMaxOutput);
}

TEST_CASE("a client that turns on COMPRESS2 by itself is failed, its inflated bytes ignored") {
  // Found by telnet_fuzz: libtelnet inflates everything after a client's
  // IAC SB COMPRESS2 IAC SE (never agreed to), drops what follows the zlib
  // stream in the same read, and so depends on how reads are split.
  TelnetCodec codec(TelnetCodec::Mode::kTelnet, SerialSettings{});
  codec.TakeOutput();
  const std::string zlib_hello("x\x9c\xcbH\xcd\xc9\xc9\x07\x00\x06,\x02\x15", 13);
  codec.Receive(Cmd(kDo, 86) + std::string("\xff\xfa\x56\xff\xf0", 5) + zlib_hello + "more");
  CHECK(codec.failed());
  CHECK(codec.discarded_data_bytes() == 0);
  codec.Receive("data");
  CHECK(codec.discarded_data_bytes() == 0);
}

TEST_CASE("escape doubles only 0xFF") {
  const std::string data("a\xff" "b\xff\xff", 5);
  CHECK(TelnetCodec::NeedsEscape(data));
  CHECK_FALSE(TelnetCodec::NeedsEscape("/ISK5\\2M550T-1012\r\n!1234\r\n"));
  CHECK(TelnetCodec::Escape(data) == std::string("a\xff\xff" "b\xff\xff\xff\xff", 8));
  CHECK(TelnetCodec::Escape("") == "");
}

TEST_CASE("rfc2217 fixed: a baud change is refused with the real rate, over the telnet stream") {
  TelnetCodec codec(TelnetCodec::Mode::kRfc2217, SerialSettings{},
                    PortSettings::kFixed);  // 115200 8N1
  codec.TakeOutput();
  codec.Receive(ComPortSb(std::string("\x01\x00\x00\x25\x80", 5)));  // SET-BAUDRATE 9600
  CHECK(codec.TakeOutput() == ComPortSb(std::string("\x65\x00\x01\xc2\x00", 5)));  // 115200
  CHECK(codec.port_requests() == 1);
}

TEST_CASE("rfc2217 virtual (default): a baud change is echoed, over the telnet stream") {
  TelnetCodec codec(TelnetCodec::Mode::kRfc2217, SerialSettings{});  // 115200 8N1
  codec.TakeOutput();
  codec.Receive(ComPortSb(std::string("\x01\x00\x00\x25\x80", 5)));  // SET-BAUDRATE 9600
  CHECK(codec.TakeOutput() == ComPortSb(std::string("\x65\x00\x00\x25\x80", 5)));  // 9600
  codec.Receive(ComPortSb(std::string("\x05\x02", 2)));  // SET-CONTROL XON/XOFF
  CHECK(codec.TakeOutput() == ComPortSb(std::string("\x69\x02", 2)));
  CHECK(codec.port_requests() == 2);
  CHECK(codec.PortSummary() == "9600 8N1 flow=xonxoff dtr=on rts=on");
}

TEST_CASE("plain telnet mode ignores COM-PORT-OPTION requests") {
  TelnetCodec codec(TelnetCodec::Mode::kTelnet, SerialSettings{});
  codec.TakeOutput();
  codec.Receive(ComPortSb(std::string("\x01\x00\x00\x25\x80", 5)));
  CHECK(codec.TakeOutput().empty());
}

TEST_CASE("rfc2217 fixed responder reports 9600 7E1 and refuses every change") {
  SerialSettings dsmr2;
  dsmr2.baud = 9600;
  dsmr2.data_bits = 7;
  dsmr2.parity = Parity::kEven;
  dsmr2.stop_bits = 1;
  Rfc2217Responder r(dsmr2, PortSettings::kFixed);
  // Query (value 0) and change requests get the same, current answer.
  CHECK(r.Answer(std::string("\x01\x00\x00\x00\x00", 5)) == std::string("\x65\x00\x00\x25\x80", 5));
  CHECK(r.Answer(std::string("\x01\x00\x01\xc2\x00", 5)) == std::string("\x65\x00\x00\x25\x80", 5));
  CHECK(r.Answer(std::string("\x02\x08", 2)) == std::string("\x66\x07", 2));
  CHECK(r.Answer(std::string("\x03\x01", 2)) == std::string("\x67\x03", 2));  // asks none: even
  CHECK(r.Answer(std::string("\x04\x02", 2)) == std::string("\x68\x01", 2));  // asks 2: 1
  // Control lines: no flow control, DTR/RTS stay on, no break.
  CHECK(r.Answer(std::string("\x05\x03", 2)) == std::string("\x69\x01", 2));
  CHECK(r.Answer(std::string("\x05\x01", 2)) == std::string("\x69\x01", 2));
  CHECK(r.Answer(std::string("\x05\x09", 2)) == std::string("\x69\x08", 2));
  CHECK(r.Answer(std::string("\x05\x08", 2)) == std::string("\x69\x08", 2));
  CHECK(r.Answer(std::string("\x05\x0c", 2)) == std::string("\x69\x0b", 2));
  CHECK(r.Answer(std::string("\x05\x05", 2)) == std::string("\x69\x06", 2));
  // Purge and masks are acknowledged by echo; the modem state is reported.
  CHECK(r.Answer(std::string("\x0c\x03", 2)) == std::string("\x70\x03", 2));
  CHECK(r.Answer(std::string("\x0a\x00", 2)) == std::string("\x6e\x00", 2));
  CHECK(r.Answer(std::string("\x0b\xff", 2)) == std::string("\x6f\xff", 2));
  CHECK(r.Answer(std::string("\x07", 1)) == std::string("\x6b\xb0", 2));
  CHECK(r.Answer(std::string("\x00", 1)) == std::string("\x64p1gateway", 10));
  CHECK(r.Answer(std::string("\x00" "client", 7)).empty());
  CHECK(r.Answer(std::string("\x08", 1)).empty());
  CHECK(r.Answer("").empty());
  CHECK(r.Answer(std::string("\x05", 1)).empty());
  // XON/XOFF and inbound flow control are refused too.
  CHECK(r.Answer(std::string("\x05\x02", 2)) == std::string("\x69\x01", 2));
  CHECK(r.Answer(std::string("\x05\x0f", 2)) == std::string("\x69\x0e", 2));
  CHECK(r.Describe() == "9600 7E1 flow=none dtr=on rts=on");
}

TEST_CASE(
    "rfc2217 virtual responder echoes every setting a client makes, queries get the real port") {
  SerialSettings dsmr2;
  dsmr2.baud = 9600;
  dsmr2.data_bits = 7;
  dsmr2.parity = Parity::kEven;
  dsmr2.stop_bits = 1;
  Rfc2217Responder r(dsmr2);  // PortSettings::kVirtual by default
  // Baud rate: any value is the client's; 0 asks for the meter's.
  CHECK(r.Answer(std::string("\x01\x00\x01\xc2\x00", 5)) == std::string("\x65\x00\x01\xc2\x00", 5));
  CHECK(r.Answer(std::string("\x01\x00\x00\x00\x00", 5)) == std::string("\x65\x00\x00\x25\x80", 5));
  // Data size, parity (incl. mark/space), stop bits (incl. 1.5).
  CHECK(r.Answer(std::string("\x02\x08", 2)) == std::string("\x66\x08", 2));
  CHECK(r.Answer(std::string("\x02\x00", 2)) == std::string("\x66\x07", 2));
  CHECK(r.Answer(std::string("\x02\x09", 2)) == std::string("\x66\x08", 2));  // invalid: current
  CHECK(r.Answer(std::string("\x03\x01", 2)) == std::string("\x67\x01", 2));
  CHECK(r.Answer(std::string("\x03\x05", 2)) == std::string("\x67\x05", 2));
  CHECK(r.Answer(std::string("\x03\x00", 2)) == std::string("\x67\x03", 2));
  CHECK(r.Answer(std::string("\x03\x06", 2)) == std::string("\x67\x05", 2));  // invalid: current
  CHECK(r.Answer(std::string("\x04\x03", 2)) == std::string("\x68\x03", 2));
  CHECK(r.Answer(std::string("\x04\x02", 2)) == std::string("\x68\x02", 2));
  CHECK(r.Answer(std::string("\x04\x00", 2)) == std::string("\x68\x01", 2));
  // Flow control both ways, break, DTR, RTS: echoed; requests report the meter port.
  for (uint8_t v : {2, 3, 17, 19, 1, 2, 5, 6, 5, 9, 8, 9, 12, 11, 12, 15, 16, 18, 14, 15}) {
    INFO(static_cast<int>(v));
    CHECK(r.Answer(std::string{'\x05', static_cast<char>(v)}) ==
          std::string{'\x69', static_cast<char>(v)});
  }
  CHECK(r.Answer(std::string("\x05\x00", 2)) == std::string("\x69\x01", 2));
  CHECK(r.Answer(std::string("\x05\x04", 2)) == std::string("\x69\x06", 2));
  CHECK(r.Answer(std::string("\x05\x07", 2)) == std::string("\x69\x08", 2));
  CHECK(r.Answer(std::string("\x05\x0a", 2)) == std::string("\x69\x0b", 2));
  CHECK(r.Answer(std::string("\x05\x0d", 2)) == std::string("\x69\x0e", 2));
  CHECK(r.Describe() == "115200 8S2 flow=xonxoff inflow=xonxoff dtr=off rts=off break=on");
  // Every set request counted, refused invalid ones too (queries are not): 1 + 2 + 3 + 2 + 20.
  CHECK(r.set_requests() == 28);
  // Other clients have ports of their own.
  Rfc2217Responder other(dsmr2);
  CHECK(other.Describe() == "9600 7E1 flow=none dtr=on rts=on");
}

}  // namespace
}  // namespace p1
