#pragma once
// Time as plain values. Instant is milliseconds since the Unix epoch; core never reads a clock,
// it receives Instants as arguments. Clock is the injectable source for the daemons.

#include <cstdint>

namespace fastgpu {

struct Instant {
  int64_t ms = 0;
  auto operator<=>(const Instant&) const = default;
};

// Source of the current time. Implementations are safe for concurrent use.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() const = 0;
};

// The wall clock (system_clock). Defined in clock.cc.
class SystemClock final : public Clock {
 public:
  Instant Now() const override;
};

// A clock that moves only when told to; for tests and the simulator. Not thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Instant start = {}) : now_(start) {}
  Instant Now() const override { return now_; }
  void Advance(int64_t ms) { now_.ms += ms; }
  void Set(Instant t) { now_ = t; }

 private:
  Instant now_;
};

}  // namespace fastgpu
