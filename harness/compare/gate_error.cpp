#include "harness/compare/gate_error.hpp"

namespace tb::compare {

const char* to_string(GateErrorKind kind) {
  switch (kind) {
    case GateErrorKind::Usage: return "usage";
    case GateErrorKind::Unreadable: return "unreadable";
    case GateErrorKind::Incomparable: return "incomparable";
    case GateErrorKind::Partial: return "partial";
    case GateErrorKind::NeverFails: return "never_fails";
    case GateErrorKind::Runtime: return "runtime";
  }
  return "?";
}

GateErrorKind error_kind(const std::exception& e) {
  if (const auto* refusal = dynamic_cast<const GateRefusal*>(&e)) return refusal->kind();
  return dynamic_cast<const UsageError*>(&e) != nullptr ? GateErrorKind::Usage : GateErrorKind::Runtime;
}

int exit_code(GateErrorKind kind) { return kind == GateErrorKind::Runtime ? kExitRuntime : kExitUsage; }

}  // namespace tb::compare
