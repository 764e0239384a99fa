#pragma once
// Whether the device has been lost in this process (kernels::DeviceLostError): measure_op sets
// it where the error surfaces and, from then on, records every kernel as skipped instead of
// letting each one fail with the same error and blame itself. Process-wide, like interrupt.hpp.
#include <optional>
#include <string>

namespace tb::runner {

void mark_device_lost(const std::string& reason);
// The first reason given, when the device is lost.
std::optional<std::string> device_lost();
void reset_device_lost();  // tests

}  // namespace tb::runner
