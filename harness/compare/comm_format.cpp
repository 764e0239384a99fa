// comm files side by side as text, markdown and JSON (comm_side_by_side.hpp).
#include <fmt/format.h>

#include <algorithm>

#include "harness/comm/size_list.hpp"
#include "harness/compare/comm_side_by_side.hpp"
#include "harness/compare/format.hpp"

namespace tb::compare {

namespace {

bool measured(const CommCell& c) { return c.present && c.status == "ok"; }

// busbw of run i over run A's: 1-rank all-reduce's busbw is 0 by definition, no ratio.
std::optional<double> busbw_ratio(const CommRow& row, size_t i) {
  const CommCell& a = row.cells[0];
  const CommCell& c = row.cells[i];
  if (!measured(a) || !measured(c) || !(a.busbw_gb_s > 0)) return std::nullopt;
  return c.busbw_gb_s / a.busbw_gb_s;
}

nlohmann::json number_or_null(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

std::string format_comm_side_by_side(const CommSideBySide& c, TableFormat f) {
  const bool md = f == TableFormat::Markdown;
  std::string out = md ? "## trainbench compare (comm)\n\n" : "trainbench compare (comm)\n";
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const CommRun& r = c.runs[i];
    out += fmt::format("{}{} = {}, {}{}, {} rank(s) on {} host(s); link: {}\n", md ? "- " : "  ", run_letter(i), r.label,
                       r.backend, r.library.empty() ? "" : " (" + r.library + ")", r.ranks, r.hosts,
                       r.link ? fmt::format("{:g} GB/s ({})", r.link->gb_s, r.link->source)
                              : "none known (" + r.why_no_link + "): no % column");
  }
  Table t;
  t.headers = {"collective", "size", "dtype"};
  t.right_align = {false, true, false};
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const std::string L = run_letter(i);
    for (const auto& h : {L + " time (us)", L + " algbw (GB/s)", L + " busbw (GB/s)"}) {
      t.headers.push_back(h);
      t.right_align.push_back(true);
    }
    // A percentage only where a config states the link: 0.0 would read as a dead link.
    if (c.runs[i].link) {
      t.headers.push_back(L + " % link");
      t.right_align.push_back(true);
    }
    if (i > 0) {
      t.headers.push_back(L + "/A busbw");
      t.right_align.push_back(true);
    }
  }
  for (const auto& row : c.rows) {
    std::vector<std::string> cells = {row.in_place ? row.op + " (in place)" : row.op,
                                      comm::human_bytes(static_cast<double>(row.bytes)), row.dtype};
    for (size_t i = 0; i < row.cells.size(); ++i) {
      const CommCell& cell = row.cells[i];
      const size_t columns = 3 + (c.runs[i].link ? 1 : 0);
      if (!measured(cell)) {
        cells.push_back(cell.present ? cell.status : "-");
        for (size_t j = 1; j < columns; ++j) cells.push_back("-");
      } else {
        cells.push_back(fmt::format("{:.2f}", cell.time_us));
        cells.push_back(fmt::format("{:.2f}", cell.algbw_gb_s));
        cells.push_back(fmt::format("{:.2f}", cell.busbw_gb_s));
        if (c.runs[i].link) cells.push_back(fmt::format("{:.1f}", *cell.pct_of_link));
      }
      if (i > 0) {
        const auto ratio = busbw_ratio(row, i);
        cells.push_back(ratio ? fmt::format("{:.2f}x", *ratio) : "-");
      }
    }
    t.add_row(std::move(cells));
  }
  out += (md ? "\n### " : "\n") +
         std::string("Collectives (median over samples; algbw = size / time, busbw = algbw x the collective's factor, "
                     "as nccl-tests; \"B/A busbw\" > 1.00x is faster than A)") +
         (md ? "\n\n" : "\n") + t.render(f);
  const std::string bullet = md ? "\n- " : "  ";
  out += fmt::format("{}no extrapolation: {}\n", bullet, comm_no_extrapolation_reason());
  for (const auto& note : c.notes) out += fmt::format("{}note: {}\n", bullet, note);
  return out;
}

nlohmann::json comm_side_by_side_json(const CommSideBySide& c) {
  using nlohmann::json;
  json runs = json::array();
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const CommRun& r = c.runs[i];
    runs.push_back({{"letter", run_letter(i)},
                    {"origin", r.origin},
                    {"label", r.label},
                    {"backend", r.backend},
                    {"library", r.library},
                    {"ranks", r.ranks},
                    {"hosts", r.hosts},
                    {"sku", r.sku},
                    {"link_gb_s", r.link ? json(r.link->gb_s) : json(nullptr)},
                    {"link_source", r.link ? json(r.link->source) : json(nullptr)},
                    {"why_no_link", r.link ? json(nullptr) : json(r.why_no_link)}});
  }
  json rows = json::array();
  for (const auto& row : c.rows) {
    json cells = json::array();
    for (size_t i = 0; i < row.cells.size(); ++i) {
      const CommCell& cell = row.cells[i];
      const bool ok = measured(cell);
      auto figure = [&](double v) { return ok ? json(v) : json(nullptr); };
      cells.push_back({{"present", cell.present},
                       {"status", cell.present ? json(cell.status) : json(nullptr)},
                       {"time_us", figure(cell.time_us)},
                       {"algbw_gb_s", figure(cell.algbw_gb_s)},
                       {"busbw_gb_s", figure(cell.busbw_gb_s)},
                       {"pct_of_link", ok ? number_or_null(cell.pct_of_link) : json(nullptr)},
                       {"busbw_vs_a", i == 0 ? json(nullptr) : number_or_null(busbw_ratio(row, i))}});
    }
    rows.push_back({{"op", row.op},
                    {"in_place", row.in_place},
                    {"bytes", row.bytes},
                    {"dtype", row.dtype},
                    {"name", row.name},
                    {"cells", cells}});
  }
  return {{"kind", "comm"},
          {"runs", runs},
          {"rows", rows},
          {"extrapolation", nullptr},
          {"why_no_extrapolation", comm_no_extrapolation_reason()},
          {"notes", c.notes}};
}

}  // namespace tb::compare
