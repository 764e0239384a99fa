#pragma once
// Numbers for people: "174.6 B", "22.0 billion", "3.14e+23". Machines get full precision JSON.
#include <string>

namespace tb {

std::string human_count(double value);   // 174.6 B, 1.32 B, 125.2 M, 12.3 K
std::string human_money(double value, const std::string& currency);  // "22.0 billion CNY"
std::string sci(double value);           // "3.14e+23"
// Three significant digits below 100 ("0.0409", "12.3"), whole numbers above ("368"): a small
// figure (a CPU's TFLOP/s, a small model's MWh) never prints as 0.
std::string human_value(double value);
// A count of data centers: two decimals as the article prints them (7.28), more digits where
// that would read 0.00.
std::string human_sites(double sites);

}  // namespace tb
