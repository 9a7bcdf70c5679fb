// libFuzzer target: ParseTelegram never crashes, hangs or reads outside its
// input, whatever the bytes; the Reading is reused as in the gateway.
#include <cstdint>
#include <string_view>

#include "gateway/core/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  static p1::Reading reading;
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  p1::ParseTelegram(text, &reading);
  for (const p1::CosemObject& o : reading.objects) {
    // Views must point into the input.
    for (std::string_view v : {o.number_text, o.unit, o.text}) {
      if (!v.empty() && (v.data() < text.data() || v.data() + v.size() > text.data() + size)) {
        __builtin_trap();
      }
    }
  }
  return 0;
}
