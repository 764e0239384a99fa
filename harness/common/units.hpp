#pragma once
// Unit constants. A number without a unit in its name or type is a bug waiting.
namespace tb::units {

inline constexpr double kSecondsPerDay = 86400.0;
inline constexpr double kSecondsPerHour = 3600.0;
inline constexpr double kTera = 1e12;
inline constexpr double kPeta = 1e15;
// 1 PF-day = 10^15 FLOP/s sustained for one day (GPT-3 paper, Table D.1).
inline constexpr double kFlopPerPfDay = kPeta * kSecondsPerDay;  // 8.64e19

}  // namespace tb::units
