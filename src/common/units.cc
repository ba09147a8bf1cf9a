#include "common/units.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

namespace fastgpu {
namespace {

// Splits "12.5GiB" into the number 12.5 and the suffix "GiB". Returns false when the numeric
// part is missing or malformed.
bool SplitNumber(std::string_view text, double& number, std::string& suffix) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  std::string num(text.substr(0, i));
  if (num.empty() || num == "." || num.find('.') != num.rfind('.')) return false;
  char* end = nullptr;
  number = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size() || !std::isfinite(number)) return false;
  suffix = std::string(text.substr(i));
  for (auto& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return true;
}

// Multiplier in bytes for a lower-cased suffix; 0 when unknown. `bare` is the no-suffix unit.
double SuffixBytes(const std::string& s, double bare) {
  if (s.empty()) return bare;
  if (s == "b") return 1;
  if (s == "k" || s == "kb" || s == "kib") return 1024.0;
  if (s == "m" || s == "mb" || s == "mib") return 1024.0 * 1024;
  if (s == "g" || s == "gb" || s == "gib") return 1024.0 * 1024 * 1024;
  if (s == "t" || s == "tb" || s == "tib") return 1024.0 * 1024 * 1024 * 1024;
  return 0;
}

Result<double> ParseBytes(std::string_view text, const std::string& field, double bare) {
  double number = 0;
  std::string suffix;
  if (!SplitNumber(text, number, suffix)) {
    return InvalidArgument("'" + std::string(text) + "' is not a size such as 10GiB or 512MiB",
                           field);
  }
  double mult = SuffixBytes(suffix, bare);
  if (mult == 0) {
    return InvalidArgument("unknown size unit '" + suffix + "' (use KiB, MiB, GiB or TiB)", field);
  }
  double bytes = number * mult;
  if (bytes > 9.0e18) return InvalidArgument("size is too large", field);
  return bytes;
}

}  // namespace

Result<int64_t> ParseSizeMiB(std::string_view text, const std::string& field) {
  FG_ASSIGN_OR_RETURN(double bytes, ParseBytes(text, field, 1024.0 * 1024));
  double mib = bytes / (1024.0 * 1024);
  if (mib > 0 && mib < 1) return InvalidArgument("size must be at least 1MiB", field);
  return static_cast<int64_t>(std::llround(std::floor(mib)));
}

Result<int64_t> ParseSizeBytes(std::string_view text, const std::string& field) {
  FG_ASSIGN_OR_RETURN(double bytes, ParseBytes(text, field, 1));
  return static_cast<int64_t>(std::llround(std::floor(bytes)));
}

std::string FormatMiB(int64_t mib) {
  if (mib >= 1024 && mib % 1024 == 0) return std::to_string(mib / 1024) + "GiB";
  return std::to_string(mib) + "MiB";
}

Result<int64_t> ParseGpuMilli(std::string_view text, const std::string& field) {
  double number = 0;
  std::string suffix;
  if (!SplitNumber(text, number, suffix) || !suffix.empty()) {
    return InvalidArgument("'" + std::string(text) +
                               "' is not a GPU count: use a whole number (2) or a fraction "
                               "of one GPU (0.25)",
                           field);
  }
  double milli = number * 1000.0;
  if (std::fabs(milli - std::round(milli)) > 1e-6) {
    return InvalidArgument("GPU fractions are counted in thousandths (0.001)", field);
  }
  int64_t m = std::llround(milli);
  if (m > 1000 && m % 1000 != 0) {
    return InvalidArgument("'" + std::string(text) +
                               "': more than one GPU must be a whole number; a fraction is "
                               "only allowed below 1",
                           field);
  }
  if (m > 1024 * 1000) return InvalidArgument("at most 1024 GPUs per job", field);
  return m;
}

}  // namespace fastgpu
