#pragma once
// `report results/*.json` reads whatever the measuring commands left in results/: a `run`, the
// README's `health --out results/node.json`, a `sweep`, a `comm --out`. Each file's kind is the
// command that wrote it (workload.command), and each kind gets its own section: only runs are set
// side by side (compare's rules, the same workload), the others are drawn as their command shows
// them. A kind the report has no section for is named and left out, never a refusal of the rest.
#include <string>
#include <vector>

#include "harness/compare/compatibility.hpp"

namespace tb::report {

struct ReportInputs {
  std::vector<compare::LabeledResults> runs;     // `run`: side by side (compare's same-workload rules)
  std::vector<compare::LabeledResults> health;   // `health`: verdict and checks
  std::vector<compare::LabeledResults> sweeps;   // `sweep`: its shapes and the best
  std::vector<compare::LabeledResults> comm;     // `comm`: nccl-tests' table, busbw to compare
  std::vector<compare::LabeledResults> kernels;  // `gemm`, `attention`: their kernel rows
  struct Undrawn {
    std::string origin, command;
  };
  std::vector<Undrawn> not_drawn;  // a kind without a section (a newer trainbench's), in input order
};

// Splits the files by workload.command, keeping the order given within each kind.
ReportInputs group_by_kind(std::vector<compare::LabeledResults> files);

// The one line that names a file left out: "x.json: a `foo` file (workload.command); the report
// draws run, health, sweep, comm, gemm and attention files: left out".
std::string not_drawn_line(const ReportInputs::Undrawn& file);

}  // namespace tb::report
