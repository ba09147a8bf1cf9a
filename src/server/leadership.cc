#include "server/leadership.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

namespace fastgpu::server {

Result<std::unique_ptr<Leadership>> Leadership::Start(std::unique_ptr<store::LeaderLease> lease,
                                                      int64_t lease_ms, Callbacks callbacks) {
  if (lease_ms <= 2 * kSafetyMs) {
    return InvalidArgument("the leader lease must last more than " +
                               std::to_string(2 * kSafetyMs) + " ms",
                           "lease_ms");
  }
  std::unique_ptr<Leadership> l(new Leadership(std::move(lease), lease_ms, std::move(callbacks)));
  l->loop_ = std::thread([raw = l.get()] { raw->Loop(); });
  return l;
}

Leadership::~Leadership() {
  Stop();
  Release();
}

std::optional<std::string> Leadership::leader_url() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_;
}

void Leadership::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    if (leading()) {
      LeadOnce();
    } else {
      FollowOnce();
    }
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(kPollMs), [this] { return stopping_; });
  }
}

void Leadership::FollowOnce() {
  Result<std::optional<int64_t>> taken = lease_->TryAcquire();
  if (!taken.ok()) {
    spdlog::warn("leader election: {}", taken.error().ToString());
    return;
  }
  if (!taken->has_value()) {
    Result<std::optional<std::string>> url = lease_->LeaderUrl();
    std::lock_guard<std::mutex> lock(mu_);
    if (url.ok()) leader_ = *url;
    return;
  }
  const int64_t epoch = **taken;
  renewed_at_ = std::chrono::steady_clock::now();
  spdlog::info("leader election: this server leads now (epoch {})", epoch);
  Status started = callbacks_.on_elected(epoch);
  if (!started.ok()) {
    spdlog::error("leader election: could not start leading: {}; giving the lease back",
                  started.ToString());
    lease_->Release(epoch).IgnoreError();
    return;
  }
  epoch_.store(epoch);
  Result<std::optional<std::string>> url = lease_->LeaderUrl();
  std::lock_guard<std::mutex> lock(mu_);
  if (url.ok()) leader_ = *url;
}

void Leadership::LeadOnce() {
  const int64_t epoch = epoch_.load();
  const auto started = std::chrono::steady_clock::now();
  // First the local deadline: after a pause (SIGSTOP, a VM freeze) the lease may be gone
  // although nobody has told us yet.
  const auto silent_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(started - renewed_at_).count();
  Status status;
  if (silent_ms > lease_ms_ - kSafetyMs) {
    status = Unavailable("the lease was not renewed for " + std::to_string(silent_ms) +
                         " ms (lease " + std::to_string(lease_ms_) + " ms)");
  } else {
    status = lease_->Renew(epoch);
    if (status.ok()) {
      renewed_at_ = started;  // the lease runs from (at least) when the renewal was sent
      return;
    }
    if (status.code() == StatusCode::kUnavailable) {
      // The database is out of reach: retry; the deadline above decides when it is lost.
      spdlog::warn("leader lease: renewal failed, retrying: {}", status.ToString());
      return;
    }
  }
  epoch_.store(0);
  spdlog::error("leader lease lost (epoch {}): {}", epoch, status.ToString());
  callbacks_.on_lost(status);
}

void Leadership::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !loop_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

void Leadership::Release() {
  const int64_t epoch = epoch_.exchange(0);
  if (epoch != 0) lease_->Release(epoch).IgnoreError();
}

}  // namespace fastgpu::server
