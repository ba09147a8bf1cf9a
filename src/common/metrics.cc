#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/check.h"

namespace fastgpu::metrics {
namespace {

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// {a="1",b="2"}, with `extra` (e.g. le="0.5") last; "" when there are no labels at all.
std::string LabelText(const Labels& labels, const std::string& extra = "") {
  if (labels.empty() && extra.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ",";
    out += labels[i].first + "=\"" + EscapeLabelValue(labels[i].second) + "\"";
  }
  if (!extra.empty()) out += (labels.empty() ? "" : ",") + extra;
  return out + "}";
}

void AtomicAdd(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

void Header(std::string& out, const std::string& name, const std::string& help,
            const std::string& type) {
  out += "# HELP " + name + " " + EscapeHelp(help) + "\n";
  out += "# TYPE " + name + " " + type + "\n";
}

void RenderHistogram(std::string& out, const std::string& name, const Labels& labels,
                     const Histogram& h) {
  std::vector<uint64_t> counts = h.BucketCounts();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds().size(); ++i) {
    cumulative += counts[i];
    out += name + "_bucket" + LabelText(labels, "le=\"" + FormatValue(h.bounds()[i]) + "\"") + " " +
           std::to_string(cumulative) + "\n";
  }
  cumulative += counts.back();
  out +=
      name + "_bucket" + LabelText(labels, "le=\"+Inf\"") + " " + std::to_string(cumulative) + "\n";
  out += name + "_sum" + LabelText(labels) + " " + FormatValue(h.sum()) + "\n";
  // The count is the +Inf bucket, so that the two always agree in one scrape.
  out += name + "_count" + LabelText(labels) + " " + std::to_string(cumulative) + "\n";
}

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Gauge::Add(double v) { AtomicAdd(value_, v); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  FG_CHECK(std::is_sorted(bounds_.begin(), bounds_.end()));
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
}

void Scrape::Add(const std::string& name, const std::string& help, const char* type,
                 const Labels& labels, double v) {
  Family& family = families_[name];
  if (family.type.empty()) {
    family.help = help;
    family.type = type;
  }
  family.samples.push_back(Sample{labels, v});
}

void Scrape::Gauge(const std::string& name, const std::string& help, const Labels& labels,
                   double v) {
  Add(name, help, "gauge", labels, v);
}

void Scrape::Counter(const std::string& name, const std::string& help, const Labels& labels,
                     double v) {
  Add(name, help, "counter", labels, v);
}

Registry::Child& Registry::GetChild(const std::string& name, const std::string& help,
                                    const char* type, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& family = families_[name];
  if (family.type.empty()) {
    family.help = help;
    family.type = type;
  }
  FG_CHECK(family.type == type);
  for (auto& child : family.children) {
    if (child->labels == labels) return *child;
  }
  family.children.push_back(std::make_unique<Child>());
  family.children.back()->labels = labels;
  return *family.children.back();
}

Counter& Registry::GetCounter(const std::string& name, const std::string& help,
                              const Labels& labels) {
  Child& child = GetChild(name, help, "counter", labels);
  std::lock_guard<std::mutex> lock(mu_);
  if (!child.counter) child.counter = std::make_unique<metrics::Counter>();
  return *child.counter;
}

Gauge& Registry::GetGauge(const std::string& name, const std::string& help, const Labels& labels) {
  Child& child = GetChild(name, help, "gauge", labels);
  std::lock_guard<std::mutex> lock(mu_);
  if (!child.gauge) child.gauge = std::make_unique<metrics::Gauge>();
  return *child.gauge;
}

Histogram& Registry::GetHistogram(const std::string& name, const std::string& help,
                                  const Labels& labels, std::vector<double> bounds) {
  Child& child = GetChild(name, help, "histogram", labels);
  std::lock_guard<std::mutex> lock(mu_);
  if (!child.histogram) child.histogram = std::make_unique<metrics::Histogram>(std::move(bounds));
  return *child.histogram;
}

void Registry::AddCollector(const void* owner, std::function<void(Scrape&)> collect) {
  std::lock_guard<std::mutex> lock(mu_);
  collectors_.emplace_back(owner, std::move(collect));
}

void Registry::RemoveCollectors(const void* owner) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(collectors_, [owner](const auto& c) { return c.first == owner; });
}

std::string Registry::Render() const {
  Scrape scrape;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [owner, collect] : collectors_) collect(scrape);
  std::string out;
  // Families of both kinds, merged by name in order.
  auto stat = families_.begin();
  auto coll = scrape.families_.begin();
  while (stat != families_.end() || coll != scrape.families_.end()) {
    const bool take_stat =
        coll == scrape.families_.end() || (stat != families_.end() && stat->first <= coll->first);
    if (take_stat) {
      const auto& [name, family] = *stat;
      if (!family.children.empty()) Header(out, name, family.help, family.type);
      for (const auto& child : family.children) {
        if (child->counter) {
          out += name + LabelText(child->labels) + " " + std::to_string(child->counter->value()) +
                 "\n";
        } else if (child->gauge) {
          out += name + LabelText(child->labels) + " " + FormatValue(child->gauge->value()) + "\n";
        } else if (child->histogram) {
          RenderHistogram(out, name, child->labels, *child->histogram);
        }
      }
      // A collector family of the same name would be a second TYPE line: skip it.
      if (coll != scrape.families_.end() && coll->first == name) ++coll;
      ++stat;
    } else {
      const auto& [name, family] = *coll;
      Header(out, name, family.help, family.type);
      for (const auto& sample : family.samples) {
        out += name + LabelText(sample.labels) + " " + FormatValue(sample.value) + "\n";
      }
      ++coll;
    }
  }
  return out;
}

}  // namespace fastgpu::metrics
