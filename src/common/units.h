#pragma once
// Parsing and printing of the quantities users type: sizes ("10GiB", "512MiB", "4G", "1024"
// meaning MiB) and GPU counts ("2", "0.25"). Pure functions, no I/O.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace fastgpu {

// Parses a memory size into MiB. Accepts an integer or decimal with an optional suffix
// K/KB/KiB, M/MB/MiB, G/GB/GiB, T/TB/TiB (decimal and binary suffixes both read as binary,
// as nvidia-smi and Kubernetes users expect "GB" on a GPU to mean GiB); no suffix means MiB.
// Returns InvalidArgument naming `field` for empty, negative, NaN, non-numeric or overflowing
// input, or for a positive size below 1 MiB.
Result<int64_t> ParseSizeMiB(std::string_view text, const std::string& field);

// Parses a byte count with an optional binary suffix ("4GiB", "512MiB", "1048576").
// Returns InvalidArgument naming `field` on bad input.
Result<int64_t> ParseSizeBytes(std::string_view text, const std::string& field);

// "81920" MiB -> "80GiB", "512" -> "512MiB".
std::string FormatMiB(int64_t mib);

// Parses a GPU request: a whole count ("0", "1", "8") or a fraction of one GPU in (0, 1)
// ("0.25", ".5"), into milli-GPUs (1000 = one whole GPU): "2" -> 2000, "0.25" -> 250.
// Rejects negatives, NaN, fractions above one that are not whole ("1.5"), finer than 1/1000,
// and counts above 1024, with InvalidArgument naming `field`.
Result<int64_t> ParseGpuMilli(std::string_view text, const std::string& field);

}  // namespace fastgpu
