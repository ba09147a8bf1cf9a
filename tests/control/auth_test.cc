#include "control/auth.h"

#include <gtest/gtest.h>

#include <set>

namespace fastgpu::control {
namespace {

TEST(AuthTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(AuthTest, KeysHaveTheDocumentedShapeAndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto k = MakeApiKey("t", "member", 7);
    ASSERT_TRUE(k.ok());
    ASSERT_EQ(k->key.size(), 4u + 8 + 1 + 32);
    EXPECT_EQ(k->key.substr(0, 4), "fgk_");
    EXPECT_EQ(ApiKeyPrefix(k->key), k->record.prefix);
    EXPECT_EQ(k->record.hash, Sha256Hex(k->key));
    EXPECT_EQ(k->record.tenant, "t");
    EXPECT_EQ(k->record.role, "member");
    EXPECT_EQ(k->record.created_ms, 7);
    EXPECT_TRUE(seen.insert(k->key).second);
  }
  auto token = MakeJoinToken();
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->size(), 32u);
}

TEST(AuthTest, PrefixRejectsMalformedKeys) {
  const std::string good = "fgk_0123abcd_" + std::string(32, 'f');
  EXPECT_EQ(ApiKeyPrefix(good), "fgk_0123abcd");
  EXPECT_FALSE(ApiKeyPrefix("").has_value());
  EXPECT_FALSE(ApiKeyPrefix("fgk_0123abcd").has_value());
  EXPECT_FALSE(ApiKeyPrefix("fgk_0123abcd_" + std::string(31, 'f')).has_value());
  EXPECT_FALSE(ApiKeyPrefix("fgk_0123ABCD_" + std::string(32, 'f')).has_value());
  EXPECT_FALSE(ApiKeyPrefix("fgk-0123abcd_" + std::string(32, 'f')).has_value());
  EXPECT_FALSE(ApiKeyPrefix("fgk_0123abcdx" + std::string(32, 'f')).has_value());
  EXPECT_FALSE(ApiKeyPrefix("fgk_0123abcd_" + std::string(31, 'f') + "g").has_value());
}

TEST(AuthTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

}  // namespace
}  // namespace fastgpu::control
