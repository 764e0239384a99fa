#include "harness/common/human_format.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <iterator>
#include <utility>

namespace tb {

std::string human_count(double v) {
  const double a = std::fabs(v);
  if (a >= 1e12) return fmt::format("{:.2f} T", v / 1e12);
  if (a >= 1e9) return fmt::format("{:.2f} B", v / 1e9);
  if (a >= 1e6) return fmt::format("{:.1f} M", v / 1e6);
  if (a >= 1e3) return fmt::format("{:.1f} K", v / 1e3);
  return human_value(v);
}

std::string among_priced(const std::string& what, const std::vector<std::string>& unpriced, const std::string& price) {
  if (unpriced.empty()) return what;
  return fmt::format("{} of the priced ({} {} no {})", what, fmt::join(unpriced, ", "),
                     unpriced.size() == 1 ? "has" : "have", price);
}

std::string human_integer(double v) {
  if (!std::isfinite(v)) return "-";
  const std::string digits = fmt::format("{:.0f}", std::fabs(v));
  std::string out = v < 0 && digits != "0" ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string human_sites(double n) {
  if (n >= 1) return fmt::format("{:.2f}", n);
  // Below a thousandth, always in exponent form: a column of 1.62e-05 beside 0.000121 misreads.
  return n >= 1e-3 || n == 0 ? human_value(n) : fmt::format("{:.2e}", n);
}

std::string human_pf_days(double v) { return std::fabs(v) >= 1000 ? fmt::format("{:.1f}", v) : fmt::format("{:.4g}", v); }

std::string human_percent(double fraction) { return fmt::format("{:.1f}%", 100.0 * fraction); }

std::string human_bytes_si(double b) {
  // Each unit from where the one below would round up to 1000 ("1000.00 GB", "1e+03 MB").
  if (b >= 999.995e9) return fmt::format("{:.2f} TB", b / 1e12);
  if (b >= 999.5e6) return fmt::format("{:.2f} GB", b / 1e9);
  if (b >= 999.5e3) return fmt::format("{:.3g} MB", b / 1e6);
  if (b >= 999.5) return fmt::format("{:.3g} KB", b / 1e3);
  return fmt::format("{:.0f} B", b);
}

std::string human_value(double v) {
  if (std::fabs(v) >= 100 || v == 0) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

std::string human_money(double v, const std::string& currency) {
  if (!std::isfinite(v)) return fmt::format("- {}", currency);
  // The unit is chosen after rounding to what is printed, so that 999,999.5 reads "1.00 million",
  // not "1,000,000", and 999.995 "1,000", not "1000.00"; a value that rounds to zero is "0.00".
  const double cents = std::round(v * 100) / 100;
  if (std::fabs(cents) < 1e3) return fmt::format("{:.2f} {}", cents == 0 ? 0.0 : cents, currency);
  // Whole units with separators from a thousand up ("583,639 USD"), cents below ("12.50 USD").
  if (std::fabs(std::round(v)) < 1e6) return fmt::format("{} {}", human_integer(v), currency);
  static constexpr std::pair<double, const char*> kUnits[] = {{1e6, "million"}, {1e9, "billion"}, {1e12, "trillion"}};
  for (size_t i = 0; i < std::size(kUnits); ++i) {
    const auto [unit, name] = kUnits[i];
    const double shown = std::round(v / unit * 100) / 100;
    if (std::fabs(shown) < 1e3 || i + 1 == std::size(kUnits)) return fmt::format("{:.2f} {} {}", shown, name, currency);
  }
  return "";  // not reached: the last unit always returns
}

std::string sci(double v) { return fmt::format("{:.3e}", v); }

}  // namespace tb
