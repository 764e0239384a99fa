#pragma once
// NVML, loaded at run time: libnvidia-ml.so.1 comes with the driver, not the toolkit, and there
// is no nvml.h here. Without it (containers without the driver's utilities, CPU-only builds)
// every query returns nullopt and trainbench goes on without clocks.
#include <optional>
#include <string>

#include "kernels/backend.hpp"

namespace tb::kernels::cuda {

// SM clock (MHz), power (W), temperature (°C) and the clocks-event (throttle) reasons of the
// device with this PCI bus id ("0000:18:00.0", from cudaDeviceGetPCIBusId).
std::optional<ClockReading> nvml_read_clocks(const std::string& pci_bus_id);
// PCIe link, power limit, ECC and row-remapping state of that device (fields NVML does not
// report stay empty), or nullopt without NVML.
std::optional<DeviceConfig> nvml_read_config(const std::string& pci_bus_id);
// "580.65.06", or nullopt.
std::optional<std::string> nvml_driver_version();
// Names of the set bits of an NVML clocks-event-reasons mask, comma-separated.
std::string throttle_reasons_text(unsigned long long mask);

}  // namespace tb::kernels::cuda
