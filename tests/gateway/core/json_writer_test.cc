#include "gateway/core/json_writer.h"

#include <catch2/catch.hpp>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace p1 {
namespace {

TEST_CASE("the writer places commas and keys in nested objects and arrays") {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject()
      .Key("a")
      .Int(1)
      .Key("b")
      .BeginArray()
      .BeginObject()
      .Key("x")
      .String("y")
      .EndObject()
      .Number(2.5)
      .EndArray()
      .Key("c")
      .BeginObject()
      .EndObject()
      .Key("d")
      .BeginArray()
      .EndArray()
      .Key("e")
      .Int(-7)
      .EndObject();
  CHECK(out == R"({"a":1,"b":[{"x":"y"},2.5],"c":{},"d":[],"e":-7})");
  CHECK(nlohmann::json::parse(out)["b"][1] == 2.5);
}

TEST_CASE("numbers are the shortest round-trip text; non-finite ones are null") {
  std::string out;
  AppendJsonNumber(&out, 13779.338);
  out.push_back(' ');
  AppendJsonNumber(&out, 543.0);
  out.push_back(' ');
  AppendJsonNumber(&out, -0.5);
  out.push_back(' ');
  AppendJsonNumber(&out, std::numeric_limits<double>::infinity());
  out.push_back(' ');
  AppendJsonNumber(&out, std::numeric_limits<double>::quiet_NaN());
  CHECK(out == "13779.338 543 -0.5 null null");
}

TEST_CASE("strings escape quotes and controls and replace invalid UTF-8") {
  std::string out;
  AppendJsonString(&out, std::string("a\"b\\c\n\x01\x7f\xff\xc3\xa9", 11));
  CHECK(out == "\"a\\\"b\\\\c\\n\\u0001\\u007f\\ufffd\xc3\xa9\"");
  CHECK(nlohmann::json::parse(out).get<std::string>() == "a\"b\\c\n\x01\x7f\xef\xbf\xbd\xc3\xa9");
}

}  // namespace
}  // namespace p1
