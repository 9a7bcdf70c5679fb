// The DSMR-logger32 REST API v2 smart-meter documents, rendered from a
// Reading: `GET /api/v2/sm/actual` and `GET /api/v2/sm/info`. Field names
// are arduino-dsmr's, which DSMR-logger, ESPHome's `dsmr` component and
// SlimmeLezer share; the shape is DSMR-logger32's (mrWheel/DSMRlogger32
// restAPI.cpp sendJsonV2smApi): one object of plain values under "actual"
// or "info", no units. Pure.
#ifndef P1GW_EXPORTERS_JSON_DSMR_LOGGER_H_
#define P1GW_EXPORTERS_JSON_DSMR_LOGGER_H_

#include <string>

#include "gateway/core/reading.h"

namespace p1 {

// {"actual":{"timestamp":"230312143055W","energy_delivered_tariff1":12345.678,
// …,"power_delivered":1.234,…,"voltage_l1":231.4,…,"gas_delivered":4567.89}}
// kWh, kW, V, A and m3, converted from the meter's units; M-Bus values
// (mbusN_delivered) in the unit the meter sent. Fields the meter does not
// send are omitted.
std::string RenderDsmrLoggerActual(const Reading& reading);

// {"info":{"identification":…,"p1_version":"50",…,"mbus1_device_type":3,…}}:
// identity and version texts as sent.
std::string RenderDsmrLoggerInfo(const Reading& reading);

}  // namespace p1

#endif  // P1GW_EXPORTERS_JSON_DSMR_LOGGER_H_
