#include "gateway/cli/probe.h"

#include <dirent.h>
#include <libserialport.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <initializer_list>
#include <map>
#include <vector>

#include "config/config.h"
#include "config/parse_util.h"
#include "gateway/core/framer.h"
#include "gateway/core/mbus.h"
#include "gateway/core/parser.h"
#include "gateway/core/telegram_shape.h"
#include "gateway/runtime/serial_source.h"

namespace p1 {
namespace {

std::string ValueText(const Reading& r, Obis code) {
  const CosemObject* o = r.Find(code);
  if (o == nullptr) return {};
  return std::string(o->kind == ValueKind::kNumber ? o->number_text : o->text);
}

// Resolved device path -> /dev/serial/by-id name.
std::map<std::string, std::string> ByIdNames() {
  std::map<std::string, std::string> names;
  const char* dir = "/dev/serial/by-id";
  DIR* d = opendir(dir);
  if (d == nullptr) return names;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::string link = std::string(dir) + "/" + e->d_name;
    char real[PATH_MAX];
    if (realpath(link.c_str(), real) != nullptr) names[real] = link;
  }
  closedir(d);
  return names;
}

struct ProbeResult {
  bool found = false;
  bool encrypted_without_key = false;
  bool mbus = false;  // DLMS APDUs in checksummed M-Bus long frames (Austria)
  bool high_bit_noise = false;
  std::string preset;
  std::string header;
};

ProbeResult ProbeOnce(const std::string& device, const SerialSettings& settings, int timeout_ms,
                      std::string* err) {
  ProbeResult result;
  sp_port* port = nullptr;
  int fd = OpenSerial(device, settings, &port, err);
  if (fd < 0) return result;
  Framer framer;
  MbusUnwrapper mbus;
  std::string apdus;
  size_t high_bit = 0, total = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!result.found) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    struct pollfd p = {fd, POLLIN, 0};
    int pr = poll(&p, 1, static_cast<int>(left));
    if (pr <= 0) continue;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) {
      if (n < 0 && errno == EAGAIN) continue;
      *err = "device closed while probing";
      break;
    }
    for (ssize_t i = 0; i < n; ++i) high_bit += (static_cast<unsigned char>(buf[i]) & 0x80) != 0;
    total += static_cast<size_t>(n);
    framer.Feed(std::string_view(buf, static_cast<size_t>(n)), [&](const Frame& f) {
      if (f.status == FrameStatus::kDecryptError) result.encrypted_without_key = true;
      if (f.status != FrameStatus::kTelegram || f.crc == CrcStatus::kInvalid) return;
      // As the gateway does: line noise framed like a telegram is not one.
      const char* why = nullptr;
      if (!CheckTelegramShape(f.plaintext, &why)) return;
      Reading r;
      ParseTelegram(f.plaintext, &r);
      result.found = true;
      result.preset = DetectPreset(r, f.encrypted);
      result.header = std::string(r.header);
    });
    if (result.encrypted_without_key) break;
    // A whole APDU in long frames whose checksums hold: no line noise does that.
    mbus.Feed(std::string_view(buf, static_cast<size_t>(n)), &apdus);
    if (mbus.stats().apdus > 0 && !result.found) {
      result.mbus = true;
      break;
    }
    // 7E1 read as 8N1 sets the parity bit on about half the bytes: no need
    // to wait for the timeout.
    // Encrypted M-Bus frames look the same: not while valid frames arrive.
    if (total > 512 && high_bit * 4 > total && !result.found && mbus.stats().frames == 0) {
      result.high_bit_noise = true;
      break;
    }
  }
  CloseSerial(fd, port);
  return result;
}

}  // namespace

std::string DetectPreset(const Reading& r, bool encrypted) {
  if (encrypted) return r.Find(Obis{1, 0, 1, 8, 0}) && !r.Find(Obis{0, 0, 42, 0, 0}) ? "at" : "lu";
  if (r.Find(Obis{0, 0, 96, 1, 4})) return "be";
  if (r.header.find("ESY") != std::string_view::npos ||
      r.header.find("EBZ") != std::string_view::npos)
    return "q3d";
  std::string version = ValueText(r, Obis{1, 3, 0, 2, 8});
  if (version == "50") return "dsmr5";
  if (version == "40" || version == "42") {
    return r.Find(Obis{0, 0, 42, 0, 0}) ? "lu" : "dsmr4";
  }
  if (r.header.size() > 3 && r.header[3] == '9') return "se";
  if (r.header.find("MIE") != std::string_view::npos) return "ie";  // Iskra IE.x: "/ISk5MIE5T-200"
  if (r.crc == CrcStatus::kAbsent) return r.Find(Obis{0, 0, 96, 13, 1}) ? "dsmr3" : "dsmr2";
  if (r.Find(Obis{1, 0, 1, 8, 0})) return "se";
  return "dsmr5";
}

std::string ProbeSnippet(const std::string& device, const SerialSettings& settings,
                         const std::string& preset) {
  std::string o = "[[meters]]\nname = \"home\"\nserial = \"" + device + "\"\npreset = \"" + preset +
                  "\"\n";
  SerialSettings standard;
  PresetSerialSettings(preset, &standard);
  if (settings.baud != standard.baud) o += "baud = " + std::to_string(settings.baud) + "\n";
  if (settings.data_bits != standard.data_bits) {
    o += "data_bits = " + std::to_string(settings.data_bits) + "\n";
  }
  if (settings.parity != standard.parity) {
    o += "parity = \"" + std::string(ParityName(settings.parity)) + "\"\n";
  }
  if (settings.stop_bits != standard.stop_bits) {
    o += "stop_bits = " + std::to_string(settings.stop_bits) + "\n";
  }
  if (preset == "lu" || preset == "at" || preset == "at-mbus") {
    o += "key = \"<32 hex digits: the decryption key from your grid operator>\"\n"
         "# aad_key = \"<32 hex digits>\"   # only if your operator gave an authentication key\n";
  }
  return o;
}

std::vector<std::string> PortUsers(const std::string& device) {
  std::vector<std::string> users;
  char want[PATH_MAX];
  if (realpath(device.c_str(), want) == nullptr) return users;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return users;
  while (struct dirent* p = readdir(proc)) {
    if (!std::isdigit(static_cast<unsigned char>(p->d_name[0]))) continue;
    const std::string base = std::string("/proc/") + p->d_name;
    DIR* fds = opendir((base + "/fd").c_str());
    if (fds == nullptr) continue;  // gone, or not ours to inspect
    bool has = false;
    while (struct dirent* f = readdir(fds)) {
      if (f->d_name[0] == '.') continue;
      char target[PATH_MAX];
      const std::string link = base + "/fd/" + f->d_name;
      ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      target[n] = '\0';
      if (std::strcmp(target, want) == 0) {
        has = true;
        break;
      }
    }
    closedir(fds);
    if (!has) continue;
    std::string comm;
    if (std::FILE* c = std::fopen((base + "/comm").c_str(), "r")) {
      char buf[64] = {};
      if (std::fgets(buf, sizeof buf, c) != nullptr) comm = buf;
      std::fclose(c);
    }
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    users.push_back((comm.empty() ? "?" : comm) + " (pid " + p->d_name + ")");
  }
  closedir(proc);
  return users;
}

std::string UdevRule(int vid, int pid, const char* serial) {
  char ids[96];
  std::snprintf(ids, sizeof ids, "SUBSYSTEM==\"tty\", ATTRS{idVendor}==\"%04x\", ATTRS{idProduct}==\"%04x\"",
                vid & 0xffff, pid & 0xffff);
  std::string rule = ids;
  std::string name;
  if (serial != nullptr && serial[0] != '\0') {
    std::string match;
    for (const char* c = serial; *c != '\0'; ++c) {
      bool plain = std::isalnum(static_cast<unsigned char>(*c)) || *c == '.' || *c == '_' || *c == '-';
      match += plain ? *c : '?';
      name += plain ? *c : '_';
    }
    rule += ", ATTRS{serial}==\"" + match + "\"";
  } else {
    char id[16];
    std::snprintf(id, sizeof id, "%04x-%04x", vid & 0xffff, pid & 0xffff);
    name = id;
  }
  return rule + ", SYMLINK+=\"p1meter-" + name + "\", GROUP=\"dialout\", MODE=\"0660\"";
}

int RunListPorts(std::FILE* out, std::FILE* err) {
  sp_port** ports = nullptr;
  if (sp_list_ports(&ports) != SP_OK) {
    std::fprintf(err, "list-ports: libserialport cannot enumerate ports\n");
    return 1;
  }
  auto by_id = ByIdNames();
  int count = 0;
  std::vector<std::string> rules;
  for (int i = 0; ports[i] != nullptr; ++i, ++count) {
    sp_port* p = ports[i];
    const char* name = sp_get_port_name(p);
    const char* desc = sp_get_port_description(p);
    std::fprintf(out, "%s", name);
    if (desc) std::fprintf(out, "  %s", desc);
    if (sp_get_port_transport(p) == SP_TRANSPORT_USB) {
      int vid = 0, pid = 0;
      sp_get_port_usb_vid_pid(p, &vid, &pid);
      const char* serial = sp_get_port_usb_serial(p);
      std::fprintf(out, "  usb %04x:%04x", vid, pid);
      if (serial) std::fprintf(out, " serial %s", serial);
      rules.push_back(UdevRule(vid, pid, serial));
    }
    char real[PATH_MAX];
    if (realpath(name, real) != nullptr) {
      auto it = by_id.find(real);
      if (it != by_id.end()) std::fprintf(out, "  %s", it->second.c_str());
    }
    for (const std::string& user : PortUsers(name)) std::fprintf(out, "  in use by %s", user.c_str());
    std::fprintf(out, "\n");
  }
  sp_free_port_list(ports);
  if (count == 0) std::fprintf(err, "list-ports: no serial ports found\n");
  if (!rules.empty()) {
    std::fprintf(out, "\n# udev rules for stable names (/etc/udev/rules.d/99-p1gateway.rules):\n");
    for (const std::string& r : rules) std::fprintf(out, "%s\n", r.c_str());
  }
  return 0;
}

int RunProbe(const std::string& device, int timeout_ms, std::FILE* out, std::FILE* err) {
  // The P1 settings, then the M-Bus customer interface of Austrian meters.
  std::vector<SerialSettings> all(std::begin(kProbeSettings), std::end(kProbeSettings));
  SerialSettings mbus_settings;
  PresetSerialSettings("at-mbus", &mbus_settings);
  all.push_back(mbus_settings);
  for (const SerialSettings& settings : all) {
    const std::string text = SerialSettingsString(settings);
    const char* label = text.c_str();
    std::fprintf(err, "probe %s: trying %s for up to %d ms\n", device.c_str(), label, timeout_ms);
    std::string open_err;
    ProbeResult r = ProbeOnce(device, settings, timeout_ms, &open_err);
    if (!open_err.empty() && !r.found) {
      std::fprintf(err, "probe %s: %s\n", device.c_str(), open_err.c_str());
      return 1;
    }
    if (r.encrypted_without_key) {
      std::fprintf(out,
                   "%s: encrypted DLMS frames at %s (Luxembourg Smarty or Austria): needs a key\n%s",
                   device.c_str(), label, ProbeSnippet(device, settings, "lu").c_str());
      return 0;
    }
    if (r.mbus) {
      std::fprintf(out,
                   "%s: M-Bus long frames with encrypted DLMS at %s (an Austrian meter's M-Bus "
                   "customer interface): needs a key\n%s",
                   device.c_str(), label, ProbeSnippet(device, settings, "at-mbus").c_str());
      return 0;
    }
    if (r.found) {
      std::fprintf(out, "%s: %s at %s, header /%s\n%s", device.c_str(), r.preset.c_str(), label,
                   r.header.c_str(), ProbeSnippet(device, settings, r.preset).c_str());
      return 0;
    }
  }
  std::string tried;
  for (const SerialSettings& s : all) {
    tried += (tried.empty() ? "" : ", ") + SerialSettingsString(s);
  }
  std::fprintf(err, "probe %s: no valid telegram at %s\n", device.c_str(), tried.c_str());
  for (const std::string& user : PortUsers(device)) {
    std::fprintf(err, "probe %s: in use by %s, which may be reading the telegrams\n",
                 device.c_str(), user.c_str());
  }
  return 1;
}

}  // namespace p1
