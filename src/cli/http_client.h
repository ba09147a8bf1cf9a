#pragma once
// SendHttp: one HTTP/1.1 request on a fresh connection (Connection: close), plain or TLS,
// blocking. The CLI's only HTTP code: with it the `fastgpu` binary needs no HTTP library and
// links OpenSSL statically, so a CLI process starts without binding cpp-httplib's and
// OpenSSL's shared libraries (docs/performance.md, "the CLI").
//
// Replies: a body framed by Content-Length, by chunked transfer coding, or by the end of the
// connection. 1xx interim replies are skipped. Header names are matched without case.
// Timeouts: the connection must be made within connect_timeout_ms; after that each read
// (write) fails when no byte arrives (leaves) for read_timeout_ms (write_timeout_ms).
// TLS: the server's certificate is always verified, against ca_file or the system's CAs, and
// must name the URL's host (a DNS name or an IP address).
//
// Thread-safe: calls share nothing.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fastgpu::cli {

enum class HttpError {
  kNone,
  kConnection,         // refused, unreachable, or the host does not resolve
  kConnectionTimeout,  // no connection within connect_timeout_ms
  kRead,               // broken or silent past read_timeout_ms while reading; a bad reply
  kWrite,              // broken or silent past write_timeout_ms while sending
  kTlsHandshake,
  kTlsNotTrusted,      // the certificate does not verify or does not name the host
  kTlsCaFile,          // ca_file cannot be read as PEM certificates (nothing was sent)
  kCanceled,           // the body sink returned false
};

// Words for an error, for messages ("connection failed (is the server running?)").
const char* HttpErrorText(HttpError error);

struct HttpOrigin {
  bool tls = false;
  std::string host;  // without the brackets of an IPv6 literal
  uint16_t port = 0;
};

// "http://HOST[:PORT]" or "https://HOST[:PORT]" (HOST a name, an IPv4 or a [IPv6] literal;
// the default ports are 80 and 443). nullopt for any other form, a path included.
std::optional<HttpOrigin> ParseHttpOrigin(std::string_view url);

struct HttpRequest {
  std::string method = "GET";
  std::string path = "/";      // with its query string
  std::string body;            // sent as application/json unless the method is GET
  std::string bearer_token;    // Authorization: Bearer ...; "" sends none
};

struct HttpOptions {
  int connect_timeout_ms = 10000;
  int read_timeout_ms = 60000;
  int write_timeout_ms = 60000;
  std::string ca_file;  // https: the PEM file of CAs to trust; "": the system's CAs
};

struct HttpReply {
  HttpError error = HttpError::kNone;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;  // the whole body, unless a sink took it

  // The first value of the header `lower_name` (lower case), or nullptr.
  const std::string* Header(std::string_view lower_name) const;
};

// Receives the reply's status and headers (`head`, body empty) with each piece of the body
// as it arrives. Returning false closes the connection: SendHttp returns kCanceled.
using HttpBodySink = std::function<bool(const HttpReply& head, std::string_view piece)>;

// Sends `request` to `origin` and reads the reply. With a sink, the body goes to it instead of
// into reply.body. On an error after the head arrived, `status` and `headers` stay set.
HttpReply SendHttp(const HttpOrigin& origin, const HttpRequest& request,
                   const HttpOptions& options, const HttpBodySink& sink = nullptr);

}  // namespace fastgpu::cli
