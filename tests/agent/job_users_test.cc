// JobUsers: a uid per tenant from the configured range, remembered across restarts; mappings
// and a single job user; never a switch when the agent is not root.
#include "agent/job_users.h"

#include <gtest/gtest.h>

#include "fakes/temp_dir.h"

namespace fastgpu::agent {
namespace {

using ::fastgpu::test::TempDir;

JobUserOptions Range(const std::string& range) {
  JobUserOptions o;
  o.uid_range = range;
  return o;
}

TEST(JobUsers, EachTenantGetsItsOwnUidOnceAndKeepsIt) {
  TempDir t;
  const std::string state = t.File("tenant-uids.json");
  {
    auto users = JobUsers::Open(Range("2000000000-2000000002"), state, /*can_switch=*/true);
    ASSERT_TRUE(users.ok()) << users.error().ToString();
    EXPECT_EQ((*users)->For("alice")->uid, 2000000000);
    EXPECT_EQ((*users)->For("bob")->uid, 2000000001);
    EXPECT_EQ((*users)->For("alice")->uid, 2000000000);
    EXPECT_EQ((*users)->For("alice")->gid, 2000000000);
    EXPECT_EQ((*users)->For("Bob.Smith")->user, "fastgpu-bob_smith");
    EXPECT_TRUE((*users)->SeparatesTenants());
  }
  // A restarted agent reads what it handed out: same tenants, same uids.
  auto again = JobUsers::Open(Range("2000000000-2000000002"), state, true);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->For("bob")->uid, 2000000001);
  EXPECT_EQ((*again)->For("Bob.Smith")->uid, 2000000002);
  auto full = (*again)->For("carol");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code(), StatusCode::kResourceExhausted);
}

TEST(JobUsers, RangeSkipsUidsThatPasswdGivesToSomeone) {
  TempDir t;
  // 65534 is nobody on Debian: the range starting there hands out 65535 first.
  auto users = JobUsers::Open(Range("65534-65540"), t.File("s.json"), true);
  ASSERT_TRUE(users.ok());
  EXPECT_EQ((*users)->For("a")->uid, 65535);
}

TEST(JobUsers, OneJobUserForEveryone) {
  TempDir t;
  JobUserOptions o;
  o.job_user = "nobody";
  auto users = JobUsers::Open(o, t.File("s.json"), true);
  ASSERT_TRUE(users.ok());
  EXPECT_EQ((*users)->For("a")->uid, 65534);
  EXPECT_EQ((*users)->For("b")->user, "nobody");
  EXPECT_FALSE((*users)->SeparatesTenants());
  EXPECT_NE((*users)->Describe().find("nobody"), std::string::npos);
}

TEST(JobUsers, MappedTenantsUseTheirUser) {
  TempDir t;
  JobUserOptions o;
  o.tenant_users = {{"ops", "nobody"}, {"ml", "4242"}};
  auto users = JobUsers::Open(o, t.File("s.json"), true);
  ASSERT_TRUE(users.ok());
  EXPECT_EQ((*users)->For("ops")->uid, 65534);
  EXPECT_EQ((*users)->For("ml")->uid, 4242);
  EXPECT_EQ((*users)->For("other")->uid, 2000000000);
}

TEST(JobUsers, BadConfigurationNamesTheSetting) {
  TempDir t;
  JobUserOptions o;
  o.job_user = "no-such-user-fastgpu";
  EXPECT_EQ(JobUsers::Open(o, t.File("s.json"), true).error().field(), "job_user");
  EXPECT_EQ(JobUsers::Open(Range("10-5"), t.File("s.json"), true).error().field(), "uid_range");
  EXPECT_EQ(JobUsers::Open(Range("0-100"), t.File("s.json"), true).error().field(), "uid_range");
  JobUserOptions m;
  m.tenant_users = {{"x", "no-such-user-fastgpu"}};
  EXPECT_EQ(JobUsers::Open(m, t.File("s.json"), true).error().field(), "tenant_users");
}

TEST(JobUsers, AnAgentThatIsNotRootRunsJobsAsItself) {
  TempDir t;
  auto users = JobUsers::Open(Range("2000000000-2000000002"), t.File("s.json"), false);
  ASSERT_TRUE(users.ok());
  EXPECT_EQ((*users)->For("alice")->uid, -1);
  EXPECT_FALSE((*users)->SeparatesTenants());
  EXPECT_EQ((*users)->Describe().rfind("none", 0), 0u);
}

}  // namespace
}  // namespace fastgpu::agent
