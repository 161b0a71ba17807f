#pragma once
// Where a repository is fetched from: the kinds of URL turnout accepts, checked before use.

#include <string>

#include "util/result.h"

namespace turnout::git {

/// How a remote is reached.
enum class RemoteKind {
  local_path,  ///< `/srv/git/app.git`, `../app` (made absolute)
  file,        ///< `file:///srv/git/app.git`
  https,       ///< `https://github.com/acme/app.git`; a token goes as basic auth
  http,        ///< `http://127.0.0.1:8080/app.git`; a token only ever goes to a loopback host
  ssh,         ///< `ssh://git@github.com/acme/app.git`
  scp,         ///< `git@github.com:acme/app.git` (ssh, path relative to the login's home)
};

/// `local path`, `file`, `https`, `http`, `ssh` or `scp-like ssh`.
std::string to_string(RemoteKind kind);

/// A checked remote URL, split into the parts turnout needs.
struct RemoteUrl {
  RemoteKind kind = RemoteKind::local_path;
  std::string url;       ///< what libgit2 is given (credentials kept; a local path made absolute)
  std::string user;      ///< user name in the URL ("" when none)
  std::string password;  ///< password or token in the URL ("" when none); never printed
  std::string host;      ///< lower-cased host name or address ("" for local kinds)
  std::string port;      ///< digits, "" when the default
  std::string path;      ///< the path on the host, or the local folder

  /// True for ssh:// and scp-like URLs.
  bool is_ssh() const { return kind == RemoteKind::ssh || kind == RemoteKind::scp; }
  /// True for http:// and https:// URLs.
  bool is_http() const { return kind == RemoteKind::https || kind == RemoteKind::http; }
  /// True for local paths and file:// URLs.
  bool is_local() const { return kind == RemoteKind::local_path || kind == RemoteKind::file; }
  /// True when the host is 127.0.0.0/8, ::1 or localhost.
  bool is_loopback() const;
  /// The URL safe to show a person: any password in it replaced by `***`.
  std::string display() const;
  /// The repository's identity: the URL without credentials, scheme and host lower-cased,
  /// trailing slashes dropped, local paths as `file://` + absolute path. Two URLs of one
  /// repository that differ only in their credentials have the same identity.
  std::string identity() const;
};

/// Checks and splits `text`: a local path, `file://`, `https://`, `http://`, `ssh://` or
/// `[user@]host:path`. Fails with "malformed repository URL '<text>': <why>" (credentials
/// redacted) for anything else, for control characters, an empty host or path, or a bad port.
util::Result<RemoteUrl> parse_remote_url(const std::string& text);

/// A folder name for the mirror of `remote`, unique per identity() and safe as one path
/// component: a readable part of `[A-Za-z0-9._-]` only (at most 40 characters, never starting
/// with '.', never holding credentials), '-', and the first 12 hex digits of identity()'s hash.
std::string mirror_name(const RemoteUrl& remote);

/// `text` with the password of any `scheme://user:password@` in it replaced by `***`.
std::string redact_url(const std::string& text);

}  // namespace turnout::git
