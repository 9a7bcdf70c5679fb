// ser2net v3 "ser2net.conf" port lines, still what most P1 forum posts show:
//   2001:raw:600:/dev/ttyUSB0:115200 8DATABITS NONE 1STOPBIT max-connections=3
// Definition lines (BANNER:, TRACEFILE:, ...) are noted and skipped.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "config/ser2net/ser2net_model.h"

namespace p1 {
namespace {

std::string Upper(std::string_view s) {
  std::string u(s);
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::toupper(c); });
  return u;
}

constexpr std::string_view kIgnoredDefinitions[] = {
    "BANNER", "SIGNATURE", "OPENSTR", "CLOSESTR", "CLOSEON", "TRACEFILE", "LED", "CONTROLPORT"};
constexpr std::string_view kHarmlessWords[] = {
    "LOCAL",   "-LOCAL",   "NOBREAK",          "-NOBREAK",          "RTSCTS",      "-RTSCTS",
    "XONXOFF", "-XONXOFF", "HANGUP_WHEN_DONE", "-HANGUP_WHEN_DONE", "-KICKOLDUSER"};

bool ApplyWord(std::string_view word, Ser2netPort* port, std::string* why) {
  std::string u = Upper(word);
  SerialSettings& s = port->settings;
  if (std::isdigit(static_cast<unsigned char>(u[0])) &&
      u.find_first_not_of("0123456789") == std::string::npos) {
    if (!ParseSpeed(u, &s)) {
      *why = "bad baud rate '" + std::string(word) + "'";
      return false;
    }
  } else if (u.size() == 9 && u.substr(1) == "DATABITS" && u[0] >= '5' && u[0] <= '8') {
    s.data_bits = u[0] - '0';
  } else if (u == "NONE" || u == "EVEN" || u == "ODD") {
    s.parity = u == "NONE" ? Parity::kNone : u == "EVEN" ? Parity::kEven : Parity::kOdd;
  } else if (u == "1STOPBIT" || u == "2STOPBITS") {
    s.stop_bits = u[0] - '0';
  } else if (u == "REMCTL") {
    if (port->protocol == ListenerProtocol::kTelnet) port->protocol = ListenerProtocol::kRfc2217;
  } else if (u == "KICKOLDUSER") {
    port->kick_old = true;
  } else if (std::find(std::begin(kHarmlessWords), std::end(kHarmlessWords), u) !=
             std::end(kHarmlessWords)) {
    if (u == "-KICKOLDUSER") port->kick_old = false;
  } else if (size_t eq = word.find('='); eq != std::string_view::npos) {
    return ApplySer2netOption(word.substr(0, eq), word.substr(eq + 1), port, why);
  } else if (u == "MARK" || u == "SPACE") {
    *why = "parity " + u + " is not supported";
    return false;
  } else {
    // Bare names refer to BANNER/SIGNATURE definitions or are extras like
    // "chardelay"; none changes what a telegram consumer receives.
    port->notes.push_back("option '" + std::string(word) + "' ignored");
  }
  return true;
}

bool ReadPortLine(std::string_view line, Ser2netPort* port, std::string* why) {
  // port:state:timeout:device:options (options may be absent).
  std::vector<std::string_view> f;
  size_t start = 0;
  for (int i = 0; i < 4; ++i) {
    size_t colon = line.find(':', start);
    if (colon == std::string_view::npos) break;
    f.push_back(Trim(line.substr(start, colon - start)));
    start = colon + 1;
  }
  f.push_back(Trim(line.substr(start)));
  if (f.size() < 4) {
    *why = "expected port:state:timeout:device[:options], got '" + std::string(line) + "'";
    return false;
  }
  std::string_view state = f[1];
  if (state == "off") {
    port->enabled = false;
  } else if (state != "raw" && state != "telnet") {
    *why = "state '" + std::string(state) + "' cannot be converted (raw | telnet | off)";
    return false;
  }
  if (!ParseAccepter((state == "telnet" ? "telnet,tcp," : "tcp,") + std::string(f[0]), port, why)) {
    return false;
  }
  int timeout = 0;
  auto [ptr, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), timeout);
  if (f[2].empty() || ec != std::errc() || ptr != f[2].data() + f[2].size() || timeout < 0) {
    *why = "timeout must be a number of seconds, not '" + std::string(f[2]) + "'";
    return false;
  }
  if (timeout > 0) {
    port->notes.push_back("timeout " + std::to_string(timeout) +
                          " s (idle client disconnect) dropped: clients stay connected; a silent "
                          "meter shows as dsmr_meter_up 0 after stale_after");
  }
  if (f[3].empty()) {
    *why = "missing device";
    return false;
  }
  port->device = std::string(f[3]);
  if (f.size() < 5) return true;
  size_t pos = 0;
  std::string_view options = f[4];
  while (pos < options.size()) {
    size_t b = options.find_first_not_of(" \t", pos);
    if (b == std::string_view::npos) break;
    size_t e = options.find_first_of(" \t", b);
    if (e == std::string_view::npos) e = options.size();
    if (!ApplyWord(options.substr(b, e - b), port, why)) return false;
    pos = e;
  }
  return true;
}

}  // namespace

bool ReadSer2netConf(std::string_view text, std::vector<Ser2netPort>* ports, std::string* why) {
  int no = 0;
  for (std::string_view raw : Split(text, '\n')) {
    ++no;
    std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#') continue;
    std::string_view head = line.substr(0, line.find(':'));
    bool is_port =
        !head.empty() && (head.find_first_not_of("0123456789") == std::string_view::npos ||
                          head.find(',') != std::string_view::npos);
    if (!is_port) {
      std::string keyword = Upper(head);
      if (std::find(std::begin(kIgnoredDefinitions), std::end(kIgnoredDefinitions), keyword) ==
          std::end(kIgnoredDefinitions)) {
        *why = std::to_string(no) + ": cannot convert '" + std::string(line) + "'";
        return false;
      }
      continue;  // banners, trace files, LEDs, control port: nothing to carry over
    }
    Ser2netPort port;
    port.line = no;
    std::string err;
    if (!ReadPortLine(line, &port, &err)) {
      *why = std::to_string(no) + ": " + err;
      return false;
    }
    ports->push_back(std::move(port));
  }
  if (ports->empty()) {
    *why = std::to_string(no) + ": no port lines found";
    return false;
  }
  return true;
}

}  // namespace p1
