#pragma once
// Why the regression gate refused to answer, for a nightly job to act on without reading the
// message (`compare --json`'s `error_kind`, the JUnit <error type>): re-run a partial night, fix
// the command line, or give more runs. Each is a UsageError (exit 2) but `runtime` (exit 1).
#include <exception>
#include <string>

#include "harness/common/errors.hpp"

namespace tb::compare {

// compare --baseline: nothing slower, but some item could not be judged. Not a usage error (2):
// the input was fine, the measurements could not tell (docs/compare.md).
inline constexpr int kExitInconclusive = 3;

enum class GateErrorKind {
  Usage,         // a flag, or the files' places on the command line (a run on both sides, given twice)
  Unreadable,    // a results file missing, empty, corrupt, of another schema, or at odds with itself
  Incomparable,  // another device, model, shape, attention implementation or kernel set; nothing in common
  Partial,       // a baseline run that failed or is partial, a current run interrupted or filtered
  NeverFails,    // no item could be judged, or none could ever be found slower at these counts
  Runtime,       // the request was fine but could not be carried out (a JUnit file not written): exit 1
};
const char* to_string(GateErrorKind kind);

class GateRefusal : public UsageError {
 public:
  GateRefusal(GateErrorKind kind, const std::string& message) : UsageError(message), kind_(kind) {}
  GateErrorKind kind() const { return kind_; }

 private:
  GateErrorKind kind_;
};

// A GateRefusal's kind; any other UsageError is Usage, anything else Runtime.
GateErrorKind error_kind(const std::exception& e);
int exit_code(GateErrorKind kind);

}  // namespace tb::compare
