// OutChunk: one immutable piece of client output (a telegram, a byte chunk,
// or its telnet-escaped copy) shared by every session it is sent to. `owner`
// keeps `data` alive; each write request holds a copy until it completes.
#ifndef P1GW_GATEWAY_LOOP_OUT_CHUNK_H_
#define P1GW_GATEWAY_LOOP_OUT_CHUNK_H_

#include <memory>
#include <string>
#include <string_view>

namespace p1 {

struct OutChunk {
  std::shared_ptr<const void> owner;
  std::string_view data;

  bool empty() const { return data.empty(); }
  static OutChunk Of(std::shared_ptr<const std::string> s) {
    OutChunk c;
    c.data = *s;
    c.owner = std::move(s);
    return c;
  }
};

}  // namespace p1

#endif  // P1GW_GATEWAY_LOOP_OUT_CHUNK_H_
