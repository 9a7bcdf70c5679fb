// p1gateway: command line entry point. Exit codes: 0 ok, 1 runtime failure,
// 2 usage or config error.
#include <malloc.h>
#include <sys/resource.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>

#include "config/config.h"
#include "config/ser2net/ser2net_import.h"
#include "gateway/app/app.h"
#include "gateway/app/demo_config.h"
#include "gateway/cli/parse_command.h"
#include "gateway/cli/probe.h"
#include "gateway/cli/simulate_command.h"
#include "gateway/loop/uv_loop.h"

namespace p1 {
namespace {

constexpr const char* kDefaultConfig = "/etc/p1gateway/p1gateway.toml";

bool KeyOption(const std::string& hex, const char* what, std::optional<AesKey>* out) {
  if (hex.empty()) return true;
  *out = ParseAesKey(hex);
  if (!*out) {
    std::fprintf(stderr, "%s: expected 32 hex digits\n", what);
    return false;
  }
  return true;
}

// The soft descriptor limit up to the hard one, as systemd advises for
// programs that never use select(): a fleet gateway holds one socket per TCP
// meter and per client, and Debian's soft default is 1024 (LimitNOFILE=1024:524288).
void RaiseDescriptorLimit() {
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  const rlim_t before = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) == 0) {
    spdlog::debug("descriptor limit raised from {} to {}", before, lim.rlim_cur);
  }
}

int RunGateway(const std::string& path, GatewayConfig config, int verbosity) {
  // A fixed threshold (glibc's own moves up to the largest block freed, up
  // to 32 MiB) keeps a fleet's scrape bodies, 1-5 MB of text and its gzip
  // copy, in their own mappings that go back to the kernel when sent,
  // instead of heap pages that stay resident after the scrape.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  std::string level = config.log_level;
  if (verbosity == 1) level = "debug";
  if (verbosity >= 2) level = "trace";
  SetupLogging(level);
  RaiseDescriptorLimit();
  UvLoop loop;
  int rc = 0;
  {
    const bool no_meters = config.meters.empty();
    App app(loop.get(), path, std::move(config));
    std::string err;
    if (!app.Start(&err)) {
      spdlog::error("{}", err);
      std::fprintf(stderr, "p1gateway: %s\n", err.c_str());
      app.Shutdown();
      rc = 1;
    } else {
      spdlog::info("p1gateway {} running", PROJECT_VERSION);
      if (no_meters) {
        spdlog::warn("no [[meters]] in {}: serving only the gateway's own health; add a meter "
                     "and reload (SIGHUP)",
                     path);
      }
    }
    loop.Run();
  }
  if (!loop.Close()) {
    spdlog::error("handles left open at shutdown");
    rc = 1;
  }
  spdlog::shutdown();
  return rc;
}

int LoadOrExit(const std::string& path, GatewayConfig* config) {
  std::string err;
  if (!LoadConfigFile(path, config, &err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 2;
  }
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App cli{
      "p1gateway: DSMR P1 smart-meter gateway (ser2net replacement + Prometheus exporter)"};
  cli.set_version_flag("--version", std::string("p1gateway ") + PROJECT_VERSION);
  std::string config_path;
  bool demo = false;
  int verbosity = 0;
  cli.add_option("-c,--config", config_path,
                 "config file (default " + std::string(kDefaultConfig) + ")");
  cli.add_flag("--demo", demo, "run the built-in demo: simulated meters on 127.0.0.1");
  cli.add_flag("-v,--verbose", verbosity, "more logging (-v debug, -vv trace)");

  ParseCommandOptions parse_opts;
  std::string parse_key, parse_aad, parse_format = "json", parse_zone, parse_wrapping = "none";
  auto* parse =
      cli.add_subcommand("parse", "parse telegrams from files or stdin, print JSON or text");
  parse->add_option("--key", parse_key, "AES-128 decryption key (32 hex digits)");
  parse->add_option("--aad-key", parse_aad, "authentication key (32 hex digits)");
  parse->add_option("--timezone", parse_zone,
                    "IANA zone of the meter's clock, e.g. Europe/Dublin (default CET/CEST)");
  parse->add_option("--format", parse_format, "json | text")
      ->check(CLI::IsMember({"json", "text"}));
  parse->add_option("--wrapping", parse_wrapping,
                    "none | rfxtrx | mbus: the link layer around the data (mbus: Austrian "
                    "M-Bus frames, give --key)")
      ->check(CLI::IsMember({"none", "rfxtrx", "mbus"}));
  parse->add_option("inputs", parse_opts.inputs, "FILE or - for stdin")->required();

  std::string check_path;
  auto* check = cli.add_subcommand("check-config", "validate and print the effective config");
  check->add_option("file", check_path)->required();

  auto* list_ports = cli.add_subcommand("list-ports", "serial ports libserialport sees");

  std::string probe_device;
  int probe_timeout = 12000;
  auto* probe = cli.add_subcommand("probe", "detect baud/parity/DSMR variant of a port");
  probe->add_option("device", probe_device)->required();
  probe->add_option("--timeout-ms", probe_timeout, "time per setting (default 12000)");

  SimulateOptions sim_opts;
  std::string sim_key, sim_aad;
  auto* simulate = cli.add_subcommand("simulate", "emit realistic telegrams");
  simulate
      ->add_option("--variant", sim_opts.variant,
                   "dsmr2 | dsmr3 | dsmr4 | dsmr5 | be | lu | se | q3d | at | at-mbus | ie")
      ->required();
  simulate->add_option("--rate", sim_opts.rate_hz, "telegrams per second (default: the variant's)");
  simulate->add_option("--out", sim_opts.out,
                       "- (stdout) | PATH (pty linked at PATH, or a tty) | tcp-listen:ADDR");
  simulate->add_option("--count", sim_opts.count, "stop after N telegrams");
  simulate->add_option("--seed", sim_opts.seed, "random seed");
  simulate->add_option("--key", sim_key, "encrypt (lu, at; at-mbus needs one) with this key");
  simulate->add_option("--aad-key", sim_aad, "authentication key");

  std::string import_path;
  auto* import =
      cli.add_subcommand("import-ser2net", "convert ser2net.yaml / ser2net.conf to TOML");
  import->add_option("file", import_path)->required();

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = cli.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (*parse) {
    if (!KeyOption(parse_key, "--key", &parse_opts.key) ||
        !KeyOption(parse_aad, "--aad-key", &parse_opts.aad_key))
      return 2;
    parse_opts.json = parse_format == "json";
    ParseWrapping(parse_wrapping, &parse_opts.wrapping);
    std::string err;
    if (!parse_zone.empty() && !TimeZone::Find(parse_zone, &parse_opts.zone, &err)) {
      std::fprintf(stderr, "p1gateway parse: --timezone: %s\n", err.c_str());
      return 2;
    }
    return RunParseCommand(parse_opts, stdout, stderr);
  }
  if (*check) {
    GatewayConfig config;
    if (int rc = LoadOrExit(check_path, &config)) return rc;
    std::fputs(DumpConfig(config).c_str(), stdout);
    return 0;
  }
  if (*list_ports) return RunListPorts(stdout, stderr);
  if (*probe) return RunProbe(probe_device, probe_timeout, stdout, stderr);
  if (*simulate) {
    if (!KeyOption(sim_key, "--key", &sim_opts.key) ||
        !KeyOption(sim_aad, "--aad-key", &sim_opts.aad_key))
      return 2;
    SetupLogging("info");
    return RunSimulate(sim_opts);
  }
  if (*import) {
    std::string text, out, err;
    std::FILE* f = std::fopen(import_path.c_str(), "rb");
    if (f == nullptr) {
      std::fprintf(stderr, "%s: cannot read\n", import_path.c_str());
      return 2;
    }
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && text.size() < (1u << 20))
      text.append(buf, n);
    std::fclose(f);
    if (!ImportSer2net(text, import_path, &out, &err)) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 2;
    }
    std::fputs(out.c_str(), stdout);
    return 0;
  }

  GatewayConfig config;
  if (demo) {
    std::string err;
    if (!ParseConfig(kDemoConfigToml, "<built-in demo>", &config, &err)) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 2;
    }
    return RunGateway("", std::move(config), verbosity);
  }
  if (config_path.empty()) config_path = kDefaultConfig;
  if (int rc = LoadOrExit(config_path, &config)) return rc;
  return RunGateway(config_path, std::move(config), verbosity);
}

}  // namespace
}  // namespace p1

int main(int argc, char** argv) {
  // Every subcommand that writes to sockets (the gateway's listeners,
  // simulate --out tcp-listen:) must see a peer that closed as EPIPE on that
  // one write, never as a signal that ends the process. Outside systemd
  // (which sets SIGPIPE to ignore) a client's close would otherwise kill us.
  std::signal(SIGPIPE, SIG_IGN);
  return p1::Main(argc, argv);
}
