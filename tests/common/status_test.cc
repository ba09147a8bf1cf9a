#include "common/result.h"
#include "common/status.h"

#include <gtest/gtest.h>

namespace fastgpu {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd", "x");
  return x / 2;
}

Result<int> Quarter(int x) {
  FG_ASSIGN_OR_RETURN(int h, Half(x));
  FG_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Status, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = NotFound("job 9 not found", "id");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: job 9 not found (field id)");
}

TEST(Result, PropagatesErrors) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field(), "x");
}

}  // namespace
}  // namespace fastgpu
