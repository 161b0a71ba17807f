#include "git/mirror_sync.h"

#include <git2.h>
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "git/libgit2_error.h"
#include "git/libgit2_handles.h"
#include "git/local_seed.h"
#include "git/remote_session.h"
#include "git/remote_url.h"
#include "git/workspace.h"

namespace turnout::git {

namespace {

namespace fs = std::filesystem;
using detail::RemoteSession;
using detail::RepositoryPtr;

/// How many runs of one repository can hold a workspace at the same time.
constexpr int kMaxWorkspaces = 16;

/// The commit to check out and the ref it came from.
struct Target {
  std::string sha;  ///< full hex id
  std::string ref;  ///< full name, "" for a bare sha
};

/// A workspace folder and the lock that makes it ours.
struct Lease {
  std::string path;
  util::FileLock lock;
};

bool wants_ref(const SyncRequest& request) { return !request.ref.empty() && request.ref != "HEAD"; }

std::vector<std::string> ref_candidates(const std::string& ref) {
  if (ref.starts_with("refs/")) return {ref};
  return {"refs/heads/" + ref, "refs/tags/" + ref};
}

util::Status check_names(const SyncRequest& request) {
  const std::string& sha = request.sha;
  const bool hex = std::all_of(sha.begin(), sha.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (!sha.empty() && (sha.size() < 4 || sha.size() > GIT_OID_HEXSZ || !hex))
    return util::fail("'" + sha + "' is not a commit id: give 4 to 40 hex digits", util::ErrorKind::invalid);
  if (!wants_ref(request)) return util::Ok{};
  int valid = 0;
  const std::string full = ref_candidates(request.ref).front();
  if (git_reference_name_is_valid(&valid, full.c_str()) < 0 || valid == 0 ||
      full.find('*') != std::string::npos)
    return util::fail("invalid ref name '" + request.ref + "': give a branch, a tag or a full refs/... name",
                      util::ErrorKind::invalid);
  return util::Ok{};
}

/// What can be found wrong without touching the network.
util::Status check_request(const RemoteUrl& url, const SyncRequest& request) {
  if (auto names = check_names(request); !names) return names;
  if (!url.is_ssh()) return util::Ok{};
  const std::string& key = request.credentials.ssh_key_file;
  if (!key.empty() && !std::ifstream(key))
    return util::fail("cannot read the SSH key file '" + key + "' for " + url.display() +
                      ": check that it exists and is readable");
  if (key.empty() && std::getenv("SSH_AUTH_SOCK") == nullptr)
    return util::fail("no SSH key for " + url.display() + ": set ssh_key_file (or run an ssh agent)");
  return util::Ok{};
}

util::Status create_mirror(const fs::path& mirrors, const std::string& name, const RemoteUrl& url) {
  // Made beside its final place and renamed in, so a crash never leaves a half-made mirror.
  std::string temp = (mirrors / ("." + name + ".tmp-XXXXXX")).string();
  if (::mkdtemp(temp.data()) == nullptr) return util::fail("cannot create a folder in " + mirrors.string());
  git_repository* raw = nullptr;
  if (const int code = git_repository_init(&raw, temp.c_str(), 1); code < 0) {
    fs::remove_all(temp);
    return util::fail("cannot create the mirror of " + url.display() + ": " +
                      detail::last_error_message(code));
  }
  git_repository_free(raw);
  std::ofstream(fs::path(temp) / "description") << "turnout mirror of " << url.display() << "\n";
  std::error_code error;
  fs::rename(temp, mirrors / (name + ".git"), error);
  if (error) {
    fs::remove_all(temp, error);
    return util::fail("cannot create the mirror of " + url.display() + " in " + mirrors.string());
  }
  return util::Ok{};
}

util::Result<RepositoryPtr> open_mirror(const fs::path& mirrors, const std::string& name,
                                        const RemoteUrl& url) {
  const fs::path path = mirrors / (name + ".git");
  for (int attempt = 0; attempt < 2; ++attempt) {
    git_repository* raw = nullptr;
    if (fs::exists(path) && git_repository_open_bare(&raw, path.c_str()) == 0) return RepositoryPtr(raw);
    // The mirror is a cache: one that cannot be opened is fetched anew.
    std::error_code ignored;
    fs::remove_all(path, ignored);
    if (auto created = create_mirror(mirrors, name, url); !created) return created.error();
  }
  return util::fail("cannot open the mirror " + path.string() + ": " + detail::last_error_message(-1));
}

/// The full id of the commit `sha` (or a prefix) names in `mirror`; "" when it is not there.
util::Result<std::string> find_commit(git_repository* mirror, const std::string& sha, const RemoteUrl& url) {
  git_oid oid;
  git_object* raw = nullptr;
  if (git_oid_fromstrn(&oid, sha.c_str(), sha.size()) < 0)
    return util::fail("'" + sha + "' is not a commit id", util::ErrorKind::invalid);
  const int code = git_object_lookup_prefix(&raw, mirror, &oid, sha.size(), GIT_OBJECT_ANY);
  if (code == GIT_EAMBIGUOUS)
    return util::fail("commit id '" + sha + "' is ambiguous in " + url.display() + ": give more digits",
                      util::ErrorKind::invalid);
  if (code < 0) return std::string();
  const detail::ObjectPtr object(raw);
  git_object* peeled = nullptr;
  if (git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT) < 0)
    return util::fail("'" + sha + "' in " + url.display() + " is not a commit", util::ErrorKind::invalid);
  const detail::ObjectPtr commit(peeled);
  return std::string(git_oid_tostr_s(git_object_id(commit.get())));
}

std::optional<git_oid> local_target(git_repository* mirror, const std::string& ref) {
  git_oid oid;
  if (git_reference_name_to_id(&oid, mirror, ref.c_str()) < 0) return std::nullopt;
  return oid;
}

/// The full name under which `mirror` already has `ref`; "" when it has none.
std::string find_local_ref(git_repository* mirror, const std::string& ref) {
  for (const auto& candidate : ref_candidates(ref))
    if (local_target(mirror, candidate)) return candidate;
  return "";
}

/// Drops refs of `mirror` that the remote no longer has, so the mirror never vouches for them.
void forget_ref(git_repository* mirror, const std::string& ref) {
  for (const auto& candidate : ref_candidates(ref)) {
    git_reference* raw = nullptr;
    if (git_reference_lookup(&raw, mirror, candidate.c_str()) < 0) continue;
    const detail::ReferencePtr reference(raw);
    git_reference_delete(reference.get());
  }
}

/// Resolves `wanted` on the remote, fetches it unless the mirror already has its tip; returns
/// its full name.
util::Result<std::string> fetch_ref(git_repository* mirror, RemoteSession& session, const RemoteUrl& url,
                                    const SyncRequest& request) {
  std::string full;
  if (!wants_ref(request)) {
    auto head = session.default_branch();
    if (!head) return head.error();
    full = head.value();
  }
  for (const auto& candidate : wants_ref(request) ? ref_candidates(request.ref) : std::vector<std::string>{})
    if (full.empty() && session.find(candidate)) full = candidate;
  const auto remote_tip = session.find(full);
  if (!remote_tip) {
    if (wants_ref(request)) forget_ref(mirror, request.ref);
    return util::fail("ref '" + (full.empty() ? request.ref : full) + "' not found on " + url.display(),
                      util::ErrorKind::not_found);
  }
  const auto local_tip = local_target(mirror, full);
  if (!local_tip || git_oid_cmp(&*local_tip, &*remote_tip) != 0) {
    if (auto fetched = session.fetch({"+" + full + ":" + full}); !fetched) return fetched.error();
  }
  return full;
}

util::Result<Target> peel_ref(git_repository* mirror, const std::string& ref, const RemoteUrl& url) {
  const auto tip = local_target(mirror, ref);
  auto sha =
      tip ? find_commit(mirror, git_oid_tostr_s(&*tip), url) : util::Result<std::string>(std::string());
  if (!sha) return sha.error();
  if (sha.value().empty())
    return util::fail("ref '" + ref + "' of " + url.display() + " was not fetched",
                      util::ErrorKind::not_found);
  return Target{sha.value(), ref};
}

/// Finds `sha` in the mirror, fetching every branch and tag first when it is not there yet.
util::Result<Target> fetch_commit(git_repository* mirror, RemoteSession& session, const RemoteUrl& url,
                                  const std::string& sha, const std::string& ref) {
  auto found = find_commit(mirror, sha, url);
  if (found && found.value().empty()) {
    if (auto fetched = session.fetch({"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}); !fetched)
      return fetched.error();
    found = find_commit(mirror, sha, url);
  }
  if (!found) return found.error();
  if (found.value().empty())
    return util::fail("commit " + sha + " not found in " + url.display() + " after fetch",
                      util::ErrorKind::not_found);
  return Target{found.value(), ref};
}

bool has_refs(git_repository* mirror) {
  git_reference_iterator* iterator = nullptr;
  if (git_reference_iterator_new(&iterator, mirror) < 0) return true;
  const char* name = nullptr;
  const bool any = git_reference_next_name(&name, iterator) == 0;
  git_reference_iterator_free(iterator);
  return any;
}

/// A new mirror of a local repository starts from its pack files (see local_seed.h).
void seed_new_local_mirror(git_repository* mirror, const RemoteUrl& url) {
  if (!url.is_local() || has_refs(mirror)) return;
  if (!detail::seed_from_local(url.path, git_repository_path(mirror))) return;
  git_odb* odb = nullptr;
  if (git_repository_odb(&odb, mirror) == 0) {
    git_odb_refresh(odb);
    git_odb_free(odb);
  }
}

/// Brings `mirror` up to date as far as `request` needs and names the commit to check out.
util::Result<Target> update_mirror(git_repository* mirror, const RemoteUrl& url, const SyncRequest& request) {
  seed_new_local_mirror(mirror, url);
  if (!request.sha.empty()) {
    auto have = find_commit(mirror, request.sha, url);
    if (!have) return have.error();
    const std::string ref = wants_ref(request) ? find_local_ref(mirror, request.ref) : "";
    if (!have.value().empty() && (!wants_ref(request) || !ref.empty())) return Target{have.value(), ref};
  }
  auto session = RemoteSession::connect(mirror, url, request.credentials);
  if (!session) return session.error();
  std::string ref;
  if (request.sha.empty() || wants_ref(request)) {
    auto fetched = fetch_ref(mirror, session.value(), url, request);
    if (!fetched) return fetched.error();
    ref = fetched.value();
    if (request.sha.empty()) return peel_ref(mirror, ref, url);
  }
  return fetch_commit(mirror, session.value(), url, request.sha, ref);
}

util::Result<Lease> lease_workspace(const fs::path& workspaces, const std::string& name) {
  for (int slot = 1; slot <= kMaxWorkspaces; ++slot) {
    const std::string folder = slot == 1 ? name : name + "." + std::to_string(slot);
    auto lock = util::FileLock::try_acquire((workspaces / (folder + ".lock")).string());
    if (!lock) return lock.error();
    if (lock.value().held()) return Lease{(workspaces / folder).string(), std::move(lock).value()};
  }
  return util::fail("all " + std::to_string(kMaxWorkspaces) + " workspaces of " + name + " in " +
                    workspaces.string() + " are in use: wait for a run of this repository to finish");
}

util::Status make_folders(const std::vector<fs::path>& folders) {
  for (const auto& folder : folders) {
    std::error_code error;
    fs::create_directories(folder, error);
    if (error) return util::fail("cannot create " + folder.string() + ": " + error.message());
  }
  return util::Ok{};
}

}  // namespace

Mirrors::Mirrors(std::string data_dir) : data_dir_(fs::absolute(data_dir).lexically_normal().string()) {}

util::Result<Checkout> Mirrors::sync(const SyncRequest& request) const {
  auto url = parse_remote_url(request.url);
  if (!url) return url.error();
  if (auto checked = check_request(url.value(), request); !checked) return checked.error();
  const std::string name = mirror_name(url.value());
  const fs::path mirrors = fs::path(data_dir_) / "mirrors";
  const fs::path workspaces = fs::path(data_dir_) / "workspaces";
  if (auto made = make_folders({mirrors, workspaces}); !made) return made.error();

  auto lock = util::FileLock::acquire((mirrors / (name + ".lock")).string());
  if (!lock) return lock.error();
  auto mirror = open_mirror(mirrors, name, url.value());
  if (!mirror) return mirror.error();
  auto target = update_mirror(mirror.value().get(), url.value(), request);
  if (!target) return target.error();
  auto lease = lease_workspace(workspaces, name);
  if (!lease) return lease.error();

  Checkout checkout;
  checkout.mirror = (mirrors / (name + ".git")).string();
  checkout.workspace = lease.value().path;
  if (auto done = detail::check_out(checkout.workspace, checkout.mirror, target.value().sha); !done)
    return done.error();
  checkout.sha = target.value().sha;
  checkout.ref = target.value().ref;
  if (checkout.ref.starts_with("refs/heads/")) checkout.branch = checkout.ref.substr(11);
  checkout.lease = std::move(lease.value().lock);
  return checkout;
}

}  // namespace turnout::git
