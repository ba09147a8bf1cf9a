#include "vgpu/limits.h"

namespace fastgpu::vgpu {
namespace {

bool SameText(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

// The multiplier of a size suffix, or 0 when `s` is not one.
uint64_t SuffixMultiplier(const char* s) {
  struct Suffix {
    const char* text;
    uint64_t multiplier;
  };
  static const Suffix kSuffixes[] = {
      {"", 1},           {"B", 1},           {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20},
      {"GiB", 1ULL << 30}, {"TiB", 1ULL << 40}, {"K", 1ULL << 10},   {"M", 1ULL << 20},
      {"G", 1ULL << 30},   {"T", 1ULL << 40},   {"KB", 1000ULL},     {"MB", 1000000ULL},
      {"GB", 1000000000ULL}, {"TB", 1000000000000ULL},
  };
  for (const Suffix& suffix : kSuffixes) {
    if (SameText(s, suffix.text)) return suffix.multiplier;
  }
  return 0;
}

// Parses leading decimal digits; false when there are none or they overflow.
bool ParseDigits(const char** text, uint64_t* value) {
  const char* p = *text;
  uint64_t v = 0;
  if (*p < '0' || *p > '9') return false;
  for (; *p >= '0' && *p <= '9'; ++p) {
    uint64_t digit = static_cast<uint64_t>(*p - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *text = p;
  *value = v;
  return true;
}

}  // namespace

bool ParseBytes(const char* text, uint64_t* bytes) {
  if (text == nullptr) return false;
  uint64_t value = 0;
  if (!ParseDigits(&text, &value)) return false;
  while (*text == ' ') ++text;
  uint64_t multiplier = SuffixMultiplier(text);
  if (multiplier == 0) return false;
  if (value != 0 && multiplier > UINT64_MAX / value) return false;
  *bytes = value * multiplier;
  return true;
}

bool ParseMilli(const char* text, int32_t* milli) {
  if (text == nullptr) return false;
  uint64_t value = 0;
  if (!ParseDigits(&text, &value) || *text != '\0') return false;
  if (value < 1 || value > 1000) return false;
  *milli = static_cast<int32_t>(value);
  return true;
}

bool WouldExceed(uint64_t used, uint64_t request, uint64_t limit) {
  if (limit == 0) return false;
  return request > limit || used > limit - request;
}

MemView ReportedView(uint64_t limit, uint64_t job_used, uint64_t device_total,
                     uint64_t device_free) {
  MemView view;
  if (limit == 0) {
    view.total = device_total;
    view.free = device_free < device_total ? device_free : device_total;
    view.used = view.total - view.free;
    return view;
  }
  view.total = (device_total != 0 && device_total < limit) ? device_total : limit;
  view.used = job_used < view.total ? job_used : view.total;
  view.free = view.total - view.used;
  return view;
}

uint32_t ArrayFormatBytes(int format) {
  switch (format) {
    case 0x01:  // CU_AD_FORMAT_UNSIGNED_INT8
    case 0x08:  // CU_AD_FORMAT_SIGNED_INT8
      return 1;
    case 0x02:  // CU_AD_FORMAT_UNSIGNED_INT16
    case 0x09:  // CU_AD_FORMAT_SIGNED_INT16
    case 0x10:  // CU_AD_FORMAT_HALF
      return 2;
    case 0x03:  // CU_AD_FORMAT_UNSIGNED_INT32
    case 0x0a:  // CU_AD_FORMAT_SIGNED_INT32
    case 0x20:  // CU_AD_FORMAT_FLOAT
      return 4;
    default:
      return 4;
  }
}

uint64_t ArrayBytes(uint64_t width, uint64_t height, uint64_t depth, uint32_t channels,
                    int format) {
  uint64_t factors[] = {width, height == 0 ? 1 : height, depth == 0 ? 1 : depth,
                        channels == 0 ? 1 : channels, ArrayFormatBytes(format)};
  uint64_t bytes = 1;
  for (uint64_t f : factors) {
    if (f != 0 && bytes > UINT64_MAX / f) return UINT64_MAX;
    bytes *= f;
  }
  return bytes;
}

uint64_t MipmappedArrayBytes(uint64_t width, uint64_t height, uint64_t depth, uint32_t channels,
                             int format, uint32_t levels) {
  uint64_t total = 0;
  for (uint32_t l = 0; l < (levels == 0 ? 1 : levels); ++l) {
    auto at = [l](uint64_t v) -> uint64_t {
      if (v == 0) return 0;
      return l >= 64 || (v >> l) == 0 ? 1 : v >> l;
    };
    uint64_t level = ArrayBytes(at(width), at(height), at(depth), channels, format);
    if (level > UINT64_MAX - total) return UINT64_MAX;
    total += level;
  }
  return total;
}

namespace {

// ns * 1000 / milli, saturating at INT64_MAX / 4 (about 73 years: far beyond any clock here).
int64_t WallNs(int64_t device_ns, int32_t milli) {
  constexpr int64_t kCap = INT64_MAX / 4;
  if (device_ns <= 0) return 0;
  if (device_ns > kCap / 1000) return kCap;
  return device_ns * 1000 / milli;
}

}  // namespace

ComputeCharge ChargeCompute(const ComputeRate& rate, int64_t time_ns, int64_t now_ns,
                            int64_t busy_ns) {
  ComputeCharge out;
  if (rate.milli >= 1000 || rate.milli <= 0) {
    out.time_ns = now_ns;
    return out;
  }
  const int64_t floor = now_ns - WallNs(rate.burst_ns, rate.milli);  // a full bucket
  int64_t base = time_ns == 0 ? now_ns : time_ns;  // a fresh bucket starts empty
  if (base < floor) base = floor;
  out.time_ns = base + WallNs(busy_ns, rate.milli);
  const int64_t ahead = out.time_ns - now_ns;
  out.wait_ns = ahead >= rate.min_wait_ns && ahead > 0 ? ahead : 0;
  return out;
}

}  // namespace fastgpu::vgpu
