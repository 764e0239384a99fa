#pragma once
// A results file with every field set, for tests of the writer and the reader: values chosen so
// that no field equals its default or another field (a swapped or dropped field cannot pass),
// including doubles that are not round in binary. SYNTHETIC: never a measurement.
#include "harness/results/run_results.hpp"

namespace tb::testing {

// Every optional part set (load average, timing, model file, attention implementation, step,
// ranks, health; clocks, collectives' bandwidths and wrong elements on the first kernel), and a
// second kernel with its optional parts absent.
results::RunResults every_field();

}  // namespace tb::testing
