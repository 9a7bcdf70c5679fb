// [gateway] meters_dir: a fleet's meters one file each, appended to the main
// file's in name order; every error names the file it is in.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "config/config.h"

namespace p1 {
namespace {

// A config folder in the temp directory: main.toml and meters.d/.
class ConfigDir {
 public:
  ConfigDir() {
    char tmpl[] = "/tmp/p1gw-meters-dir-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    root_ = tmpl;
    REQUIRE(mkdir((root_ + "/meters.d").c_str(), 0755) == 0);
  }
  ~ConfigDir() { std::system(("rm -rf '" + root_ + "'").c_str()); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(root_ + "/" + name, std::ios::trunc) << text;
    return root_ + "/" + name;
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

std::string Meter(const std::string& name, int port) {
  return "[[meters]]\nname = \"" + name + "\"\nsimulate = \"dsmr5\"\n  [[meters.listeners]]\n" +
         "  listen = \"127.0.0.1:" + std::to_string(port) + "\"\n";
}

const std::string kMain = "[gateway]\nmeters_dir = \"meters.d\"\n[http]\nlisten = \"127.0.0.1:9464\"\n";

TEST_CASE("meters_dir: every *.toml file's meters, after the main file's, in name order",
          "[config]") {
  ConfigDir dir;
  const std::string main = dir.Write("main.toml", kMain + Meter("house", 2001));
  dir.Write("meters.d/20-b.toml", Meter("b", 2003));
  dir.Write("meters.d/10-a.toml", Meter("a", 2002) + Meter("a2", 2004));
  dir.Write("meters.d/notes.txt", "not a config");
  dir.Write("meters.d/.hidden.toml", "garbage = [");
  GatewayConfig c;
  std::string err;
  REQUIRE(LoadConfigFile(main, &c, &err));
  REQUIRE(c.meters.size() == 4);
  CHECK(c.meters[0].name == "house");
  CHECK(c.meters[1].name == "a");
  CHECK(c.meters[2].name == "a2");
  CHECK(c.meters[3].name == "b");
  // The effective config lists them all and reads back as the same config.
  GatewayConfig again;
  REQUIRE(ParseConfig(DumpConfig(c), "dump.toml", &again, &err));
  CHECK(again == c);

  SECTION("an absolute meters_dir, and a main file with no meter of its own") {
    const std::string abs = dir.Write(
        "abs.toml", "[gateway]\nmeters_dir = \"" + dir.root() + "/meters.d\"\n");
    GatewayConfig d;
    REQUIRE(LoadConfigFile(abs, &d, &err));
    CHECK(d.meters.size() == 3);
  }
}

TEST_CASE("meters_dir errors name the file, line and column they are in", "[config]") {
  ConfigDir dir;
  const std::string main = dir.Write("main.toml", kMain + Meter("house", 2001));
  GatewayConfig c;
  std::string err;

  SECTION("a bad key in an included file") {
    const std::string f = dir.Write("meters.d/a.toml", Meter("a", 2002) + "baudrate = 9600\n");
    CHECK_FALSE(LoadConfigFile(main, &c, &err));
    CHECK(err == f + ":6:1: unknown key 'baudrate' in [[meters.listeners]]");
  }
  SECTION("a name used in two files") {
    dir.Write("meters.d/a.toml", Meter("twin", 2002));
    const std::string b = dir.Write("meters.d/b.toml", Meter("twin", 2003));
    CHECK_FALSE(LoadConfigFile(main, &c, &err));
    CHECK(err == b + ":2:8: duplicate meter name 'twin' (first at line 2 of " + dir.root() +
                     "/meters.d/a.toml)");
  }
  SECTION("a port used by the main file and an included one") {
    const std::string a = dir.Write("meters.d/a.toml", Meter("a", 2001));
    CHECK_FALSE(LoadConfigFile(main, &c, &err));
    CHECK(err.rfind(a + ":5:", 0) == 0);
    CHECK(err.find("127.0.0.1:2001 is already used by") != std::string::npos);
  }
  SECTION("anything but [[meters]] in an included file") {
    const std::string a = dir.Write("meters.d/a.toml", "[http]\nlisten = \"\"\n");
    CHECK_FALSE(LoadConfigFile(main, &c, &err));
    CHECK(err == a + ":1:2: only [[meters]] tables belong in a meters_dir file");
  }
  SECTION("a TOML syntax error in an included file") {
    const std::string a = dir.Write("meters.d/a.toml", "[[meters]]\nname = \"a\n");
    CHECK_FALSE(LoadConfigFile(main, &c, &err));
    CHECK(err.rfind(a + ":2:", 0) == 0);
  }
  SECTION("a missing folder") {
    const std::string m = dir.Write("missing.toml", "[gateway]\nmeters_dir = \"nowhere\"\n");
    CHECK_FALSE(LoadConfigFile(m, &c, &err));
    CHECK(err == m + ":2:14: meters_dir '" + dir.root() +
                     "/nowhere': cannot open: No such file or directory");
  }
}

}  // namespace
}  // namespace p1
