// [[remote_write]]: defaults, every key, a dump that reads back, and every
// error with its FILE:LINE:COLUMN.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "tests/config/config_test_util.h"

namespace p1 {
namespace {

const std::string kSim = "[[meters]]\nname = \"home\"\nsimulate = \"dsmr5\"\n";

std::string ErrorOf(const std::string& text) {
  GatewayConfig config;
  std::string err;
  CHECK_FALSE(ParseConfig(text, "t.toml", &config, &err));
  CHECK(err.find('\n') == std::string::npos);
  return err;
}

TEST_CASE("[[remote_write]]: defaults, every key, and a dump that reads back") {
  CHECK(Parse(kSim).remote_write.empty());
  GatewayConfig d =
      Parse("[[remote_write]]\nurl = \"http://vm.lan:8428/api/v1/write?extra_label=a\"\n" + kSim);
  REQUIRE(d.remote_write.size() == 1);
  const RemoteWriteConfig& r = d.remote_write[0];
  CHECK(r.name == "http://vm.lan:8428/api/v1/write");  // the query may carry a token
  CHECK(r.interval == Millis(15000));
  CHECK_FALSE(r.on_telegram);
  CHECK(r.timeout == Millis(30000));
  CHECK(r.queue_samples == 100000);
  CHECK(r.max_samples_per_send == 2000);
  CHECK(r.external_labels.empty());
  CHECK(Parse(DumpConfig(d)) == d);

  GatewayConfig c = Parse(
      "[[remote_write]]\nurl = \"https://[::1]:9090/api/v1/write\"\nname = \"central\"\n"
      "interval = \"5s\"\non_telegram = true\nexternal_labels = { household = \"12b\", site = "
      "\"north\" }\nbasic_auth_user = \"p1\"\nbasic_auth_password_file = \"/etc/p1gateway/rw.pw\"\n"
      "tls_ca_file = \"ca.pem\"\ntls_insecure_skip_verify = true\ntimeout = \"10s\"\n"
      "queue_samples = 5000\nmax_samples_per_send = 500\n"
      "[[remote_write]]\nurl = \"http://127.0.0.1:8428/api/v1/write\"\n"
      "bearer_token_file = \"tok\"\n");  // no meters: pushing the gateway's health is enough
  REQUIRE(c.remote_write.size() == 2);
  const RemoteWriteConfig& a = c.remote_write[0];
  CHECK(a.url == "https://[::1]:9090/api/v1/write");
  CHECK(a.name == "central");
  CHECK(a.interval == Millis(5000));
  CHECK(a.on_telegram);
  CHECK(a.external_labels == std::map<std::string, std::string>{{"household", "12b"},
                                                                {"site", "north"}});
  CHECK(a.basic_auth_user == "p1");
  CHECK(a.basic_auth_password_file == "/etc/p1gateway/rw.pw");
  CHECK(a.tls_ca_file == "ca.pem");
  CHECK(a.tls_insecure_skip_verify);
  CHECK(a.timeout == Millis(10000));
  CHECK(a.queue_samples == 5000);
  CHECK(a.max_samples_per_send == 500);
  CHECK(c.remote_write[1].bearer_token_file == "tok");
  const std::string dump = DumpConfig(c);
  CHECK(dump.find("rw.pw") != std::string::npos);  // the file's name, never its content
  CHECK(Parse(dump) == c);
}

TEST_CASE("[[remote_write]] errors name the key and what is wrong") {
  const std::string rw = "[[remote_write]]\nurl = \"http://vm:8428/api/v1/write\"\n";  // lines 1-2
  struct Case {
    const char* what;
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"unknown key", rw + "interval_s = 5\n", "t.toml:3:1: unknown key 'interval_s' in [[remote_write]]"},
      {"not an array of tables", "[remote_write]\nurl = \"http://a/\"\n",
       "t.toml:1:1: 'remote_write' must be an array of tables ([[remote_write]])"},
      {"no url", "[[remote_write]]\ninterval = \"5s\"\n", "t.toml:1:1: [[remote_write]] needs 'url'"},
      {"scheme", "[[remote_write]]\nurl = \"ftp://vm/\"\n",
       "t.toml:2:7: 'url': use http://host[:port]/path or https://..."},
      {"credentials in url", "[[remote_write]]\nurl = \"http://u:pw@vm/api/v1/write\"\n",
       "t.toml:2:7: 'url': no user:password@ in the URL"},
      {"bad host", "[[remote_write]]\nurl = \"http://vm:99999/\"\n", "t.toml:2:7: 'url': bad host"},
      {"space", "[[remote_write]]\nurl = \"http://vm/a b\"\n",
       "t.toml:2:7: 'url': no spaces or control characters"},
      {"interval", rw + "interval = \"15\"\n", "t.toml:3:12: 'interval': bad duration '15'"},
      {"zero interval", rw + "interval = \"0s\"\n", "t.toml:3:12: 'interval' must be greater than zero"},
      {"on_telegram", rw + "on_telegram = 1\n", "t.toml:3:15: 'on_telegram' must be true or false"},
      {"label name", rw + "external_labels = { \"0x\" = \"a\" }\n", "t.toml:3:21: bad label name '0x'"},
      {"reserved label", rw + "external_labels = { meter = \"a\" }\n",
       "t.toml:3:21: label 'meter' is reserved"},
      {"label value", rw + "external_labels = { household = 12 }\n",
       "t.toml:3:33: label 'household' must be a string"},
      {"user without password", rw + "basic_auth_user = \"u\"\n",
       "t.toml:3:19: 'basic_auth_user' and 'basic_auth_password_file' go together"},
      {"basic and bearer",
       rw + "basic_auth_user = \"u\"\nbasic_auth_password_file = \"p\"\nbearer_token_file = \"t\"\n",
       "t.toml:5:21: use either basic auth or 'bearer_token_file', not both"},
      {"tls on http", rw + "tls_ca_file = \"ca.pem\"\n", "t.toml:3:15: 'tls_ca_file' needs an https:// url"},
      {"queue range", rw + "queue_samples = 10\n", "t.toml:3:17: 'queue_samples' = 10 is out of range"},
      {"queue below batch", rw + "queue_samples = 1000\nmax_samples_per_send = 2000\n",
       "t.toml:3:17: queue_samples 1000 is smaller than max_samples_per_send 2000"},
      {"two with one name", rw + rw, "t.toml:4:7: two [[remote_write]] targets named "
                                     "'http://vm:8428/api/v1/write' (first at line 2)"},
      {"empty name", rw + "name = \"\"\n", "t.toml:3:8: 'name' must be 1..128 bytes"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    CHECK_THAT(ErrorOf(c.text + kSim), Catch::Matchers::StartsWith(c.expected));
  }
}

}  // namespace
}  // namespace p1
