#include "control/job_array.h"

#include <algorithm>
#include <charconv>

namespace fastgpu::control {
namespace {

constexpr const char* kSyntax = "use indexes like 0-99, 1,3,5-7 or 0-99:2, optionally with %N "
                                "(at most N at once), e.g. 0-99%8";

Status Bad(std::string_view text, const std::string& what) {
  return InvalidArgument("array: \"" + std::string(text) + "\": " + what, "array");
}

// A whole number 0..kMaxArrayIndex, or -1.
int64_t Number(std::string_view s) {
  int64_t v = -1;
  if (s.empty() || s.size() > 9) return -1;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > kMaxArrayIndex) return -1;
  return v;
}

}  // namespace

Result<ArrayRequest> ParseArray(std::string_view text) {
  ArrayRequest out;
  std::string_view list = text;
  if (size_t pct = text.find('%'); pct != std::string_view::npos) {
    const int64_t limit = Number(text.substr(pct + 1));
    if (limit < 1) return Bad(text, "the limit after % must be a whole number of at least 1");
    out.limit = static_cast<int32_t>(std::min<int64_t>(limit, kMaxArrayTasks));
    list = text.substr(0, pct);
  }
  if (list.empty()) return Bad(text, std::string("no indexes; ") + kSyntax);
  std::vector<int32_t> all;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    int64_t step = 1;
    if (size_t colon = item.find(':'); colon != std::string_view::npos) {
      step = Number(item.substr(colon + 1));
      if (step < 1) return Bad(text, "the step after : must be a whole number of at least 1");
      item = item.substr(0, colon);
    }
    const size_t dash = item.find('-');
    const int64_t lo = Number(item.substr(0, dash));
    const int64_t hi = dash == std::string_view::npos ? lo : Number(item.substr(dash + 1));
    if (lo < 0 || hi < 0) {
      return Bad(text, "\"" + std::string(item) + "\" is not an index or range (indexes are 0.." +
                           std::to_string(kMaxArrayIndex) + "); " + kSyntax);
    }
    if (hi < lo) {
      return Bad(text, "a range must go up, e.g. " + std::to_string(hi) + "-" + std::to_string(lo));
    }
    for (int64_t i = lo; i <= hi; i += step) {
      all.push_back(static_cast<int32_t>(i));
      if (all.size() > static_cast<size_t>(kMaxArrayTasks)) {
        return Bad(text, "more than " + std::to_string(kMaxArrayTasks) + " tasks in one array");
      }
    }
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  out.indexes = std::move(all);
  return out;
}

std::vector<core::JobRecord> ExpandArray(const core::JobRecord& job, const ArrayRequest& array,
                                         core::JobId first_id) {
  std::vector<core::JobRecord> tasks;
  tasks.reserve(array.indexes.size());
  core::JobId id = first_id;
  for (int32_t index : array.indexes) {
    core::JobRecord task = job;
    task.id = id++;
    task.spec.array_id = first_id;
    task.spec.array_index = index;
    task.spec.array_limit = array.limit;
    task.spec.env["FASTGPU_ARRAY_INDEX"] = std::to_string(index);
    task.spec.env["FASTGPU_ARRAY_ID"] = std::to_string(first_id);
    tasks.push_back(std::move(task));
  }
  return tasks;
}

std::string ArrayGroup(const core::JobSpec& spec) {
  return spec.array_id > 0 ? "array " + std::to_string(spec.array_id) : "";
}

}  // namespace fastgpu::control
