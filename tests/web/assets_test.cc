// The embedded dashboard files: every file CMakeLists.txt names is there with its content type,
// index.html names the current version, and every module app.js imports is embedded.
#include "web/assets.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

namespace fastgpu::web {
namespace {

TEST(Assets, EveryFileHasABodyAndAType) {
  std::set<std::string> names;
  for (const Asset& a : Assets()) {
    EXPECT_TRUE(names.insert(std::string(a.name)).second) << a.name << " twice";
    EXPECT_GT(a.body.size(), 100u) << a.name;
    const std::string name(a.name);
    const std::string type(a.content_type);
    std::string want;
    if (name.ends_with(".js")) want = "text/javascript; charset=utf-8";
    if (name.ends_with(".css")) want = "text/css; charset=utf-8";
    if (name.ends_with(".html")) want = "text/html; charset=utf-8";
    if (name.ends_with(".svg")) want = "image/svg+xml";
    EXPECT_EQ(type, want) << name;
  }
  EXPECT_TRUE(names.count("index.html"));
  EXPECT_TRUE(names.count("app.js"));
}

TEST(Assets, IndexNamesTheCurrentVersion) {
  const Asset* index = FindAsset("index.html");
  ASSERT_NE(index, nullptr);
  const std::string version(AssetVersion());
  ASSERT_TRUE(std::regex_match(version, std::regex("[0-9a-f]{16}"))) << version;
  const std::string body(index->body);
  EXPECT_EQ(body.find("@FG_UI_VERSION@"), std::string::npos);
  EXPECT_NE(body.find("/ui/" + version + "/app.js"), std::string::npos) << body;
  EXPECT_NE(body.find("/ui/" + version + "/app.css"), std::string::npos) << body;
}

TEST(Assets, EveryImportedModuleIsEmbedded) {
  int imports = 0;
  for (const Asset& a : Assets()) {
    if (!a.name.ends_with(".js")) continue;
    const std::string body(a.body);
    const std::regex import_re("from '\\./([a-z_]+\\.js)'");
    for (auto it = std::sregex_iterator(body.begin(), body.end(), import_re);
         it != std::sregex_iterator(); ++it) {
      ++imports;
      EXPECT_NE(FindAsset((*it)[1].str()), nullptr) << a.name << " imports " << (*it)[1];
    }
  }
  EXPECT_GE(imports, 10);
}

TEST(Assets, UnknownNamesAreNull) {
  EXPECT_EQ(FindAsset(""), nullptr);
  EXPECT_EQ(FindAsset("../app.js"), nullptr);
  EXPECT_EQ(FindAsset("APP.JS"), nullptr);
}

}  // namespace
}  // namespace fastgpu::web
