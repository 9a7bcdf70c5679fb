// Local-time helpers for DSMR timestamps: Dutch/Belgian meters send local
// wall-clock time (CET/CEST). Pure arithmetic on std::chrono's calendar: no
// TZ database, no timegm, no process-wide state, so results never depend on
// the host's time zone.
#ifndef P1GW_GATEWAY_CORE_DSMR_TIME_H_
#define P1GW_GATEWAY_CORE_DSMR_TIME_H_

#include <cstdint>
#include <string_view>

#include "gateway/core/reading.h"

namespace p1 {

// Days since 1970-01-01 of the proleptic Gregorian date y-m-d (month 1..12,
// year within std::chrono::year's range), via std::chrono's calendar.
int64_t DaysFromCivil(int year, int month, int day);
// The inverse: the proleptic Gregorian date of a day count since 1970-01-01.
void CivilFromDays(int64_t days, int* year, int* month, int* day);

// Resolves a CET/CEST wall-clock time to UTC. suffix 'S' -> +02:00, 'W' ->
// +01:00, anything else -> by the EU rule (summer time from the last Sunday
// of March 01:00 UTC to the last Sunday of October 01:00 UTC; the repeated
// hour resolves to winter time). Returns false (out->valid = false) when
// the fields are not a real date and time.
bool ResolveCetTime(int year, int month, int day, int hour, int minute, int second, char suffix,
                    Timestamp* out);

// Re-resolves every valid timestamp of *r for a meter whose clock is not on
// CET/CEST: resolve(local_seconds, summer, &ts) gets the wall-clock time
// the meter sent (seconds since 1970 as if it were UTC) and whether it was
// read as summer time (the S/W flag, else the EU rule), and sets ts.
template <typename Resolve>
void RezoneTimestamps(Reading* r, Resolve resolve) {
  auto one = [&](Timestamp* ts) {
    if (!ts->valid) return;
    const int64_t local = ts->unix_seconds + int64_t{ts->offset_minutes} * 60;
    resolve(local, ts->offset_minutes == 120, ts);
  };
  for (CosemObject& o : r->objects) one(&o.timestamp);
  for (PowerFailureEvent& e : r->events) one(&e.end);
  for (HistoryEntry& e : r->entries) {
    one(&e.period);
    one(&e.time);
  }
  for (MbusDevice& d : r->mbus) one(&d.timestamp);
}

// ACE4000's "YY-MM-DD hh:mm:ss" (no DST marker; resolved by the EU rule).
bool ParseAceTimestamp(std::string_view text, Timestamp* out);

// True when `text` has the shape of a DSMR timestamp: 12 digits and an
// S/W suffix (valid or not as a date). Used to tell timestamps from values;
// inline because the parser asks it of nearly every value.
inline bool LooksLikeDsmrTimestamp(std::string_view text) {
  if (text.size() != 13) return false;
  const char x = text[12];
  if (x != 'S' && x != 'W' && x != 's' && x != 'w') return false;
  for (size_t i = 0; i < 12; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

}  // namespace p1

#endif  // P1GW_GATEWAY_CORE_DSMR_TIME_H_
