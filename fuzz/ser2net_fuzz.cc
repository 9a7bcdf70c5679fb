// libFuzzer target: ImportSer2net never crashes. Its contract: on error one
// line starting with the source name; on success TOML that ParseConfig
// accepts, and (as for every valid config) whose DumpConfig parses back to
// an equal config. Both readers (yaml and conf; ImportSer2net picks one from
// the text) also see every input directly, so each gets all the mutations.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/ser2net/ser2net_import.h"
#include "config/ser2net/ser2net_model.h"

namespace {

void Fail(const char* what, std::string_view a, std::string_view b = {}) {
  std::fprintf(stderr, "ser2net_fuzz: %s\n--- a ---\n%.*s\n--- b ---\n%.*s\n", what,
               static_cast<int>(a.size()), a.data(), static_cast<int>(b.size()), b.data());
  std::abort();
}

bool OneLine(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);

  for (auto* read : {&p1::ReadSer2netYaml, &p1::ReadSer2netConf}) {
    std::vector<p1::Ser2netPort> ports;
    std::string why;
    if (!read(text, &ports, &why) && !OneLine(why)) Fail("reader error is not one line", text, why);
  }

  std::string toml, err;
  if (!p1::ImportSer2net(text, "s2n", &toml, &err)) {
    if (!OneLine(err) || err.rfind("s2n:", 0) != 0) Fail("bad error", text, err);
    return 0;
  }
  p1::GatewayConfig config, again;
  if (!p1::ParseConfig(toml, "converted", &config, &err)) Fail("output does not parse", toml, err);
  if (config.meters.empty()) Fail("no meters", toml);
  const std::string dump = p1::DumpConfig(config);  // imports carry no keys
  if (!p1::ParseConfig(dump, "dump", &again, &err)) Fail("dump does not parse", dump, err);
  if (!(again == config)) Fail("dump parses to a different config", toml, dump);
  return 0;
}
