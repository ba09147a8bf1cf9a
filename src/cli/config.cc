#include "cli/config.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "common/server_urls.h"

namespace fastgpu::cli {
namespace {

constexpr const char* kNoServer =
    "no server configured: run `fastgpu up`, or set FASTGPU_URL and FASTGPU_API_KEY";

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string HomeDir() {
  std::string home = Env("HOME");
  if (!home.empty()) return home;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  return ".";
}

std::string NormalizeUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!url.empty() && url.find("://") == std::string::npos) url = "http://" + url;
  return url;
}

// The forms cpp-httplib's Client accepts: scheme://host[:port], nothing after.
Status CheckUrl(const std::string& url) {
  static const std::regex kUrl(R"(https?://(\[[0-9A-Fa-f:.]+\]|[^:/?#\[\]@ ]+)(:[0-9]{1,5})?)");
  if (!std::regex_match(url, kUrl)) {
    return InvalidArgument(
        "server URL '" + url + "' is not of the form http://HOST:PORT or https://HOST:PORT", "url");
  }
  return Status::Ok();
}

std::string ErrnoText() { return std::strerror(errno); }

// Reads the config file into `url`/`key`/`ca` where they are still empty.
Status FillFromFile(const std::string& path, std::string& url, std::string& key,
                    std::string& ca) {
  std::ifstream in(path);
  if (!in) return Status::Ok();  // no file: nothing to add
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("config file " + path + " is not a JSON object", path);
  }
  for (auto [name, target] :
       {std::pair{"url", &url}, std::pair{"api_key", &key}, std::pair{"ca_file", &ca}}) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_string()) {
      return InvalidArgument(
          std::string("config file ") + path + ": \"" + name + "\" must be a string", path);
    }
    if (target->empty()) *target = it->get<std::string>();
  }
  return Status::Ok();
}

// mkdir -p with mode 0700 for the folders it creates.
Status MakeDirs(const std::string& dir) {
  if (dir.empty()) return Status::Ok();
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return Internal("cannot create folder " + prefix + ": " + ErrnoText());
    }
  }
  return Status::Ok();
}

Status WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Internal(ErrnoText());
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

std::string ClientConfigPath() {
  std::string explicit_path = Env("FASTGPU_CONFIG");
  if (!explicit_path.empty()) return explicit_path;
  std::string xdg = Env("XDG_CONFIG_HOME");
  if (!xdg.empty()) return xdg + "/fastgpu/config.json";
  return HomeDir() + "/.config/fastgpu/config.json";
}

Result<ClientConfig> ResolveClientConfig(const std::string& flag_url,
                                         const std::string& flag_api_key,
                                         const std::string& flag_ca_file) {
  ClientConfig config{flag_url, flag_api_key, flag_ca_file};
  if (config.url.empty()) config.url = Env("FASTGPU_URL");
  if (config.api_key.empty()) config.api_key = Env("FASTGPU_API_KEY");
  if (config.ca_file.empty()) config.ca_file = Env("FASTGPU_CA_FILE");
  if (config.url.empty() || config.api_key.empty() || config.ca_file.empty()) {
    FG_RETURN_IF_ERROR(
        FillFromFile(ClientConfigPath(), config.url, config.api_key, config.ca_file));
  }
  if (config.url.empty() || config.api_key.empty()) return FailedPrecondition(kNoServer);
  // Several servers on one PostgreSQL database: "http://a:8080,http://b:8080", each checked.
  std::string urls;
  for (const std::string& url : SplitServerUrls(config.url)) {
    const std::string normal = NormalizeUrl(url);
    FG_RETURN_IF_ERROR(CheckUrl(normal));
    urls += (urls.empty() ? "" : ",") + normal;
  }
  if (urls.empty()) return FailedPrecondition(kNoServer);
  config.url = urls;
  return config;
}

Status WriteClientConfig(const std::string& url, const std::string& api_key) {
  std::string path = ClientConfigPath();
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) FG_RETURN_IF_ERROR(MakeDirs(path.substr(0, slash)));
  nlohmann::json j = {{"url", url}, {"api_key", api_key}};
  std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot write " + tmp + ": " + ErrnoText());
  Status status = fchmod(fd, 0600) == 0 ? WriteAll(fd, text) : Internal(ErrnoText());
  if (status.ok() && fsync(fd) != 0) status = Internal(ErrnoText());
  if (close(fd) != 0 && status.ok()) status = Internal(ErrnoText());
  if (status.ok() && rename(tmp.c_str(), path.c_str()) != 0) status = Internal(ErrnoText());
  if (!status.ok()) {
    unlink(tmp.c_str());
    return Internal("cannot write client config " + path + ": " + status.message());
  }
  return Status::Ok();
}

}  // namespace fastgpu::cli
