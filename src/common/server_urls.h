#pragma once
// Several server URLs in one flag or setting ("http://a:8080,http://b:8080"): the agent and the
// CLI talk to whichever of several servers sharing one PostgreSQL database leads (followers
// redirect with 307; a dead server does not answer). Pure functions; thread-safe.

#include <string>
#include <string_view>
#include <vector>

namespace fastgpu {

// The comma-separated URLs of `list`, each without surrounding spaces and trailing '/', empty
// entries dropped, in the given order.
std::vector<std::string> SplitServerUrls(std::string_view list);

// "scheme://host[:port]" of a URL ("http://b:8080/v1/jobs?x=1" -> "http://b:8080"); "" when
// `url` has no scheme.
std::string UrlOrigin(std::string_view url);

}  // namespace fastgpu
