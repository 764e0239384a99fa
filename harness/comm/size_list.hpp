#pragma once
// Message sizes as nccl-tests takes them: -b MIN -e MAX -f FACTOR (sizes MIN, MIN·F, ... <= MAX),
// or our --sizes "8:8G:2" (the same triple) or a list "1M,16M,64M". Suffixes K, M, G, T are
// powers of 1024, as in nccl-tests' parsesize; an optional trailing "B" is accepted.
#include <cstdint>
#include <string>
#include <vector>

namespace tb::comm {

// "64", "8K", "1.5M", "8GB": bytes. Refuses negatives, junk and overflow, naming `flag`.
int64_t parse_size_bytes(const std::string& text, const std::string& flag);

// Geometric series from min to max (inclusive) by factor >= 2 (integer, as nccl-tests -f).
std::vector<int64_t> geometric_sizes(int64_t min_bytes, int64_t max_bytes, int64_t factor, const std::string& flag);

// "--sizes" syntax: "MIN:MAX:FACTOR", "MIN:MAX" (factor 2), or a comma-separated list.
std::vector<int64_t> parse_size_list(const std::string& text, const std::string& flag);

// "8 B", "4 KiB", "50.3 MiB": for tables.
std::string human_bytes(double bytes);

}  // namespace tb::comm
