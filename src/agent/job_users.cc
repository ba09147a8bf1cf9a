#include "agent/job_users.h"

#include <pwd.h>
#include <unistd.h>

#include <charconv>
#include <nlohmann/json.hpp>
#include <set>

#include "agent/runner/attempt_files.h"

namespace fastgpu::agent {
namespace {

bool ParseInt(std::string_view text, int64_t* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

// A user name or uid, as a passwd entry when there is one.
Result<JobIdentity> Resolve(const std::string& who, const std::string& field) {
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  int64_t uid = -1;
  bool numeric = ParseInt(who, &uid);
  if (numeric) {
    if (uid < 0 || uid > 0x7fffffff) return InvalidArgument("bad uid '" + who + "'", field);
    ::getpwuid_r(static_cast<uid_t>(uid), &pw, buf, sizeof(buf), &found);
  } else {
    ::getpwnam_r(who.c_str(), &pw, buf, sizeof(buf), &found);
    if (found == nullptr) return InvalidArgument("no such user '" + who + "'", field);
  }
  JobIdentity id;
  if (found != nullptr) {
    id.uid = found->pw_uid;
    id.gid = found->pw_gid;
    id.user = found->pw_name;
    id.home = found->pw_dir;
  } else {
    id.uid = uid;
    id.gid = uid;
    id.user = "uid" + who;
  }
  return id;
}

bool UidTaken(int64_t uid) {
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  ::getpwuid_r(static_cast<uid_t>(uid), &pw, buf, sizeof(buf), &found);
  return found != nullptr;
}

// "fastgpu-<tenant>" with only [a-z0-9_-] kept, for USER.
std::string UserNameFor(const std::string& tenant) {
  std::string name = "fastgpu-";
  for (char c : tenant) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a'), ok = true;
    name.push_back(ok ? c : '_');
  }
  return name.substr(0, 32);
}

}  // namespace

Result<std::unique_ptr<JobUsers>> JobUsers::Open(JobUserOptions options, std::string state_file,
                                                 bool can_switch) {
  std::unique_ptr<JobUsers> u(new JobUsers(std::move(options), std::move(state_file), can_switch));
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  ::getpwuid_r(::getuid(), &pw, buf, sizeof(buf), &found);
  u->own_user_ = found != nullptr ? found->pw_name : "uid" + std::to_string(::getuid());
  const JobUserOptions& o = u->options_;
  if (!o.job_user.empty()) {
    FG_ASSIGN_OR_RETURN(u->single_, Resolve(o.job_user, "job_user"));
  }
  for (const auto& [tenant, who] : o.tenant_users) {
    FG_ASSIGN_OR_RETURN(u->mapped_[tenant], Resolve(who, "tenant_users"));
  }
  size_t dash = o.uid_range.find('-');
  if (dash == std::string::npos || !ParseInt(o.uid_range.substr(0, dash), &u->lo_) ||
      !ParseInt(o.uid_range.substr(dash + 1), &u->hi_) || u->lo_ < 1000 || u->hi_ < u->lo_ ||
      u->hi_ > 0x7ffffffe) {
    return InvalidArgument(
        "uid_range must be LO-HI with 1000 <= LO <= HI < 2^31-1, not '" + o.uid_range + "'",
        "uid_range");
  }
  FG_RETURN_IF_ERROR(u->Load());
  return u;
}

Status JobUsers::Load() {
  auto text = ReadWholeFile(state_file_);
  if (!text.ok()) {
    return text.error().code() == StatusCode::kNotFound ? Status::Ok() : text.error();
  }
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Internal("corrupt " + state_file_ + ": not a JSON object");
  for (const auto& [tenant, uid] : j.items()) {
    if (uid.is_number_integer()) allocated_[tenant] = uid.get<int64_t>();
  }
  return Status::Ok();
}

Result<int64_t> JobUsers::AllocateLocked(const std::string& tenant) {
  if (auto it = allocated_.find(tenant); it != allocated_.end()) return it->second;
  std::set<int64_t> used;
  for (const auto& [t, uid] : allocated_) used.insert(uid);
  for (int64_t uid = lo_; uid <= hi_; ++uid) {
    if (used.contains(uid) || UidTaken(uid)) continue;
    allocated_[tenant] = uid;
    nlohmann::json j = allocated_;
    Status saved = WriteFileAtomic(state_file_, j.dump() + "\n");
    if (!saved.ok()) {
      allocated_.erase(tenant);
      return saved;
    }
    return uid;
  }
  return ResourceExhausted("no uid left in " + options_.uid_range + " for tenant " + tenant);
}

Result<JobIdentity> JobUsers::For(const std::string& tenant) {
  if (!can_switch_) return JobIdentity{};
  if (single_.uid >= 0) return single_;
  if (auto it = mapped_.find(tenant); it != mapped_.end()) return it->second;
  std::lock_guard<std::mutex> lock(mu_);
  FG_ASSIGN_OR_RETURN(int64_t uid, AllocateLocked(tenant));
  return JobIdentity{uid, uid, UserNameFor(tenant), ""};
}

bool JobUsers::SeparatesTenants() const { return can_switch_ && single_.uid < 0; }

std::string JobUsers::Describe() const {
  if (!can_switch_) return "none: the agent is not root; every job runs as " + own_user_;
  if (single_.uid == 0) return "none: every job runs as root (job_user says so)";
  if (single_.uid > 0) {
    return "none between tenants: every job runs as " + single_.user + " (" +
           std::to_string(single_.uid) + ")";
  }
  return "a user per tenant (uids " + options_.uid_range + ")";
}

}  // namespace fastgpu::agent
