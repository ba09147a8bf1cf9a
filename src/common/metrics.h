#pragma once
// Metrics: counters, gauges and histograms in a Registry that renders the Prometheus text
// exposition format (version 0.0.4), for GET /metrics.
//
// A metric is one (name, labels) pair of a family; families group the samples of one name under
// one HELP and TYPE line. Registry::Get*() returns a reference that stays valid for the life of
// the registry, so hot paths look a metric up once and then only touch atomics. Values that are
// cheaper to compute at scrape time (jobs by state, GPU allocation) come from collectors:
// callbacks that write samples into a Scrape when Render() runs.
//
// Names follow Prometheus conventions (checked by `promtool check metrics` in tests): counters
// end in _total, durations are _seconds, sizes _bytes. Safe for concurrent use.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace fastgpu::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;  // in output order

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets with fixed upper bounds (the +Inf bucket is implicit).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (not cumulative) counts, bounds().size() + 1 entries; sum; count.
  std::vector<uint64_t> BucketCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// Bucket bounds for latencies in seconds: 100 us .. 30 s.
std::vector<double> LatencyBuckets();

// What collectors write into at scrape time.
class Scrape {
 public:
  void Gauge(const std::string& name, const std::string& help, const Labels& labels, double v);
  void Counter(const std::string& name, const std::string& help, const Labels& labels, double v);

 private:
  friend class Registry;
  struct Sample {
    Labels labels;
    double value;
  };
  struct Family {
    std::string help;
    std::string type;
    std::vector<Sample> samples;
  };
  void Add(const std::string& name, const std::string& help, const char* type,
           const Labels& labels, double v);
  std::map<std::string, Family> families_;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The metric with this name and labels, created on first use. A name is of one type: asking
  // for a counter under a gauge's name is a programming error (FG_CHECK).
  metrics::Counter& GetCounter(const std::string& name, const std::string& help,
                               const Labels& labels = {});
  metrics::Gauge& GetGauge(const std::string& name, const std::string& help,
                           const Labels& labels = {});
  metrics::Histogram& GetHistogram(const std::string& name, const std::string& help,
                                   const Labels& labels = {},
                                   std::vector<double> bounds = LatencyBuckets());

  // Adds a callback run by every Render(), on the rendering thread. It must not call back
  // into this registry. Collectors live as long as the registry; RemoveCollectors(owner)
  // drops those added with that owner (call it before the owner is destroyed).
  void AddCollector(const void* owner, std::function<void(Scrape&)> collect);
  void RemoveCollectors(const void* owner);

  // Every metric and collected sample, in the Prometheus text format, families by name.
  std::string Render() const;

 private:
  struct Child {
    Labels labels;
    std::unique_ptr<metrics::Counter> counter;
    std::unique_ptr<metrics::Gauge> gauge;
    std::unique_ptr<metrics::Histogram> histogram;
  };
  struct Family {
    std::string help;
    std::string type;  // "counter", "gauge", "histogram"
    std::vector<std::unique_ptr<Child>> children;
  };
  Child& GetChild(const std::string& name, const std::string& help, const char* type,
                  const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::vector<std::pair<const void*, std::function<void(Scrape&)>>> collectors_;
};

// Escapes a label value for the text format (backslash, double quote, newline).
std::string EscapeLabelValue(const std::string& value);

}  // namespace fastgpu::metrics
