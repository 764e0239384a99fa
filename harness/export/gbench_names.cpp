#include "harness/export/gbench_names.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tb::exporting {

std::string gbench_base_name(const std::string& kernel, const std::string& shape, const std::string& dtype) {
  std::string segments = shape;
  std::replace(segments.begin(), segments.end(), ' ', '/');
  return fmt::format("{}/{}/{}", kernel, segments, dtype);
}

std::string gbench_label(const std::string& shape, const std::string& dtype, bool verified) {
  return fmt::format("{} {}{}", shape, dtype, verified ? "" : " UNVERIFIED");
}

}  // namespace tb::exporting
