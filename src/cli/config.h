#pragma once
// Where the CLI finds its server: URL and API key.
//
// Each of the two values comes from the first source that has it, in this order:
//   1. the flags --url / --api-key,
//   2. the environment: FASTGPU_URL / FASTGPU_API_KEY,
//   3. the config file {"url": ..., "api_key": ...} at ClientConfigPath().
// `fastgpu up` writes that file, so on the machine that runs `up` the CLI needs no flags.

#include <string>

#include "common/result.h"
#include "common/status.h"

namespace fastgpu::cli {

struct ClientConfig {
  std::string url;      // "http://127.0.0.1:8080", no trailing '/'; or several, comma-separated
  std::string api_key;  // "fgk_..."
  std::string ca_file;  // for https: the CA file (PEM) to verify the server with; "": the
                        // system's CAs. From --ca-file, $FASTGPU_CA_FILE or the file's ca_file.
};

// The config file's path: $FASTGPU_CONFIG if set, else $XDG_CONFIG_HOME/fastgpu/config.json,
// else $HOME/.config/fastgpu/config.json. Never empty; does not check that the file exists.
std::string ClientConfigPath();

// Resolves URL, key and CA file as described above (the CA file: --ca-file, then
// $FASTGPU_CA_FILE, then the file's "ca_file"; it may stay empty). Empty flag values count as
// not given. A URL
// without a scheme gets "http://"; a trailing '/' is dropped. The file is read only when a
// flag and the environment leave something unset; a missing file is no error.
// Returns FailedPrecondition "no server configured: run `fastgpu up`, or set FASTGPU_URL and
// FASTGPU_API_KEY" when URL or key stays unset, InvalidArgument naming the file when it
// exists but is not a JSON object with string values, and InvalidArgument (field "url") when
// the URL is not scheme://HOST[:PORT] with scheme http or https.
Result<ClientConfig> ResolveClientConfig(const std::string& flag_url,
                                         const std::string& flag_api_key,
                                         const std::string& flag_ca_file = "");

// Writes {"url", "api_key"} to ClientConfigPath(): creates the folder (0700) if needed and
// replaces the file atomically (temporary file + rename) with mode 0600. Returns Internal
// naming the path on any I/O failure; never leaves a partial file at the path.
Status WriteClientConfig(const std::string& url, const std::string& api_key);

}  // namespace fastgpu::cli
