#pragma once
// Prices typed on the command line are checked against typo guards sized in US dollars (a GPU-hour
// rents for tens of dollars, a kWh for cents); a quote in won or rupiah is thousands of times the
// number. The guards scale by the currency's order of magnitude, so that a real price in any
// currency passes and a slipped digit still does not.
#include <string>
#include <utility>
#include <vector>

namespace tb {

// A currency code: letters only (USD, EUR, CNY), at most 8, and one of the table's (those
// currency_factor knows, in any case); else a UsageError naming `where` (a flag, or a config's file
// and field) and, for an unknown code, the accepted ones. Returned upper-cased ("eur" is EUR), as
// currencies are printed and compared.
std::string checked_currency(const std::string& code, const std::string& where);

// Units of `code` per US dollar, rounded up to a power of ten (KRW 10000, JPY 1000, CNY 10);
// for a code not in the table (checked_currency refuses those), the table's largest factor.
double currency_factor(const std::string& code);

// The largest believable price in `code`: the USD-sized guard times currency_factor().
double price_limit(double usd_limit, const std::string& code);

// The accepted range as messages print it: "(0, 1e+06] KRW per kWh".
std::string price_range(double usd_limit, const std::string& code, const std::string& unit);

// Labelled prices' currencies, each once in order of appearance with what is priced in it:
// "USD (h200) and CNY (h100cn)", or "USD (a, b), CNY (c) and EUR (d)". Empty when there is only
// one currency (or none).
std::string currencies_by_label(const std::vector<std::pair<std::string, std::string>>& label_and_currency);

// The currency one price typed for several configs is read in (`configs`: each as messages name
// it, and its currency): theirs where they agree, USD where there are none. Where they disagree,
// a UsageError naming `flag` (with the value typed), what the price stands for (`what`: "every
// SKU"), the configs' currencies and the values --currency then accepts, e.g. "--electricity-price
// 0.1: one price for every run and the site, whose configs are in USD (A, B) and CNY (site 500p):
// give --currency USD or --currency CNY to say which it is in"; `hint` is appended.
std::string agreed_currency(const std::string& flag, const std::vector<std::pair<std::string, std::string>>& configs,
                            const std::string& what, const std::string& hint = "");

// A quote typed for configs that state no currency (a SKU config without a [price] table, a run
// measured on a device without a SKU config: `unstated`, as messages name them) is read in USD,
// the currency cloud and vendor quotes come in. Beside a site that prices in another currency
// (its cost and tariff) the quote could be in either: a UsageError naming `flag` (with the value
// typed), the configs and the site, asking for --currency. Nothing where `unstated` is empty or
// the site prices in USD.
void refuse_unstated_beside_site(const std::string& flag, const std::vector<std::string>& unstated,
                                 const std::string& site_name, const std::string& site_currency);

// The line an answer carries where a quote was read in USD for `unstated` (SKUs, or run letters):
// "--gpu-hour-price read in USD for h100-sxm, h200: neither --currency nor a [price] table in their
// SKU configs states a currency; give --currency if it is in another". Empty for none.
std::string usd_assumed_note(const std::string& flag, const std::vector<std::string>& unstated);

}  // namespace tb
