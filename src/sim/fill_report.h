#pragma once
// Summaries and files of a fill experiment: per-policy medians over seeds, alloc.csv,
// summary.csv, an SVG chart written by hand, and a text table.

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "sim/fill.h"

namespace fastgpu::sim {

// policy -> median over seeds of alloc_pct at each arrival % (0 .. the shortest run's end),
// policies in the order they first appear in `runs`.
struct FillSummary {
  std::vector<std::string> policies;
  std::map<std::string, std::vector<double>> median;
};

FillSummary Summarize(const std::vector<FillRun>& runs);

// `policy,seed,arrived_pct,alloc_pct`, one row per arrival % per run.
std::string AllocCsv(const std::vector<FillRun>& runs);
// `policy,arrived_pct,alloc_pct_median`.
std::string SummaryCsv(const FillSummary& s);
// Allocation (y, %) against arrival (x, %) per policy, median over seeds.
std::string AllocSvg(const FillSummary& s, const std::string& title);
// A table of the medians at 50, 80, 90, 95, 100, 110, 120 and 130 % arrival.
std::string SummaryTable(const FillSummary& s);

// Writes `text` to `path`; Internal naming the path on failure.
Status WriteTextFile(const std::string& path, const std::string& text);

}  // namespace fastgpu::sim
