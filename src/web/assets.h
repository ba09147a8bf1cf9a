#pragma once
// The dashboard's static files (src/web/ui/), compiled into the binary at build time by
// embed_assets.cmake: nothing is read from disk at run time. Pure data; thread-safe.

#include <string_view>
#include <vector>

namespace fastgpu::web {

struct Asset {
  std::string_view name;          // "index.html", "app.js", ... (no folders)
  std::string_view content_type;  // "text/javascript; charset=utf-8", ...
  std::string_view body;
};

// Every file, in the order CMakeLists.txt lists them.
const std::vector<Asset>& Assets();

// The file called `name`; nullptr when there is none. index.html's asset URLs carry
// AssetVersion() ("/ui/VERSION/app.js").
const Asset* FindAsset(std::string_view name);

// 16 hex digits that change whenever any file changes (a SHA-256 over all of them).
std::string_view AssetVersion();

}  // namespace fastgpu::web
