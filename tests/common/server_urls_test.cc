#include "common/server_urls.h"

#include <gtest/gtest.h>

namespace fastgpu {
namespace {

TEST(ServerUrlsTest, SplitsTrimsAndDropsEmptyEntries) {
  EXPECT_EQ(SplitServerUrls("http://a:1"), (std::vector<std::string>{"http://a:1"}));
  EXPECT_EQ(SplitServerUrls(" http://a:1/, https://b:2 ,,http://c/ "),
            (std::vector<std::string>{"http://a:1", "https://b:2", "http://c"}));
  EXPECT_TRUE(SplitServerUrls("").empty());
  EXPECT_TRUE(SplitServerUrls(" , ").empty());
}

TEST(ServerUrlsTest, OriginIsSchemeHostAndPort) {
  EXPECT_EQ(UrlOrigin("http://b:8080/v1/jobs?x=1"), "http://b:8080");
  EXPECT_EQ(UrlOrigin("https://[::1]:9/"), "https://[::1]:9");
  EXPECT_EQ(UrlOrigin("http://h?q"), "http://h");
  EXPECT_EQ(UrlOrigin("http://h"), "http://h");
  EXPECT_EQ(UrlOrigin("/v1/jobs"), "");
}

}  // namespace
}  // namespace fastgpu
