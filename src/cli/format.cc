#include "cli/format.h"

#include <algorithm>
#include <utility>

#include "common/units.h"

namespace fastgpu::cli {

Table::Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void Table::AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

void Table::SetColumnColor(size_t column, ColorFn color_for) {
  if (colors_.size() <= column) colors_.resize(column + 1);
  colors_[column] = std::move(color_for);
}

std::vector<size_t> Table::Widths(size_t max_width) const {
  size_t columns = 0;
  for (const auto& row : rows_) columns = std::max(columns, row.size());
  std::vector<size_t> width(columns, 0);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  if (max_width == 0 || columns == 0) return width;
  constexpr size_t kMinCut = 4;    // no column is cut below this
  constexpr size_t kSoftCut = 16;  // other columns give way down to this before the last one
  auto total = [&] {
    size_t sum = 3 * (columns - 1);
    for (size_t w : width) sum += w;
    return sum;
  };
  // Cuts the widest column before the last one by one character, down to `floor`.
  auto cut_widest = [&](size_t floor) {
    size_t widest = 0;
    for (size_t c = 0; c + 1 < columns; ++c) {
      if (width[c] > width[widest]) widest = c;
    }
    if (columns == 1 || width[widest] <= floor) return false;
    --width[widest];
    return true;
  };
  while (total() > max_width && cut_widest(kSoftCut)) {
  }
  size_t& last = width.back();
  size_t over = total() > max_width ? total() - max_width : 0;
  last -= std::min(over, last > kMinCut ? last - kMinCut : 0);
  while (total() > max_width && cut_widest(kMinCut)) {
  }
  if (total() > max_width) last -= std::min(last, total() - max_width);
  return width;
}

std::string Table::Render(size_t max_width, bool color) const {
  std::vector<size_t> width = Widths(max_width);
  const size_t columns = width.size();
  std::string out;
  for (size_t r = 0; r < rows_.size(); ++r) {
    const auto& row = rows_[r];
    std::string line;
    for (size_t c = 0; c < columns; ++c) {
      const std::string cell = Truncate(c < row.size() ? row[c] : "", width[c]);
      std::string code = color && r > 0 && c < colors_.size() && colors_[c] && !cell.empty()
                             ? colors_[c](c < row.size() ? row[c] : "")
                             : "";
      line += code.empty() ? cell : "\033[" + code + "m" + cell + "\033[0m";
      if (c + 1 < columns) line.append(width[c] - cell.size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string Truncate(const std::string& text, size_t width) {
  if (text.size() <= width) return text;
  if (width == 0) return "";
  return text.substr(0, width - 1) + "~";
}

std::string FormatDuration(int64_t ms) {
  int64_t s = std::max<int64_t>(ms, 0) / 1000;
  auto two = [](int64_t big, const char* big_unit, int64_t small, const char* small_unit,
                bool show_small) {
    std::string out = std::to_string(big) + big_unit;
    if (show_small && small > 0) out += std::to_string(small) + small_unit;
    return out;
  };
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return two(s / 60, "m", s % 60, "s", s < 600);
  if (s < 86400) return two(s / 3600, "h", (s % 3600) / 60, "m", s < 36000);
  return two(s / 86400, "d", (s % 86400) / 3600, "h", s < 864000);
}

std::string FormatMilli(int64_t milli) {
  std::string sign = milli < 0 ? "-" : "";
  int64_t m = milli < 0 ? -milli : milli;
  std::string out = sign + std::to_string(m / 1000);
  if (m % 1000 != 0) {
    std::string frac = std::to_string(1000 + m % 1000).substr(1);  // "050"
    while (frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out;
}

std::string FormatGpuRequest(int64_t gpu_count, int64_t gpu_milli, int64_t gpu_memory_mib) {
  if (gpu_count <= 0 && gpu_memory_mib <= 0) return "-";
  std::string out;
  if (gpu_milli > 0 && gpu_milli < 1000) {
    out = FormatMilli(gpu_milli);
  } else if (gpu_milli >= 1000) {
    out = std::to_string(std::max<int64_t>(gpu_count, 1));
  }
  if (gpu_memory_mib > 0) out += (out.empty() ? "" : "/") + FormatMiB(gpu_memory_mib);
  return out.empty() ? "-" : out;
}

std::string ErrorLine(const Status& status) {
  std::string out = "error: " + status.message();
  if (!status.field().empty()) out += " (field " + status.field() + ")";
  return out;
}

std::string UsageErrorLine(const Status& status) {
  if (!status.field().empty() && status.field()[0] == '-') {
    return "error: " + status.field() + " " + status.message();
  }
  return "error: " + status.message();
}

}  // namespace fastgpu::cli
