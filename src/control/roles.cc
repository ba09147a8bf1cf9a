#include "control/roles.h"

namespace fastgpu::control {

bool IsRole(std::string_view role) {
  return role == kRoleAdmin || role == kRoleMember || role == kRoleViewer ||
         role == kRoleSubmitOnly;
}

bool Allows(std::string_view role, Action action) {
  if (role == kRoleAdmin) return true;
  switch (action) {
    case Action::kSubmit:
      return role == kRoleMember || role == kRoleSubmitOnly;
    case Action::kCancel:
      return role == kRoleMember;
    case Action::kReadJobs:
    case Action::kReadPool:
      return IsRole(role);
    case Action::kReadUsage:
      return role == kRoleMember || role == kRoleViewer;
    case Action::kAdmin:
      return false;
  }
  return false;
}

Status Require(const Caller& caller, Action action, std::string_view what) {
  if (Allows(caller.role, action)) return Status::Ok();
  return PermissionDenied("role " + caller.role + " cannot " + std::string(what));
}

bool CanSeeJob(const Caller& caller, const std::string& tenant, const std::string& key_prefix) {
  if (IsAdmin(caller)) return true;
  if (caller.tenant != tenant) return false;
  if (caller.role == kRoleSubmitOnly) return key_prefix == caller.key_prefix;
  return true;
}

Status ValidateName(std::string_view name, const std::string& field) {
  const std::string rule = field + " must be 1..63 characters of a-z, 0-9, '.', '_' or '-', "
                                   "starting with a letter or digit";
  if (name.empty() || name.size() > 63) return InvalidArgument(rule, field);
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) {
      return InvalidArgument(rule, field);
    }
  }
  return Status::Ok();
}

}  // namespace fastgpu::control
