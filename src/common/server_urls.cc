#include "common/server_urls.h"

namespace fastgpu {

std::vector<std::string> SplitServerUrls(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view url = list.substr(start, comma - start);
    while (!url.empty() && url.front() == ' ') url.remove_prefix(1);
    while (!url.empty() && (url.back() == ' ' || url.back() == '/')) url.remove_suffix(1);
    if (!url.empty()) out.emplace_back(url);
    start = comma + 1;
  }
  return out;
}

std::string UrlOrigin(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  const size_t path = url.find_first_of("/?#", scheme + 3);
  return std::string(url.substr(0, path));
}

}  // namespace fastgpu
