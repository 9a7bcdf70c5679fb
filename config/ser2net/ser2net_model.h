// Internal to the ser2net importer: one ser2net connection/port line as
// read from either file format, and the gensio string parsers both share.
#ifndef P1GW_CONFIG_SER2NET_SER2NET_MODEL_H_
#define P1GW_CONFIG_SER2NET_SER2NET_MODEL_H_

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace p1 {

struct Ser2netPort {
  int line = 0;
  std::string alias;  // yaml "connection: &alias"; empty for ser2net.conf
  bool enabled = true;
  SocketAddress listen;
  ListenerProtocol protocol = ListenerProtocol::kRaw;
  int max_clients = 0;  // 0: not given (ser2net's default is 1; we keep ours)
  bool kick_old = false;
  bool serial = true;  // false: tcp connector (a remote ser2net/dongle)
  std::string device;  // serial path
  SocketAddress remote;
  SerialSettings settings{9600, 8, Parity::kNone, 1};  // ser2net's default 9600n81
  std::vector<std::string> notes;                      // become comments on the meter
};

// "tcp,2001", "tcp,127.0.0.1,2001", "telnet,tcp,2001", "telnet(rfc2217),tcp,::1,2001".
bool ParseAccepter(std::string_view spec, Ser2netPort* port, std::string* why);
// "serialdev,/dev/ttyUSB0,115200n81,local,nobreak" or "tcp,host,port".
bool ParseConnector(std::string_view spec, Ser2netPort* port, std::string* why);
// "115200n81", "9600e71", "19200": baud[parity[databits[stopbits]]].
bool ParseSpeed(std::string_view spec, SerialSettings* out);
// A connection option (yaml "options:" entry, or conf "name=value"/"name"):
// mapped, noted as ignored, or refused when dropping it would open access.
bool ApplySer2netOption(std::string_view name, std::string_view value, Ser2netPort* port,
                        std::string* why);
// ser2net booleans: true/false, on/off, yes/no, 1/0.
bool ParseSer2netBool(std::string_view text, bool* out);

// Each returns false with "LINE: message" (no file name) in *why.
bool ReadSer2netYaml(std::string_view text, std::vector<Ser2netPort>* ports, std::string* why);
bool ReadSer2netConf(std::string_view text, std::vector<Ser2netPort>* ports, std::string* why);

std::string_view Trim(std::string_view s);
std::vector<std::string_view> Split(std::string_view s, char sep);

}  // namespace p1

#endif  // P1GW_CONFIG_SER2NET_SER2NET_MODEL_H_
