#pragma once
// Leadership: the election loop of a server that shares its PostgreSQL database with others
// (docs/operations.md). Exactly one of them leads: it alone runs the Controller (scheduling,
// decisions, writes); the others follow (they redirect clients to the leader, see
// api::FollowerRoutes) and take over when the leader's lease runs out.
//
// A thread looks every kPollMs. A follower takes the lease as soon as it is free or expired
// and calls on_elected(epoch), which starts leading (and fences the store with the epoch). A
// leader renews the lease; when it learns that another server took over, or has not renewed
// for longer than lease_ms - kSafetyMs (it was paused, or the database is out of reach), it
// calls on_lost() at once, from the loop's thread: from then on it must neither decide nor
// write (the store's fence refuses its writes anyway).
//
// With lease_ms = 2000 a dead leader is replaced within lease_ms + kPollMs + the time the
// successor takes to load its state (well under 5 s for the test's pool).
// Safe for concurrent use.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "store/leader_lease.h"

namespace fastgpu::server {

class Leadership {
 public:
  static constexpr int64_t kPollMs = 250;
  static constexpr int64_t kSafetyMs = 500;

  struct Callbacks {
    // Start leading under `epoch`. An error gives the lease back (another server may try).
    std::function<Status(int64_t epoch)> on_elected;
    // Leading is over (why): stop deciding and writing now.
    std::function<void(const Status& why)> on_lost;
  };

  // Starts the loop. `lease` must come with lease_ms > 2 * kSafetyMs.
  static Result<std::unique_ptr<Leadership>> Start(std::unique_ptr<store::LeaderLease> lease,
                                                   int64_t lease_ms, Callbacks callbacks);
  // Stop().
  ~Leadership();

  bool leading() const { return epoch_.load() != 0; }
  // The leader's URL as last seen (this server's own while it leads); nullopt when none.
  std::optional<std::string> leader_url() const;
  // Ends the loop (a leader keeps its lease until Release()). Idempotent.
  void Stop();
  // After Stop(): a leader gives its lease up so a follower takes over at once.
  void Release();

 private:
  Leadership(std::unique_ptr<store::LeaderLease> lease, int64_t lease_ms, Callbacks callbacks)
      : lease_(std::move(lease)), lease_ms_(lease_ms), callbacks_(std::move(callbacks)) {}
  void Loop();
  void FollowOnce();
  void LeadOnce();

  const std::unique_ptr<store::LeaderLease> lease_;
  const int64_t lease_ms_;
  const Callbacks callbacks_;
  std::atomic<int64_t> epoch_{0};  // > 0 while leading
  std::chrono::steady_clock::time_point renewed_at_;  // loop thread only
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;                // guarded by mu_
  std::optional<std::string> leader_;    // guarded by mu_
  std::thread loop_;
};

}  // namespace fastgpu::server
