#pragma once
// Which answer wins on GPU-hours, energy, cost or the servers to buy: one rule for
// `estimate --gpu A,B,C` (SKUs from datasheets) and `compare` / `report` (measured runs), so that
// the two never name different winners for the same figures.
#include <optional>
#include <string>
#include <vector>

namespace tb {

// One answer's figure for a ranking, and whether the answer can be bought at all (one whose layout
// does not fit, say, is left out of every win).
struct RankCandidate {
  std::optional<double> value;
  bool usable = true;
};

struct Smallest {
  std::optional<size_t> best;  // index into the candidates
  std::vector<size_t> tie;     // where several share the smallest: all of them, and no best
};

// The smallest value among the usable candidates (the only usable one wins too); none with fewer
// than two candidates knowing it, usable or not.
Smallest smallest(const std::vector<RankCandidate>& candidates);

// A price-like figure in a currency, for rankings that cannot compare across currencies.
struct PricedCandidate {
  std::string label;  // how the lines name it: a SKU, a run letter
  std::optional<double> value;
  std::string currency;  // of value
  bool usable = true;
  // A price was given for it, whether or not its answer came (a SKU too slow for the deadline has
  // none): where no priced SKU answers, why_none names them rather than saying nothing.
  bool quoted = false;
};

struct PricedSmallest {
  Smallest smallest;
  // Why there is no winner where something is priced: the currencies ("the quotes are in USD
  // (h200us) and CNY (h100cn)"), else too few priced to rank ("h100-sxm, b200 have no
  // --gpu-hour-price", "only h200 has a server price"), else no priced answer usable ("A, B have
  // a --gpu-hour-price but no usable answer"). Empty where there is a winner or a tie, where nothing
  // is priced (no price asked, nothing to say) and with a single candidate (nothing to rank).
  std::string why_none;
};

// smallest() where every usable priced candidate shares one currency; `what` names the prices in
// why_none's currencies ("quotes", "server prices"), `price` the missing price in its other reasons
// ("--gpu-hour-price", "server price").
PricedSmallest smallest_priced(const std::vector<PricedCandidate>& candidates, const std::string& what,
                               const std::string& price);

// An answer's bill as the cost ranking weighs it.
struct Bill {
  std::string label;
  std::optional<double> rental;                  // GPU-hours x the quote
  std::string currency;                          // of rental
  std::optional<double> rental_and_electricity;  // both known, in `currency`
  bool usable = true;
  // Of the electricity cost, where one is known ("" where none is): in another currency than the
  // rental it cannot be added, and the ranking says that it weighed the rental alone.
  std::string electricity_currency;
};

struct CostRanking {
  // What it ranks: the whole bill where every priced answer has it (a dearer hour can be won back
  // on power), else the rental alone. The sum is a bill only for GPU-hour quotes that exclude power
  // (a colocation or an owned fleet's hour); a cloud quote usually includes it, and then the rental
  // alone is the bill: the printers say so beside the sum. Where some priced answer's electricity is known in another
  // currency than its rental (so not added), "lowest rental (electricity in CNY not added)": the
  // rental alone, said so, rather than "lowest cost".
  std::string what = "lowest cost";  // or "lowest rental + electricity", or the above
  bool totals = false;
  std::string ranked = "rental";  // for JSON: "rental" or "rental + electricity"
  std::string electricity_not_added;  // the electricity currencies left out ("CNY"), "" where none
  PricedSmallest winner;
};

// Where some answers are priced but too few to rank (one quote among three SKUs), winner.why_none
// names the unpriced: "h100-sxm, b200 have no --gpu-hour-price" (smallest_priced's rule).
CostRanking rank_costs(const std::vector<Bill>& bills);

}  // namespace tb
