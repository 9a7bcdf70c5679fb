// ser2net -> p1gateway TOML: groups connections by device (one meter each,
// because p1gateway reads a device once and fans it out; ser2net cannot even
// open one device for two ports at once) and writes one listener per
// connection. The output is checked with ParseConfig before it is returned.
#include "config/ser2net/ser2net_import.h"

#include <map>
#include <set>

#include "config/config.h"
#include "config/parse_util.h"
#include "config/ser2net/ser2net_model.h"

namespace p1 {
namespace {

bool LooksLikeYaml(std::string_view text) {
  for (std::string_view line : Split(text, '\n')) {
    if (line.substr(0, 5) == "%YAML" || line == "---" || line.substr(0, 11) == "connection:") {
      return true;
    }
  }
  return false;
}

std::string MeterNameFrom(std::string_view hint) {
  std::string name;
  for (char c : hint) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '-';
    name += ok ? l : '-';
  }
  if (name.size() > 56) name.resize(56);  // leaves room for a "-N" suffix
  return name.empty() ? "meter" : name;
}

struct Meter {
  std::string name;
  std::vector<const Ser2netPort*> ports;
};

void EmitSerial(const SerialSettings& s, std::string* out) {
  const SerialPreset* suggested = SuggestSerialPreset(s);
  const std::string_view chosen = suggested != nullptr ? suggested->name : "dsmr5";
  SerialSettings preset;
  PresetSerialSettings(chosen, &preset);
  char parity = s.parity == Parity::kEven ? 'e' : s.parity == Parity::kOdd ? 'o' : 'n';
  *out += "preset = " + TomlQuote(chosen) + "  # ser2net speed " + std::to_string(s.baud) + parity +
          std::to_string(s.data_bits) + std::to_string(s.stop_bits) + "\n";
  if (s.baud != preset.baud) *out += "baud = " + std::to_string(s.baud) + "\n";
  if (s.data_bits != preset.data_bits) *out += "data_bits = " + std::to_string(s.data_bits) + "\n";
  if (s.parity != preset.parity) *out += "parity = " + TomlQuote(ParityName(s.parity)) + "\n";
  if (s.stop_bits != preset.stop_bits) *out += "stop_bits = " + std::to_string(s.stop_bits) + "\n";
}

void EmitMeter(const Meter& m, std::string* out) {
  std::string& o = *out;
  const Ser2netPort& first = *m.ports.front();
  o += "\n[[meters]]\nname = " + TomlQuote(m.name) + "\n";
  if (first.serial) {
    o += "serial = " + TomlQuote(first.device) + "\n";
    EmitSerial(first.settings, out);
  } else {
    o += "tcp = " + TomlQuote(first.remote.ToString()) + "\n";
  }
  std::set<std::string> noted;  // ports of one device often repeat options
  for (const Ser2netPort* p : m.ports) {
    for (const std::string& note : p->notes) {
      if (!noted.insert(note).second) continue;
      o += "# ser2net line " + std::to_string(p->line) + ": " + note + "\n";
    }
  }
  for (const Ser2netPort* p : m.ports) {
    o += "\n  # from ser2net line " + std::to_string(p->line) +
         (p->alias.empty() ? "" : " (connection &" + p->alias + ")") + "\n";
    o += "  [[meters.listeners]]\n";
    o += "  listen = " + TomlQuote(p->listen.ToString()) + "\n";
    o += "  protocol = " + TomlQuote(ProtocolName(p->protocol)) + "\n";
    if (p->max_clients > 0) {
      o += "  max_clients = " + std::to_string(p->max_clients) + "\n";
    } else {
      o +=
          "  # max-connections was not set (ser2net allowed 1 client); p1gateway's default is 16\n";
    }
    o += std::string("  kick_old = ") + (p->kick_old ? "true" : "false") + "\n";
    o += "  payload = \"telegrams\"\n";
  }
}

}  // namespace

bool ImportSer2net(std::string_view text, std::string_view source_name, std::string* toml_out,
                   std::string* err) {
  std::vector<Ser2netPort> ports;
  std::string why;
  bool yaml = LooksLikeYaml(text);
  if (!(yaml ? ReadSer2netYaml(text, &ports, &why) : ReadSer2netConf(text, &ports, &why))) {
    *err = std::string(source_name) + ":" + why;
    return false;
  }

  std::string out = "# p1gateway configuration converted from " + std::string(source_name) +
                    " (ser2net " + (yaml ? "yaml" : "conf") + ") by p1gateway import-ser2net.\n";
  out +=
      "# payload = \"telegrams\": clients get whole, CRC-checked telegrams (every DSMR consumer\n"
      "# resynchronises on '/') instead of ser2net's byte chunks; set payload = \"bytes\" on a\n"
      "# listener for byte-for-byte ser2net behaviour.\n"
      "# Metrics: [metrics] listen defaults to \"0.0.0.0:9464\".\n";

  std::vector<Meter> meters;
  std::map<std::string, size_t> by_device;
  std::set<std::string> names;
  for (const Ser2netPort& p : ports) {
    if (!p.enabled) {
      out += "# ser2net line " + std::to_string(p.line) + ": disabled connection not converted\n";
      continue;
    }
    std::string device = p.serial ? "serial " + p.device : "tcp " + p.remote.ToString();
    auto [it, inserted] = by_device.emplace(device, meters.size());
    if (!inserted) {
      const Ser2netPort& first = *meters[it->second].ports.front();
      if (p.serial && !(p.settings == first.settings)) {
        *err = std::string(source_name) + ":" + std::to_string(p.line) + ": device " + p.device +
               " is used at line " + std::to_string(first.line) + " with other serial settings";
        return false;
      }
      meters[it->second].ports.push_back(&p);
      continue;
    }
    std::string hint = p.alias;
    if (hint.empty()) {
      hint = p.serial ? p.device.substr(p.device.rfind('/') + 1) : p.remote.host;
    }
    std::string name = MeterNameFrom(hint);
    for (int n = 2; names.count(name) != 0; ++n)
      name = MeterNameFrom(hint) + "-" + std::to_string(n);
    names.insert(name);
    meters.push_back(Meter{name, {&p}});
  }
  if (meters.empty()) {
    *err = std::string(source_name) + ": no enabled connections to convert";
    return false;
  }
  for (const Meter& m : meters) EmitMeter(m, &out);

  GatewayConfig check;
  std::string check_err;
  if (!ParseConfig(out, "converted " + std::string(source_name), &check, &check_err)) {
    *err = std::string(source_name) + ": the converted configuration is invalid: " + check_err;
    return false;
  }
  *toml_out = std::move(out);
  return true;
}

}  // namespace p1
