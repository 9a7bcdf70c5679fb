// The HomeWizard Energy P1 meter's local API v1 documents, rendered from a
// Reading: `GET /api` (device) and `GET /api/v1/data` (measurement), with
// the names, types and units of homewizard/api-documentation docs/v1 and
// the client python-homewizard-energy (Home Assistant's). Pure.
#ifndef P1GW_EXPORTERS_JSON_HOMEWIZARD_H_
#define P1GW_EXPORTERS_JSON_HOMEWIZARD_H_

#include <string>
#include <string_view>

#include "gateway/core/reading.h"

namespace p1 {

// The device's 12-digit lowercase hex "serial" (a real P1 meter's MAC
// address): the top 48 bits of the 64-bit FNV-1a hash of the meter's name,
// so it is stable for a meter and distinct between meters (a clash between
// two names is a 1-in-2^48 event). "home" -> always the same 12 digits.
std::string HomeWizardSerial(std::string_view meter_name);

// GET /api: {"product_type":"HWE-P1","product_name":"P1 Meter","serial":…,
// "firmware_version":<firmware_version>,"api_version":"v1"}.
std::string RenderHomeWizardDevice(std::string_view meter_name, std::string_view firmware_version);

struct HomeWizardDataOptions {
  // Required by clients: python-homewizard-energy takes a document without
  // wifi_ssid for an API v2 one and maps none of the v1 fields.
  std::string_view wifi_ssid = "p1gateway";
  int wifi_strength = 100;  // percent; a wired gateway has no signal to report
};

// GET /api/v1/data. Every field the meter does not send is omitted (never
// 0); `external` is omitted when there is no M-Bus device with a reading.
// Energies in kWh, powers in W (converted from the meter's units, from the
// digits as sent), active_power_w and active_power_lN_w net (import -
// export, negative when exporting), time stamps as YYMMDDhhmmss numbers of
// the meter's local time. The field list and the choices made are in
// homewizard.cc.
std::string RenderHomeWizardData(const Reading& reading, const HomeWizardDataOptions& options);

}  // namespace p1

#endif  // P1GW_EXPORTERS_JSON_HOMEWIZARD_H_
