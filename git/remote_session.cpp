#include "git/remote_session.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "git/libgit2_error.h"

namespace turnout::git::detail {

namespace {

constexpr const char* kTokenUser = "x-access-token";

int offer_token(git_credential** out, AuthState& auth) {
  const RemoteUrl& url = *auth.url;
  if (auth.credentials->token.empty()) {
    auth.problem = "the server asks for credentials and no token is configured (set " +
                   auth.credentials->token_setting + ")";
    return GIT_EAUTH;
  }
  if (url.kind == RemoteKind::http && !url.is_loopback()) {
    auth.problem = "refusing to send the token over plain http:// to " + url.host + " (use https://)";
    return GIT_EAUTH;
  }
  ++auth.offers;
  return git_credential_userpass_plaintext_new(out, kTokenUser, auth.credentials->token.c_str());
}

int offer_ssh_key(git_credential** out, const char* user, AuthState& auth) {
  const Credentials& credentials = *auth.credentials;
  ++auth.offers;
  if (credentials.ssh_key_file.empty()) return git_credential_ssh_key_from_agent(out, user);
  const std::string public_key = credentials.ssh_key_file + ".pub";
  const bool has_public = std::filesystem::exists(public_key);
  return git_credential_ssh_key_new(
      out, user, has_public ? public_key.c_str() : nullptr, credentials.ssh_key_file.c_str(),
      credentials.ssh_passphrase.empty() ? nullptr : credentials.ssh_passphrase.c_str());
}

int acquire_credential(git_credential** out, const char* /*url*/, const char* username_from_url,
                       unsigned int allowed, void* payload) {
  auto& auth = *static_cast<AuthState*>(payload);
  // libgit2 asks again after a rejected credential; offering the same one would loop forever.
  if (auth.offers > 0) return GIT_EAUTH;
  const char* user = username_from_url != nullptr && *username_from_url != '\0' ? username_from_url : "git";
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) != 0 && auth.url->is_http())
    return offer_token(out, auth);
  if ((allowed & GIT_CREDENTIAL_USERNAME) != 0 && auth.url->is_ssh())
    return git_credential_username_new(out, user);
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) != 0) return offer_ssh_key(out, user, auth);
  auth.problem = "the server asks for a kind of credential turnout does not offer";
  return GIT_EAUTH;
}

/// libgit2's message with every secret of `credentials` and of any URL in it replaced by ***.
std::string redact(std::string message, const RemoteUrl& url, const Credentials& credentials) {
  message = redact_url(message);
  for (const std::string* secret : {&credentials.token, &credentials.ssh_passphrase, &url.password}) {
    if (secret->empty()) continue;
    for (auto at = message.find(*secret); at != std::string::npos; at = message.find(*secret, at))
      message.replace(at, secret->size(), "***");
  }
  return message;
}

std::string rejected_hint(const RemoteUrl& url, const Credentials& credentials) {
  if (url.is_ssh())
    return credentials.ssh_key_file.empty()
               ? "the server rejected the keys of the ssh agent (set " + credentials.key_setting +
                     " to a key it accepts)"
               : "the server rejected the SSH key '" + credentials.ssh_key_file +
                     "' (check that it is a deploy key of this repository, and its passphrase)";
  return "the server rejected the token sent as user '" + std::string(kTokenUser) + "'; check the token (" +
         credentials.token_setting + "): it must be valid and allowed to read this repository";
}

bool looks_like_auth_failure(int code, const std::string& message) {
  return code == GIT_EAUTH || message.find("401") != std::string::npos ||
         message.find("authentication") != std::string::npos ||
         message.find("credentials") != std::string::npos;
}

}  // namespace

util::Error RemoteSession::error(const std::string& action, int code) const {
  const RemoteUrl& url = *auth_->url;
  const std::string message = redact(last_error_message(code), url, *auth_->credentials);
  const std::string where = url.display();
  if (!auth_->problem.empty())
    return util::fail("authentication failed for " + where + ": " + auth_->problem, util::ErrorKind::denied);
  if (auth_->offers > 0 && looks_like_auth_failure(code, message))
    return util::fail("authentication failed for " + where + ": " + rejected_hint(url, *auth_->credentials),
                      util::ErrorKind::denied);
  if (looks_like_auth_failure(code, message))
    return util::fail("authentication failed for " + where + ": " + message, util::ErrorKind::denied);
  if (code == GIT_ECERTIFICATE)
    return util::fail("cannot reach " + where + ": its TLS certificate is not trusted (" + message + ")",
                      util::ErrorKind::unavailable);
  if (message.find("404") != std::string::npos)
    return util::fail("cannot reach " + where +
                          ": the server has no repository there (HTTP 404); check the URL, " +
                          "or that the token may read it",
                      util::ErrorKind::not_found);
  const int klass = last_error_class();
  if (klass == GIT_ERROR_NET || klass == GIT_ERROR_SSL || klass == GIT_ERROR_SSH || klass == GIT_ERROR_HTTP ||
      klass == GIT_ERROR_OS)
    return util::fail("cannot reach " + where + ": " + message, util::ErrorKind::unavailable);
  return util::fail("cannot " + action + " " + where + ": " + message);
}

util::Result<RemoteSession> RemoteSession::connect(git_repository* mirror, const RemoteUrl& url,
                                                   const Credentials& credentials) {
  RemoteSession session;
  session.auth_ = std::make_unique<AuthState>(AuthState{&url, &credentials, 0, ""});
  session.callbacks_.credentials = acquire_credential;
  session.callbacks_.payload = session.auth_.get();

  if (url.is_local() && !std::filesystem::exists(url.path))
    return util::fail("cannot reach " + url.display() + ": no such file or folder",
                      util::ErrorKind::not_found);
  git_remote_create_options options = GIT_REMOTE_CREATE_OPTIONS_INIT;
  options.repository = mirror;
  // The URL is used as configured. (The insteadOf lookup would also leak libgit2 1.5's pcre2
  // match data on every call.)
  options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  git_remote* raw = nullptr;
  if (const int code = git_remote_create_with_opts(&raw, url.url.c_str(), &options); code < 0)
    return session.error("use", code);
  session.remote_.reset(raw);
  git_proxy_options proxy = GIT_PROXY_OPTIONS_INIT;
  proxy.type = GIT_PROXY_AUTO;
  if (const int code = git_remote_connect(raw, GIT_DIRECTION_FETCH, &session.callbacks_, &proxy, nullptr);
      code < 0)
    return session.error("connect to", code);

  const git_remote_head** heads = nullptr;
  std::size_t count = 0;
  if (const int code = git_remote_ls(&heads, &count, raw); code < 0)
    return session.error("list the refs of", code);
  for (std::size_t i = 0; i < count; ++i) session.advertised_.emplace_back(heads[i]->name, heads[i]->oid);
  return session;
}

std::optional<git_oid> RemoteSession::find(const std::string& name) const {
  for (const auto& [advertised, oid] : advertised_)
    if (advertised == name) return oid;
  return std::nullopt;
}

util::Result<std::string> RemoteSession::default_branch() {
  Buf branch;
  if (git_remote_default_branch(branch.get(), remote_.get()) < 0 || std::strlen(branch.c_str()) == 0)
    return util::fail("the remote " + auth_->url->display() +
                      " has no default branch (HEAD): is it empty? Push a commit, or ask for a ref");
  return std::string(branch.c_str());
}

util::Status RemoteSession::fetch(const std::vector<std::string>& refspecs) {
  std::vector<const char*> specs;
  for (const auto& refspec : refspecs) specs.push_back(refspec.c_str());
  const git_strarray array{const_cast<char**>(specs.data()), specs.size()};
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks = callbacks_;
  options.proxy_opts.type = GIT_PROXY_AUTO;
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  options.update_fetchhead = 0;
  if (const int code = git_remote_download(remote_.get(), &array, &options); code < 0)
    return error("fetch from", code);
  if (const int code =
          git_remote_update_tips(remote_.get(), &callbacks_, 0, GIT_REMOTE_DOWNLOAD_TAGS_NONE, nullptr);
      code < 0)
    return error("update the mirror of", code);
  return util::Ok{};
}

}  // namespace turnout::git::detail
