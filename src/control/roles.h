#pragma once
// Roles of API keys and what each may do, in one table (docs/security.md shows it):
//
//   action                      admin  member  viewer  submit-only
//   submit jobs                   x      x               x
//   cancel jobs                   x      x
//   read jobs, logs, events       x      x       x       own keys' jobs only
//   read pool and nodes           x      x       x       x
//   read usage and its tenant     x      x       x
//   manage tenants, keys, nodes;  x
//   read the audit log
//
// Admins act on every tenant; every other role only on its key's tenant. Pure; thread-safe.

#include <string>
#include <string_view>

#include "common/status.h"
#include "control/controller.h"

namespace fastgpu::control {

inline constexpr std::string_view kRoleAdmin = "admin";
inline constexpr std::string_view kRoleMember = "member";
inline constexpr std::string_view kRoleViewer = "viewer";
inline constexpr std::string_view kRoleSubmitOnly = "submit-only";

enum class Action { kSubmit, kCancel, kReadJobs, kReadPool, kReadUsage, kAdmin };

bool IsRole(std::string_view role);
bool Allows(std::string_view role, Action action);
inline bool IsAdmin(const Caller& caller) { return caller.role == kRoleAdmin; }

// OK when the caller's role allows `action`; PermissionDenied "role viewer cannot <what>"
// otherwise.
Status Require(const Caller& caller, Action action, std::string_view what);

// Whether `caller` may see a job of `tenant` submitted with key `key_prefix`.
bool CanSeeJob(const Caller& caller, const std::string& tenant, const std::string& key_prefix);

// Tenant and user names: 1..63 characters of [a-z0-9._-], starting with a letter or digit.
// InvalidArgument naming `field` otherwise.
Status ValidateName(std::string_view name, const std::string& field);

}  // namespace fastgpu::control
