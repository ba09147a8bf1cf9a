#pragma once
// Deferred: work collected while a lock is held (callbacks, log pumps) and run after it is
// released. Declare it BEFORE the lock guard so that it is destroyed (and runs) after the
// guard has unlocked. Not thread-safe.

#include <functional>
#include <utility>
#include <vector>

namespace fastgpu::control {

class Deferred {
 public:
  Deferred() = default;
  Deferred(const Deferred&) = delete;
  Deferred& operator=(const Deferred&) = delete;
  ~Deferred() { Run(); }
  friend void swap(Deferred& a, Deferred& b) noexcept { a.work_.swap(b.work_); }

  void Add(std::function<void()> fn) { work_.push_back(std::move(fn)); }
  void AddAll(std::vector<std::function<void()>> fns) {
    for (auto& fn : fns) work_.push_back(std::move(fn));
  }
  // Runs the work collected so far, in order, and forgets it.
  void Run() {
    std::vector<std::function<void()>> work;
    work.swap(work_);
    for (auto& fn : work) fn();
  }

 private:
  std::vector<std::function<void()>> work_;
};

}  // namespace fastgpu::control
