#pragma once
// Numbers for people: "174.6 B", "22.0 billion", "3.14e+23". Machines get full precision JSON.
#include <string>
#include <vector>

namespace tb {

std::string human_count(double value);   // 174.6 B, 1.32 B, 125.2 M, 12.3 K
// Money for people, in every table and line alike (JSON keeps plain numbers): "21.97 billion CNY",
// "3.02 million USD", "583,639 USD", "12.50 USD".
std::string human_money(double value, const std::string& currency);
std::string sci(double value);           // "3.14e+23"
// Three significant digits below 100 ("0.0409", "12.3"), whole numbers above ("368"): a small
// figure (a CPU's TFLOP/s, a small model's MWh) never prints as 0.
std::string human_value(double value);
// A count of data centers: two decimals as the article prints them (7.28), three significant
// digits below one (0.0312, 0.00522), so that a fraction of a site keeps its precision; below a
// thousandth in exponent form (1.21e-04).
std::string human_sites(double sites);
// A winner line's label among the priced only: "lowest cost", or "lowest cost of the priced (b200
// has no price)" when some candidates have none.
std::string among_priced(const std::string& what, const std::vector<std::string>& unpriced,
                         const std::string& price = "price");
// A whole number with thousands separators, for figures compared digit by digit: "1,567".
std::string human_integer(double value);
// PF-days: one decimal from 1000 up, as the article's 3640 and GPT-3's 3.64E+03 are read
// (3637.6); four significant digits below (0.08038, 12.35), never a rounded-up "0.1".
std::string human_pf_days(double pf_days);
// A fraction as a percentage with one decimal: 0.916 → "91.6%".
std::string human_percent(double fraction);
// Bytes in decimal units: "2.79 TB", "2.01 GB", "512 MB", "393 KB", "64 B". Not human_count,
// whose "B" is billions: 2.01e9 bytes there read "2.01 BB".
std::string human_bytes_si(double bytes);

}  // namespace tb
