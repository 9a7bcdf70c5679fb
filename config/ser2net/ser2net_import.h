// `p1gateway import-ser2net`: converts a ser2net configuration (the
// ser2net.yaml subset P1 users write, or v3 ser2net.conf port lines) into
// p1gateway TOML that ParseConfig accepts. Pure function of the text.
#ifndef P1GW_CONFIG_SER2NET_SER2NET_IMPORT_H_
#define P1GW_CONFIG_SER2NET_SER2NET_IMPORT_H_

#include <string>
#include <string_view>

namespace p1 {

// One meter per device (serial path or remote tcp host:port), one listener
// per ser2net connection. Settings without a p1gateway equivalent become
// comments in the output. On error returns false with one line
// "FILE:LINE: message" in *err. The format is detected from the text.
bool ImportSer2net(std::string_view text, std::string_view source_name, std::string* toml_out,
                   std::string* err);

}  // namespace p1

#endif  // P1GW_CONFIG_SER2NET_SER2NET_IMPORT_H_
