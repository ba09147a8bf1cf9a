#pragma once
// Text formatting for the CLI's output: aligned tables, ages, GPU shares, error lines.
// Pure functions, no I/O.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace fastgpu::cli {

// A plain-text table: a header row and data rows, columns left-aligned and separated by
// three spaces, as `kubectl get` prints them. The last column is not padded, so no line ends
// in spaces. Rows shorter than the header are padded with empty cells. Not thread-safe.
class Table {
 public:
  // Maps a cell's text to an ANSI SGR code such as "32" (green), or "" for no color.
  using ColorFn = std::function<std::string(const std::string& cell)>;

  explicit Table(std::vector<std::string> header);
  void AddRow(std::vector<std::string> row);
  // Colors the data cells of `column` with color_for(cell) when Render is asked for color.
  // The escape codes wrap the text only, never the padding, so alignment is unchanged.
  void SetColumnColor(size_t column, ColorFn color_for);
  size_t rows() const { return rows_.size() - 1; }

  // Every line ends with '\n'; the header is always printed, even with no rows.
  std::string Render() const { return Render(0, false); }
  // Like Render(), but no line is wider than `max_width` characters (0: no limit): first the
  // widest of the other columns are cut down to 16 characters, then the last column down to
  // 4, then the others down to 4; a cut cell ends in "~". Colors only when `color` is true.
  std::string Render(size_t max_width, bool color) const;

 private:
  std::vector<size_t> Widths(size_t max_width) const;

  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
  std::vector<ColorFn> colors_;                 // by column; empty functions for none
};

// `text` cut to at most `width` characters, the last one replaced by "~" when cut.
std::string Truncate(const std::string& text, size_t width);

// A duration for humans, kubectl style: "0s", "45s", "3m12s", "17m", "2h5m", "13h", "3d4h",
// "12d". Negative durations print as "0s".
std::string FormatDuration(int64_t ms);

// A quantity in milli-units (1000 = one) as a short decimal: 2000 -> "2", 250 -> "0.25",
// 1500 -> "1.5".
std::string FormatMilli(int64_t milli);

// What a job asks of GPUs, for tables: "-" for none; "2" for two whole GPUs; "0.25" for a
// fraction of one; with a memory slice, "/MEM" appended: "0.25/10GiB", "1/10GiB"; a
// memory-only slice (compute 0) is just "10GiB".
std::string FormatGpuRequest(int64_t gpu_count, int64_t gpu_milli, int64_t gpu_memory_mib);

// "error: <message>" with " (field <field>)" when the status names a field.
std::string ErrorLine(const Status& status);

// For a command-line mistake: "error: --gpus 1.5: <why>" when the field is a flag (starts
// with '-'; the message then starts with the value typed, see BuildSubmitBody), otherwise
// "error: <message>" (e.g. "error: ID must be a job number, got 'x'").
std::string UsageErrorLine(const Status& status);

}  // namespace fastgpu::cli
