#include "cli/http_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

#include "cli/http_connection.h"

namespace fastgpu::cli {
namespace {

constexpr size_t kMaxHeadBytes = 1 << 20;  // a reply's status line and headers, together
constexpr size_t kReadSize = 16 << 10;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

template <typename Int>
bool ParseInt(std::string_view text, Int& value, int base = 10) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  return ec == std::errc() && ptr == end && !text.empty();
}

std::string RequestHead(const HttpOrigin& origin, const HttpRequest& request) {
  const bool v6 = origin.host.find(':') != std::string::npos;
  std::string head = request.method + " " + request.path + " HTTP/1.1\r\nHost: " +
                     (v6 ? "[" + origin.host + "]" : origin.host) + ":" +
                     std::to_string(origin.port) +
                     "\r\nUser-Agent: fastgpu-cli\r\nAccept: */*\r\nConnection: close\r\n";
  if (!request.bearer_token.empty()) {
    head += "Authorization: Bearer " + request.bearer_token + "\r\n";
  }
  if (request.method != "GET") {
    head += "Content-Type: application/json\r\nContent-Length: " +
            std::to_string(request.body.size()) + "\r\n";
  }
  return head + "\r\n";
}

// Reads one reply from a connection: lines of the head, then the body in its framing.
class ReplyReader {
 public:
  ReplyReader(HttpConnection& connection, HttpReply& reply, const HttpBodySink& sink)
      : connection_(connection), reply_(reply), sink_(sink) {}

  // The status line and headers, 1xx interim replies skipped.
  HttpError ReadHead() {
    do {
      std::string line;
      if (!ReadLine(line)) return HttpError::kRead;
      if (!ParseStatusLine(line)) return HttpError::kRead;
      reply_.headers.clear();
      for (;;) {
        if (!ReadLine(line)) return HttpError::kRead;
        if (line.empty()) break;
        const size_t colon = line.find(':');
        if (colon == std::string::npos) return HttpError::kRead;
        reply_.headers.emplace_back(Lower(Trim(std::string_view(line).substr(0, colon))),
                                    std::string(Trim(std::string_view(line).substr(colon + 1))));
      }
    } while (reply_.status >= 100 && reply_.status < 200);
    return HttpError::kNone;
  }

  HttpError ReadBody() {
    if (reply_.status == 204 || reply_.status == 304) return HttpError::kNone;
    const std::string* coding = reply_.Header("transfer-encoding");
    if (coding != nullptr && Lower(*coding).find("chunked") != std::string::npos) {
      return ReadChunked();
    }
    if (const std::string* length = reply_.Header("content-length")) {
      uint64_t n = 0;
      if (!ParseInt(*length, n)) return HttpError::kRead;
      return ReadExact(n);
    }
    return ReadToEnd();
  }

 private:
  bool Fill() {
    if (pos_ == buffer_.size()) {
      buffer_.clear();
      pos_ = 0;
    }
    char chunk[kReadSize];
    const ssize_t n = connection_.Read(chunk, sizeof(chunk));
    if (n <= 0) {
      ended_ = n == 0;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  // One line without its CRLF (a bare LF is accepted too).
  bool ReadLine(std::string& line) {
    for (;;) {
      const size_t lf = buffer_.find('\n', pos_);
      if (lf != std::string::npos) {
        size_t end = lf;
        if (end > pos_ && buffer_[end - 1] == '\r') --end;
        line.assign(buffer_, pos_, end - pos_);
        pos_ = lf + 1;
        return true;
      }
      if (buffer_.size() - pos_ > kMaxHeadBytes || !Fill()) return false;
    }
  }

  bool ParseStatusLine(const std::string& line) {
    // "HTTP/1.1 200 OK"
    if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12 || line[8] != ' ') return false;
    return ParseInt(std::string_view(line).substr(9, 3), reply_.status);
  }

  HttpError Deliver(std::string_view piece) {
    if (piece.empty()) return HttpError::kNone;
    if (!sink_) {
      reply_.body.append(piece);
      return HttpError::kNone;
    }
    return sink_(reply_, piece) ? HttpError::kNone : HttpError::kCanceled;
  }

  // Delivers the buffered bytes, up to `limit`; returns how many.
  HttpError DeliverBuffered(uint64_t limit, uint64_t& taken) {
    taken = std::min<uint64_t>(limit, buffer_.size() - pos_);
    const std::string_view piece(buffer_.data() + pos_, taken);
    pos_ += taken;
    return Deliver(piece);
  }

  HttpError ReadExact(uint64_t n) {
    while (n > 0) {
      if (pos_ == buffer_.size() && !Fill()) return HttpError::kRead;
      uint64_t taken = 0;
      if (HttpError e = DeliverBuffered(n, taken); e != HttpError::kNone) return e;
      n -= taken;
    }
    return HttpError::kNone;
  }

  HttpError ReadToEnd() {
    for (;;) {
      uint64_t taken = 0;
      if (HttpError e = DeliverBuffered(UINT64_MAX, taken); e != HttpError::kNone) return e;
      if (!Fill()) return ended_ ? HttpError::kNone : HttpError::kRead;
    }
  }

  HttpError ReadChunked() {
    std::string line;
    for (;;) {
      if (!ReadLine(line)) return HttpError::kRead;
      std::string_view size_text = Trim(std::string_view(line).substr(0, line.find(';')));
      uint64_t size = 0;
      if (!ParseInt(size_text, size, 16)) return HttpError::kRead;
      if (size == 0) break;
      if (HttpError e = ReadExact(size); e != HttpError::kNone) return e;
      if (!ReadLine(line) || !line.empty()) return HttpError::kRead;
    }
    do {  // trailers, up to the empty line
      if (!ReadLine(line)) return HttpError::kRead;
    } while (!line.empty());
    return HttpError::kNone;
  }

  HttpConnection& connection_;
  HttpReply& reply_;
  const HttpBodySink& sink_;
  std::string buffer_;
  size_t pos_ = 0;
  bool ended_ = false;
};

}  // namespace

const char* HttpErrorText(HttpError error) {
  switch (error) {
    case HttpError::kNone:
      return "no error";
    case HttpError::kConnection:
      return "connection failed (is the server running?)";
    case HttpError::kConnectionTimeout:
      return "connection timed out";
    case HttpError::kRead:
      return "connection broken or timed out while reading";
    case HttpError::kWrite:
      return "connection broken while sending";
    case HttpError::kTlsHandshake:
      return "TLS handshake failed";
    case HttpError::kTlsNotTrusted:
      return "TLS certificate not trusted (trust its CA with --ca-file or FASTGPU_CA_FILE)";
    case HttpError::kTlsCaFile:
      return "cannot read the CA file given with --ca-file or FASTGPU_CA_FILE";
    case HttpError::kCanceled:
      return "canceled";
  }
  return "unknown error";
}

std::optional<HttpOrigin> ParseHttpOrigin(std::string_view url) {
  HttpOrigin origin;
  if (url.rfind("https://", 0) == 0) {
    origin.tls = true;
    url.remove_prefix(8);
  } else if (url.rfind("http://", 0) == 0) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  if (url.find_first_of("/?#@ ") != std::string_view::npos) return std::nullopt;
  std::string_view port;
  if (!url.empty() && url.front() == '[') {
    const size_t close = url.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    origin.host = std::string(url.substr(1, close - 1));
    url.remove_prefix(close + 1);
    if (!url.empty() && url.front() != ':') return std::nullopt;
    if (!url.empty()) port = url.substr(1);
  } else {
    const size_t colon = url.find(':');
    origin.host = std::string(url.substr(0, colon));
    if (colon != std::string_view::npos) port = url.substr(colon + 1);
    if (origin.host.find_first_of("[]") != std::string::npos) return std::nullopt;
  }
  origin.port = origin.tls ? 443 : 80;
  if (url.find(':') != std::string_view::npos && !ParseInt(port, origin.port)) {
    return std::nullopt;
  }
  if (origin.host.empty()) return std::nullopt;
  return origin;
}

const std::string* HttpReply::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return &value;
  }
  return nullptr;
}

HttpReply SendHttp(const HttpOrigin& origin, const HttpRequest& request,
                   const HttpOptions& options, const HttpBodySink& sink) {
  HttpReply reply;
  auto [connection, error] = HttpConnection::Open(origin, options);
  if (connection == nullptr) {
    reply.error = error;
    return reply;
  }
  if (!connection->WriteAll(RequestHead(origin, request) + request.body)) {
    reply.error = HttpError::kWrite;
    return reply;
  }
  ReplyReader reader(*connection, reply, sink);
  reply.error = reader.ReadHead();
  if (reply.error == HttpError::kNone) reply.error = reader.ReadBody();
  return reply;
}

}  // namespace fastgpu::cli
