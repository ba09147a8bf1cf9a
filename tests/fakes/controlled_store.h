#pragma once
// ControlledStore: a Store decorator for fault tests (as LevelDB's EnvWrapper). It forwards
// everything to a real store, counts Commit calls, can hold the next Commit open until
// Release() (so that others queue behind it) and fails commits while SetFail(true) is in
// force, with Unavailable "the store's disk is full", as a full disk does. Thread-safe.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace fastgpu::test {

class ControlledStore final : public store::Store {
 public:
  explicit ControlledStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}

  Status Commit(const store::WriteBatch& batch) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++commits_;
      entered_cv_.notify_all();
      cv_.wait(lock, [this] { return !hold_; });
      if (fail_ || (fail_from_ > 0 && commits_ >= fail_from_)) {
        return Unavailable("the store's disk is full: injected");
      }
    }
    return inner_->Commit(batch);
  }
  void Hold() {
    std::lock_guard<std::mutex> lock(mu_);
    hold_ = true;
  }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hold_ = false;
    }
    cv_.notify_all();
  }
  void WaitForCommits(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    entered_cv_.wait(lock, [&] { return commits_ >= n; });
  }
  void SetFail(bool fail) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = fail;
  }
  // Commit number n (counting from 1, as commits() does) and every later one fail, until
  // FailFrom(0).
  void FailFrom(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_from_ = n;
  }
  int commits() {
    std::lock_guard<std::mutex> lock(mu_);
    return commits_;
  }

  Result<core::JobId> MaxJobId() override { return inner_->MaxJobId(); }
  Result<core::JobRecord> GetJob(core::JobId id) override { return inner_->GetJob(id); }
  Result<std::vector<core::JobRecord>> ListJobs(const store::JobFilter& f) override {
    return inner_->ListJobs(f);
  }
  Result<std::vector<core::JobRecord>> ListActiveJobs() override {
    return inner_->ListActiveJobs();
  }
  Result<std::map<core::JobState, int64_t>> CountJobsByState() override {
    return inner_->CountJobsByState();
  }
  Result<std::vector<store::JobEvent>> ListJobEvents(core::JobId job) override {
    return inner_->ListJobEvents(job);
  }
  Result<std::vector<core::NodeRecord>> ListNodes() override { return inner_->ListNodes(); }
  Result<std::vector<store::IdempotencyRecord>> ListIdempotencyKeys(int64_t since) override {
    return inner_->ListIdempotencyKeys(since);
  }
  Status CreateApiKey(const store::ApiKeyRecord& key) override { return inner_->CreateApiKey(key); }
  Result<store::ApiKeyRecord> GetApiKey(const std::string& p) override {
    return inner_->GetApiKey(p);
  }
  Result<std::vector<store::ApiKeyRecord>> ListApiKeys() override { return inner_->ListApiKeys(); }
  Status UpdateApiKey(const store::ApiKeyRecord& key) override { return inner_->UpdateApiKey(key); }
  Status PutTenant(const store::TenantRecord& t) override { return inner_->PutTenant(t); }
  Result<store::TenantRecord> GetTenant(const std::string& n) override {
    return inner_->GetTenant(n);
  }
  Result<std::vector<store::TenantRecord>> ListTenants() override { return inner_->ListTenants(); }
  Result<int64_t> AppendAudit(const store::AuditRecord& a) override {
    return inner_->AppendAudit(a);
  }
  Result<std::vector<store::AuditRecord>> ListAudit(const store::AuditFilter& f) override {
    return inner_->ListAudit(f);
  }
  Result<std::vector<store::UsageRecord>> ListUsage(const store::UsageFilter& f) override {
    return inner_->ListUsage(f);
  }
  Status PutPrice(const store::PriceRecord& p) override { return inner_->PutPrice(p); }
  Result<std::vector<store::PriceRecord>> ListPrices() override { return inner_->ListPrices(); }
  Result<bool> AddBillingEvent(const store::BillingEvent& e) override {
    return inner_->AddBillingEvent(e);
  }
  Result<std::vector<store::BillingEvent>> ListBillingEvents(const std::string& t,
                                                             int32_t limit) override {
    return inner_->ListBillingEvents(t, limit);
  }
  Result<std::optional<std::string>> GetMeta(const std::string& k) override {
    return inner_->GetMeta(k);
  }
  Status PutMeta(const std::string& k, const std::string& v) override {
    return inner_->PutMeta(k, v);
  }

 private:
  std::unique_ptr<store::Store> inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable entered_cv_;
  bool hold_ = false;
  bool fail_ = false;
  int fail_from_ = 0;
  int commits_ = 0;
};

}  // namespace fastgpu::test
