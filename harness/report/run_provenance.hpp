#pragma once
// What a report's reader needs to trust a run beside its figures: when, where and by which build
// it was measured, which kernels stopped short of their noise target, whether the run was cut
// short, and a health file's verdict. Parts of report_data()'s runs[] (docs/compare-json.md).
#include <nlohmann/json.hpp>

#include "harness/compare/side_by_side.hpp"

namespace tb::report {

// runs[].machine: the file's provenance (time, commit, host, libraries, load), as recorded.
nlohmann::json machine_json(const results::MachineInfo& machine);

// runs[].unconverged: each such kernel's name, shape, noise (null: unknown after one sample),
// samples and what stopped it.
nlohmann::json unconverged_json(const compare::RunColumn& run);

// runs[].partial: null for a complete run; else how many kernels were measured of how many,
// whether it was interrupted, and each kernel not measured with its status and error.
nlohmann::json partial_json(const compare::RunColumn& run);

// runs[].health: null for a file that is not `trainbench health`'s; else its verdict and checks,
// each field taken only where it has the documented type (the file's `health` is kept as
// written, unchecked beyond its verdict).
nlohmann::json health_json(const nlohmann::json& health);

}  // namespace tb::report
