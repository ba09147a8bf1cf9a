#include "sim/fill_report.h"

#include <algorithm>
#include <cstdio>
#include <fstream>

namespace fastgpu::sim {
namespace {

std::string Fixed(double v, int digits = 2) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

}  // namespace

FillSummary Summarize(const std::vector<FillRun>& runs) {
  FillSummary s;
  std::map<std::string, std::vector<const FillRun*>> by_policy;
  for (const FillRun& r : runs) {
    if (by_policy.count(r.policy) == 0) s.policies.push_back(r.policy);
    by_policy[r.policy].push_back(&r);
  }
  for (const auto& [policy, list] : by_policy) {
    size_t len = SIZE_MAX;
    for (const FillRun* r : list) len = std::min(len, r->alloc_pct.size());
    std::vector<double>& med = s.median[policy];
    for (size_t a = 0; a < len; ++a) {
      std::vector<double> values;
      for (const FillRun* r : list) values.push_back(r->alloc_pct[a]);
      med.push_back(Median(values));
    }
  }
  return s;
}

std::string AllocCsv(const std::vector<FillRun>& runs) {
  std::string out = "policy,seed,arrived_pct,alloc_pct\n";
  for (const FillRun& r : runs) {
    for (size_t a = 0; a < r.alloc_pct.size(); ++a) {
      out += r.policy + "," + std::to_string(r.seed) + "," + std::to_string(a) + "," +
             Fixed(r.alloc_pct[a], 3) + "\n";
    }
  }
  return out;
}

std::string SummaryCsv(const FillSummary& s) {
  std::string out = "policy,arrived_pct,alloc_pct_median\n";
  for (const std::string& p : s.policies) {
    const std::vector<double>& med = s.median.at(p);
    for (size_t a = 0; a < med.size(); ++a) {
      out += p + "," + std::to_string(a) + "," + Fixed(med[a], 3) + "\n";
    }
  }
  return out;
}

std::string AllocSvg(const FillSummary& s, const std::string& title) {
  // Plot area: x 60..620 for 0..130 % arrival; y 40..400 for 50..100 % allocated.
  const double x0 = 60, x1 = 620, y0 = 400, y1 = 40;
  auto X = [&](double a) { return x0 + (x1 - x0) * a / 130.0; };
  auto Y = [&](double v) { return y0 - (y0 - y1) * (std::clamp(v, 50.0, 100.0) - 50.0) / 50.0; };
  std::string svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"780\" height=\"460\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n<text x=\"340\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">" +
      title + "</text>\n";
  for (int a = 0; a <= 130; a += 10) {
    svg += "<line x1=\"" + Fixed(X(a), 1) + "\" y1=\"" + Fixed(y0, 1) + "\" x2=\"" +
           Fixed(X(a), 1) + "\" y2=\"" + Fixed(y1, 1) + "\" stroke=\"#eee\"/>\n";
    svg += "<text x=\"" + Fixed(X(a), 1) + "\" y=\"418\" text-anchor=\"middle\">" +
           std::to_string(a) + "</text>\n";
  }
  for (int v = 50; v <= 100; v += 5) {
    svg += "<line x1=\"" + Fixed(x0, 1) + "\" y1=\"" + Fixed(Y(v), 1) + "\" x2=\"" +
           Fixed(x1, 1) + "\" y2=\"" + Fixed(Y(v), 1) + "\" stroke=\"#eee\"/>\n";
    svg += "<text x=\"52\" y=\"" + Fixed(Y(v) + 4, 1) + "\" text-anchor=\"end\">" +
           std::to_string(v) + "</text>\n";
  }
  svg += "<text x=\"340\" y=\"445\" text-anchor=\"middle\">arrived workload (% of cluster "
         "GPUs)</text>\n<text x=\"16\" y=\"220\" transform=\"rotate(-90 16 220)\" "
         "text-anchor=\"middle\">GPU allocated (%), median over seeds</text>\n";
  for (size_t i = 0; i < s.policies.size(); ++i) {
    const std::string color = kColors[i % 8];
    const std::vector<double>& med = s.median.at(s.policies[i]);
    std::string points;
    for (size_t a = 0; a < med.size(); ++a) {
      points += Fixed(X(static_cast<double>(a)), 1) + "," + Fixed(Y(med[a]), 1) + " ";
    }
    svg += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"1.5\" points=\"" +
           points + "\"/>\n";
    const double at100 = med.size() > 100 ? med[100] : 0;
    const std::string ly = Fixed(60 + 18.0 * static_cast<double>(i), 1);
    svg += "<rect x=\"635\" y=\"" + Fixed(60 + 18.0 * static_cast<double>(i) - 9, 1) +
           "\" width=\"12\" height=\"3\" fill=\"" + color + "\"/>\n<text x=\"652\" y=\"" + ly +
           "\">" + s.policies[i] + " " + Fixed(at100) + "</text>\n";
  }
  return svg + "</svg>\n";
}

std::string SummaryTable(const FillSummary& s) {
  const int points[] = {50, 80, 90, 95, 100, 110, 120, 130};
  std::string out = "policy     ";
  for (int a : points) out += "  " + std::string(a < 100 ? " " : "") + std::to_string(a) + "%  ";
  out += "\n";
  for (const std::string& p : s.policies) {
    std::string row = p;
    row.resize(std::max<size_t>(row.size(), 11), ' ');
    const std::vector<double>& med = s.median.at(p);
    for (int a : points) {
      row += static_cast<size_t>(a) < med.size() ? "  " + Fixed(med[a]) + " " : "     -  ";
      if (static_cast<size_t>(a) < med.size() && med[a] < 100) row += " ";
    }
    out += row + "\n";
  }
  return out;
}

Status WriteTextFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Internal("cannot write " + path);
  out << text;
  out.close();
  if (!out) return Internal("cannot write " + path);
  return Status::Ok();
}

}  // namespace fastgpu::sim
