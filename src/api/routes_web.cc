// The dashboard's static files: GET / (index.html) and GET /ui/:version/:asset. See routes.h.
// No key is needed for these files; every datum the page shows comes through the JSON API with
// the user's own key.
#include <string>
#include <utility>

#include "api/route_util.h"
#include "api/routes.h"
#include "web/assets.h"

namespace fastgpu::api {
namespace {

// The page loads only its own files and talks only to this server.
constexpr char kPagePolicy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

HttpResponse AssetResponse(const web::Asset& asset, std::string cache_control) {
  HttpResponse r;
  r.content_type = std::string(asset.content_type);
  r.body = std::string(asset.body);
  r.headers = {{"Cache-Control", std::move(cache_control)},
               {"ETag", "\"" + std::string(web::AssetVersion()) + "\""},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "no-referrer"}};
  if (asset.name == "index.html") {
    r.headers.emplace_back("Content-Security-Policy", kPagePolicy);
    r.headers.emplace_back("X-Frame-Options", "DENY");
  }
  return r;
}

}  // namespace

std::vector<Route> WebRoutes() {
  std::vector<Route> routes;
  // index.html is small and names the versioned files: always revalidated.
  routes.push_back({"GET", "/", Sync([](const HttpRequest&) -> Result<HttpResponse> {
                      const web::Asset* index = web::FindAsset("index.html");
                      if (index == nullptr) return Internal("the dashboard was not built in");
                      return AssetResponse(*index, "no-cache");
                    })});
  // A file under the current version never changes: cached for a year. Under another version
  // (a page loaded before an upgrade) the current file is served, never cached.
  routes.push_back(
      {"GET", "/ui/:version/:asset", Sync([](const HttpRequest& r) -> Result<HttpResponse> {
         const std::string name(r.Param("asset").value_or(""));
         const web::Asset* asset = name == "index.html" ? nullptr : web::FindAsset(name);
         if (asset == nullptr) return NotFound("no dashboard file " + name, "asset");
         const bool current = r.Param("version").value_or("") == web::AssetVersion();
         return AssetResponse(*asset, current ? "public, max-age=31536000, immutable" : "no-cache");
       })});
  return routes;
}

}  // namespace fastgpu::api
