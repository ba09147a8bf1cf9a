#pragma once
// JobUsers: which Unix user each job runs as. Jobs never run as root by default:
//  - job_user set: every job runs as that user (a name or a uid; "root" only when named);
//  - otherwise each tenant gets a user of its own: the one tenant_users maps it to, else a uid
//    from uid_range, allocated on first use and remembered in a state file (so a tenant keeps
//    its uid across agent restarts). Range uids that /etc/passwd already gives to someone are
//    skipped. Such a uid has no passwd entry; its group is the gid of the same number.
// Only a root agent can switch users; any other agent runs jobs as itself and says so.
// Safe for concurrent use.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.h"

namespace fastgpu::agent {

struct JobUserOptions {
  std::string job_user;                             // "": a user per tenant
  std::string uid_range = "2000000000-2000999999";  // LO-HI, inclusive
  std::map<std::string, std::string> tenant_users;  // tenant -> user name or uid
};

struct JobIdentity {
  int64_t uid = -1;  // -1: the agent's own (no switch)
  int64_t gid = -1;
  std::string user;  // for USER/LOGNAME
  std::string home;  // the passwd home; empty: none (the job's workdir serves)
  bool operator==(const JobIdentity&) const = default;
};

class JobUsers {
 public:
  // `can_switch`: the agent is root. InvalidArgument (field "job_user", "uid_range" or
  // "tenant_users") for an unknown user or a bad range; Internal for an unreadable state file.
  static Result<std::unique_ptr<JobUsers>> Open(JobUserOptions options, std::string state_file,
                                                bool can_switch);

  // The identity for `tenant`'s jobs. ResourceExhausted when the range has no uid left;
  // Internal when the state file cannot be written.
  Result<JobIdentity> For(const std::string& tenant);

  // Whether jobs of different tenants get different users.
  bool SeparatesTenants() const;
  // One line for logs and node status: "a uid per tenant from 2000000000-2000999999",
  // "all jobs as nobody (65534)", "none: the agent is not root; jobs run as alice".
  std::string Describe() const;

 private:
  JobUsers(JobUserOptions options, std::string state_file, bool can_switch)
      : options_(std::move(options)), state_file_(std::move(state_file)), can_switch_(can_switch) {}
  Status Load();
  Result<int64_t> AllocateLocked(const std::string& tenant);

  const JobUserOptions options_;
  const std::string state_file_;
  const bool can_switch_;
  int64_t lo_ = 0, hi_ = 0;
  JobIdentity single_;                         // job_user resolved
  std::map<std::string, JobIdentity> mapped_;  // tenant_users resolved
  std::mutex mu_;
  std::map<std::string, int64_t> allocated_;  // guarded by mu_
  std::string own_user_;                      // the agent's user name
};

}  // namespace fastgpu::agent
