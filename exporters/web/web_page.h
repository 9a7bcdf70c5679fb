// The live web page served at GET /: exporters/web/index.html (HTML, CSS
// and JS in one file), embedded at build time. Pure data.
#ifndef P1GW_EXPORTERS_WEB_WEB_PAGE_H_
#define P1GW_EXPORTERS_WEB_WEB_PAGE_H_

#include <string_view>

namespace p1 {

// The page, as the file in the source tree holds it.
std::string_view WebPage();

}  // namespace p1

#endif  // P1GW_EXPORTERS_WEB_WEB_PAGE_H_
