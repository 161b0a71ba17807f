#include "git/remote_url.h"

#include <git2.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string_view>

#include "git/libgit2_session.h"

namespace turnout::git {

namespace {

constexpr std::size_t kReadableMax = 40;
constexpr std::size_t kHashDigits = 12;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

bool is_host_character(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
}

std::string strip_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

/// Splits `[user[:password]@]host[:port]` (host may be `[v6]`) into `url`; returns why it is
/// malformed, "" when it is fine.
std::string split_authority(std::string_view authority, RemoteUrl& url) {
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const auto userinfo = authority.substr(0, at);
    const auto colon = userinfo.find(':');
    url.user = std::string(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) url.password = std::string(userinfo.substr(colon + 1));
    authority.remove_prefix(at + 1);
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return "an IPv6 host has no closing ']'";
    url.host = std::string(authority.substr(1, close - 1));
    const auto rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return "unexpected text after the IPv6 host";
    if (!rest.empty()) port = rest.substr(1);
    if (url.host.empty() || url.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos)
      return "the IPv6 host is not valid";
  } else {
    const auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (url.host.empty()) return "it has no host";
    if (!std::all_of(url.host.begin(), url.host.end(), is_host_character) || url.host.front() == '-')
      return "the host '" + url.host + "' is not a valid host name";
  }
  url.host = lower(url.host);
  if (port.empty()) return "";
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
      std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535)
    return "the port '" + std::string(port) + "' is not a number from 1 to 65535";
  url.port = std::string(port);
  return "";
}

std::string check_path(const std::string& path) {
  if (path.empty() || path == "/" || path == "/~" || path == "~")
    return "it names no repository (empty path)";
  if (path.find_first_of("?#") != std::string::npos) return "a query or fragment is not supported";
  return "";
}

/// `scheme://authority/path`; returns why it is malformed, "" when fine.
std::string parse_with_scheme(const std::string& text, std::size_t separator, RemoteUrl& url) {
  const std::string scheme = lower(text.substr(0, separator));
  const std::string rest = text.substr(separator + 3);
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  url.path = slash == std::string::npos ? "" : rest.substr(slash);
  if (scheme == "file") {
    url.kind = RemoteKind::file;
    if (!authority.empty() && lower(authority) != "localhost")
      return "a file:// URL cannot name a host ('" + authority + "'); use file:///absolute/path";
    url.path = strip_trailing_slashes(std::filesystem::path(url.path).lexically_normal().string());
    url.url = "file://" + url.path;
    return check_path(url.path);
  }
  if (scheme == "https")
    url.kind = RemoteKind::https;
  else if (scheme == "http")
    url.kind = RemoteKind::http;
  else if (scheme == "ssh")
    url.kind = RemoteKind::ssh;
  else
    return "unsupported scheme '" + scheme +
           "://' (use https://, ssh://, git@host:path, file:// or a local path)";
  url.url = text;
  if (std::string why = split_authority(authority, url); !why.empty()) return why;
  return check_path(url.path);
}

/// `[user@]host:path`; returns why it is malformed, "" when fine.
std::string parse_scp_like(const std::string& text, RemoteUrl& url) {
  url.kind = RemoteKind::scp;
  url.url = text;
  const auto at = text.find('@');
  const std::size_t host_start = at == std::string::npos ? 0 : at + 1;
  const std::size_t colon = text.size() > host_start && text[host_start] == '['
                                ? text.find("]:", host_start) + 1
                                : text.find(':', host_start);
  if (colon == 0 || colon == std::string::npos) return "it has no ':' between host and path";
  if (std::string why = split_authority(text.substr(0, colon), url); !why.empty()) return why;
  if (!url.port.empty() || !url.password.empty())
    return "a port or password needs the ssh://user@host:port/path form";
  url.path = text.substr(colon + 1);
  return check_path(url.path);
}

std::string parse_local_path(const std::string& text, RemoteUrl& url) {
  url.kind = RemoteKind::local_path;
  std::error_code error;
  const auto absolute = std::filesystem::absolute(text, error);
  if (error) return "cannot make the path absolute: " + error.message();
  url.path = strip_trailing_slashes(absolute.lexically_normal().string());
  url.url = url.path;
  return "";
}

bool is_scp_like(const std::string& text) {
  const auto colon = text.find(':');
  const auto slash = text.find('/');
  return colon != std::string::npos && (slash == std::string::npos || colon < slash);
}

std::string default_port(RemoteKind kind) {
  switch (kind) {
    case RemoteKind::https:
      return "443";
    case RemoteKind::http:
      return "80";
    case RemoteKind::ssh:
      return "22";
    default:
      return "";
  }
}

}  // namespace

std::string to_string(RemoteKind kind) {
  switch (kind) {
    case RemoteKind::local_path:
      return "local path";
    case RemoteKind::file:
      return "file";
    case RemoteKind::https:
      return "https";
    case RemoteKind::http:
      return "http";
    case RemoteKind::ssh:
      return "ssh";
    case RemoteKind::scp:
      return "scp-like ssh";
  }
  return "unknown";
}

bool RemoteUrl::is_loopback() const {
  if (host == "localhost" || host == "::1") return true;
  return host.rfind("127.", 0) == 0 && host.find_first_not_of("0123456789.") == std::string::npos;
}

std::string RemoteUrl::display() const { return redact_url(url); }

std::string RemoteUrl::identity() const {
  if (is_local()) return "file://" + path;
  const std::string host_part = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const std::string port_part = port.empty() || port == default_port(kind) ? "" : ":" + port;
  const std::string user_part = is_ssh() && !user.empty() ? user + "@" : "";
  const std::string scheme = kind == RemoteKind::scp ? "scp" : lower(url.substr(0, url.find(':')));
  const std::string separator = kind == RemoteKind::scp ? ":" : "";
  return scheme + "://" + user_part + host_part + port_part + separator + strip_trailing_slashes(path);
}

util::Result<RemoteUrl> parse_remote_url(const std::string& text) {
  RemoteUrl url;
  std::string why;
  if (text.empty())
    why = "it is empty";
  else if (has_control_character(text))
    why = "it contains a control character";
  else if (text.front() == '-')
    why = "it starts with '-'";
  else if (const auto separator = text.find("://"); separator != std::string::npos)
    why = parse_with_scheme(text, separator, url);
  else if (is_scp_like(text))
    why = parse_scp_like(text, url);
  else
    why = parse_local_path(text, url);
  if (why.empty() && !url.is_local() && url.url.find(' ') != std::string::npos)
    why = "it contains a space (write it as %20)";
  if (!why.empty())
    return util::fail("malformed repository URL '" + redact_url(text) + "': " + why,
                      util::ErrorKind::invalid);
  return url;
}

std::string mirror_name(const RemoteUrl& remote) {
  std::string source = remote.is_local() ? remote.path : remote.host + "/" + remote.path;
  source = strip_trailing_slashes(source);
  if (source.size() > 4 && source.ends_with(".git")) source.resize(source.size() - 4);

  std::string readable;
  for (const char c : source) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
    const char out = keep ? c : '_';
    // Runs of '_' and '.' collapse: no `..` even inside the one path component.
    if ((out == '_' || out == '.') && !readable.empty() && readable.back() == out) continue;
    readable.push_back(out);
  }
  if (readable.size() > kReadableMax) readable.erase(0, readable.size() - kReadableMax);
  readable.erase(0, std::min(readable.find_first_not_of("._-"), readable.size()));
  if (readable.empty()) readable = "repo";

  const Libgit2Session session;
  const std::string identity = remote.identity();
  git_oid oid;
  git_odb_hash(&oid, identity.data(), identity.size(), GIT_OBJECT_BLOB);
  return readable + "-" + std::string(git_oid_tostr_s(&oid)).substr(0, kHashDigits);
}

std::string redact_url(const std::string& text) {
  std::string out = text;
  std::size_t from = 0;
  while ((from = out.find("://", from)) != std::string::npos) {
    const std::size_t start = from + 3;
    const std::size_t end = std::min(out.find_first_of("/ \t\n'\"", start), out.size());
    const std::size_t at = out.rfind('@', end == 0 ? 0 : end - 1);
    if (at != std::string::npos && at >= start && at < end) {
      auto scheme_start = out.find_last_of(" \t\n'\"(", from);
      scheme_start = scheme_start == std::string::npos ? 0 : scheme_start + 1;
      const std::string scheme = lower(out.substr(scheme_start, from - scheme_start));
      const std::size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at)
        out.replace(colon + 1, at - colon - 1, "***");
      else if (scheme == "http" || scheme == "https")
        out.replace(start, at - start, "***");
    }
    from = start;
  }
  return out;
}

}  // namespace turnout::git
