#include "cli/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "cli/temp_env.h"

namespace fastgpu::cli {
namespace {

class ConfigTest : public testing::Test {
 protected:
  void SetUp() override {
    env_.Unset("FASTGPU_URL");
    env_.Unset("FASTGPU_API_KEY");
    env_.Unset("XDG_CONFIG_HOME");
    env_.Set("FASTGPU_CONFIG", dir_.path() + "/sub/config.json");
  }

  void WriteFile(const std::string& text) {
    ::mkdir((dir_.path() + "/sub").c_str(), 0700);
    std::ofstream(dir_.path() + "/sub/config.json") << text;
  }

  TempDir dir_;
  ScopedEnv env_;
};

TEST_F(ConfigTest, FlagsBeatEnvironmentBeatsFile) {
  WriteFile(R"({"url": "http://file:1", "api_key": "file-key"})");
  env_.Set("FASTGPU_URL", "http://env:2");
  env_.Set("FASTGPU_API_KEY", "env-key");

  auto config = ResolveClientConfig("http://flag:3", "flag-key");
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->url, "http://flag:3");
  EXPECT_EQ(config->api_key, "flag-key");

  config = ResolveClientConfig("", "");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->url, "http://env:2");
  EXPECT_EQ(config->api_key, "env-key");

  env_.Unset("FASTGPU_URL");
  env_.Unset("FASTGPU_API_KEY");
  config = ResolveClientConfig("", "");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->url, "http://file:1");
  EXPECT_EQ(config->api_key, "file-key");
}

TEST_F(ConfigTest, EachValueComesFromItsFirstSource) {
  WriteFile(R"({"url": "http://file:1", "api_key": "file-key"})");
  env_.Set("FASTGPU_API_KEY", "env-key");
  auto config = ResolveClientConfig("http://flag:3", "");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->url, "http://flag:3");
  EXPECT_EQ(config->api_key, "env-key");

  env_.Unset("FASTGPU_API_KEY");
  config = ResolveClientConfig("http://flag:3", "");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->api_key, "file-key");
}

TEST_F(ConfigTest, SeveralServersAreEachNormalizedAndChecked) {
  auto config = ResolveClientConfig("http://a:1/, b:2", "k");
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->url, "http://a:1,http://b:2");
  config = ResolveClientConfig("http://a:1,ftp://b:2", "k");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().field(), "url");
  EXPECT_NE(config.error().message().find("ftp://b:2"), std::string::npos);
}

TEST_F(ConfigTest, NothingConfiguredSaysWhatToDo) {
  auto config = ResolveClientConfig("", "");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(config.error().message(),
            "no server configured: run `fastgpu up`, or set FASTGPU_URL and FASTGPU_API_KEY");

  config = ResolveClientConfig("http://flag:3", "");  // a key is still missing
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code(), StatusCode::kFailedPrecondition);
}

TEST_F(ConfigTest, MalformedFileIsNamed) {
  WriteFile("{not json");
  auto config = ResolveClientConfig("", "");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(config.error().message().find(dir_.path() + "/sub/config.json"), std::string::npos);

  WriteFile(R"({"url": 5, "api_key": "k"})");
  config = ResolveClientConfig("", "");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message().find("\"url\" must be a string"), std::string::npos);
}

TEST_F(ConfigTest, UrlIsNormalizedAndChecked) {
  auto config = ResolveClientConfig("127.0.0.1:8080/", "k");
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->url, "http://127.0.0.1:8080");

  config = ResolveClientConfig("https://[::1]:8443", "k");
  ASSERT_TRUE(config.ok()) << config.error().ToString();

  for (const char* bad : {"ftp://host:21", "http://host:80/v1", "http://"}) {
    config = ResolveClientConfig(bad, "k");
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_EQ(config.error().field(), "url") << bad;
  }
}

TEST_F(ConfigTest, PathFollowsEnvironment) {
  EXPECT_EQ(ClientConfigPath(), dir_.path() + "/sub/config.json");
  env_.Unset("FASTGPU_CONFIG");
  env_.Set("XDG_CONFIG_HOME", "/xdg");
  EXPECT_EQ(ClientConfigPath(), "/xdg/fastgpu/config.json");
  env_.Unset("XDG_CONFIG_HOME");
  env_.Set("HOME", "/home/u");
  EXPECT_EQ(ClientConfigPath(), "/home/u/.config/fastgpu/config.json");
}

TEST_F(ConfigTest, WriteCreatesPrivateFileThatRoundTrips) {
  env_.Set("FASTGPU_CONFIG", dir_.path() + "/a/b/config.json");
  ASSERT_TRUE(WriteClientConfig("http://127.0.0.1:9000", "fgk_1234abcd_secret").ok());

  struct stat st {};
  ASSERT_EQ(::stat((dir_.path() + "/a/b/config.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_.path() + "/a/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u);

  auto config = ResolveClientConfig("", "");
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->url, "http://127.0.0.1:9000");
  EXPECT_EQ(config->api_key, "fgk_1234abcd_secret");

  // Replacing keeps the mode and leaves no temporary file behind.
  ASSERT_TRUE(WriteClientConfig("http://127.0.0.1:9001", "other").ok());
  config = ResolveClientConfig("", "");
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->url, "http://127.0.0.1:9001");
  ASSERT_EQ(::stat((dir_.path() + "/a/b/config.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(CountEntries(dir_.path() + "/a/b"), 1);
}

TEST_F(ConfigTest, WriteFailureNamesThePath) {
  std::ofstream(dir_.path() + "/file") << "x";
  env_.Set("FASTGPU_CONFIG", dir_.path() + "/file/config.json");  // parent is a file
  Status status = WriteClientConfig("http://h:1", "k");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find(dir_.path() + "/file"), std::string::npos);
}

}  // namespace
}  // namespace fastgpu::cli
