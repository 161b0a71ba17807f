#include "git/workspace.h"

#include <git2.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include "git/clean_check.h"
#include "git/libgit2_error.h"
#include "git/libgit2_handles.h"

namespace turnout::git::detail {

namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

util::Status write_alternates(const fs::path& git_dir, const std::string& objects) {
  const fs::path file = git_dir / "objects" / "info" / "alternates";
  const std::string wanted = objects + "\n";
  if (read_text(file) == wanted) return util::Ok{};
  std::error_code error;
  fs::create_directories(file.parent_path(), error);
  const fs::path temp = file.string() + ".tmp";
  std::ofstream(temp, std::ios::binary | std::ios::trunc) << wanted;
  fs::rename(temp, file, error);
  if (error) return util::fail("cannot write " + file.string() + ": " + error.message());
  return util::Ok{};
}

util::Status create_repository(const fs::path& path) {
  std::error_code error;
  fs::remove_all(path, error);
  if (error) return util::fail("cannot clear the workspace " + path.string() + ": " + error.message());
  git_repository* raw = nullptr;
  if (const int code = git_repository_init(&raw, path.c_str(), 0); code < 0)
    return util::fail("cannot create the workspace " + path.string() + ": " + last_error_message(code));
  const RepositoryPtr repo(raw);
  // One HEAD move per run would otherwise grow .git/logs/HEAD forever.
  git_config* config = nullptr;
  if (git_repository_config(&config, repo.get()) == 0) {
    git_config_set_bool(config, "core.logAllRefUpdates", 0);
    git_config_free(config);
  }
  return util::Ok{};
}

/// An open workspace repository.
struct Workspace {
  RepositoryPtr repo;
  bool created = false;  ///< made just now: its work tree is empty
};

util::Result<Workspace> open_workspace(const fs::path& path, const std::string& objects, bool fresh) {
  Workspace workspace;
  if (fresh || !fs::is_regular_file(path / ".git" / "HEAD")) {
    if (auto created = create_repository(path); !created) return created.error();
    workspace.created = true;
  }
  // The alternates are read when the repository is opened, so they are written first.
  if (auto written = write_alternates(path / ".git", objects); !written) return written.error();
  // A git process killed in the last run can leave this behind; we hold the lease, so it is stale.
  std::error_code ignored;
  fs::remove(path / ".git" / "index.lock", ignored);
  git_repository* raw = nullptr;
  if (const int code = git_repository_open_ext(&raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
      code < 0)
    return util::fail("cannot open the workspace " + path.string() + ": " + last_error_message(code));
  workspace.repo.reset(raw);
  return workspace;
}

/// A corrupt index is caught here rather than halfway through a checkout.
util::Status check_index(git_repository* repo, const std::string& path) {
  git_index* index = nullptr;
  if (const int code = git_repository_index(&index, repo); code < 0)
    return util::fail("cannot read the index of the workspace " + path + ": " + last_error_message(code));
  git_index_free(index);
  return util::Ok{};
}

int stop_at_attributes(const char* /*root*/, const git_tree_entry* entry, void* /*payload*/) {
  return std::string_view(git_tree_entry_name(entry)) == ".gitattributes" ? -1 : 0;
}

/// True when no checkout filter can change a file of `tree`: no .gitattributes in it, nothing
/// outside it either. Skipping the filters then changes nothing, and saves an attribute lookup
/// (a realpath of every file) per file written.
bool filters_are_noops(git_repository* repo, git_tree* tree) {
  return git_tree_walk(tree, GIT_TREEWALK_PRE, stop_at_attributes, nullptr) == 0 &&
         filters_only_from_tree(repo);
}

bool head_is(git_repository* repo, const git_oid& oid) {
  git_oid head;
  return git_reference_name_to_id(&head, repo, "HEAD") == 0 && git_oid_equal(&head, &oid) != 0;
}

util::Result<TreePtr> tree_of(git_repository* repo, const std::string& sha, const std::string& path) {
  git_oid oid;
  git_commit* raw = nullptr;
  git_tree* tree = nullptr;
  if (git_oid_fromstr(&oid, sha.c_str()) < 0 || git_commit_lookup(&raw, repo, &oid) < 0)
    return util::fail("commit " + sha + " cannot be read in the workspace " + path + ": " +
                      last_error_message(-1));
  const CommitPtr commit(raw);
  if (git_commit_tree(&tree, commit.get()) < 0)
    return util::fail("the tree of " + sha + " cannot be read in " + path + ": " + last_error_message(-1));
  return TreePtr(tree);
}

/// The paths that differ between the tree of commit `from` and `to`; nullopt when unknown.
std::optional<std::vector<std::string>> changed_paths(git_repository* repo, const std::string& from,
                                                      git_tree* to) {
  auto before = tree_of(repo, from, "");
  git_diff* raw = nullptr;
  if (!before || git_diff_tree_to_tree(&raw, repo, before.value().get(), to, nullptr) < 0)
    return std::nullopt;
  const DiffPtr diff(raw);
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < git_diff_num_deltas(diff.get()); ++i) {
    const git_diff_delta* delta = git_diff_get_delta(diff.get(), i);
    paths.emplace_back(delta->old_file.path);
    if (std::strcmp(delta->old_file.path, delta->new_file.path) != 0)
      paths.emplace_back(delta->new_file.path);
  }
  return paths;
}

/// What a checkout into an existing work tree has to do.
struct Plan {
  bool done = false;                                 ///< the work tree is the commit already
  std::string head;                                  ///< the commit the work tree provably holds, or ""
  std::optional<std::vector<std::string>> limit_to;  ///< only these paths differ (a clean tree)
};

/// Looks at the work tree: nothing to do when it is `sha` already; otherwise deletes the tracked
/// files whose stat data cannot be trusted (libgit2 would keep them) and notes the commit the
/// tree still holds, if it provably holds one.
Plan inspect_work_tree(const Workspace& workspace, const std::string& sha, const std::string& path) {
  Plan plan;
  if (workspace.created) return plan;
  const WorkTreeState state = inspect(workspace.repo.get(), sha);
  plan.done = state.clean;
  plan.head = state.head;
  std::error_code ignored;
  for (const auto& suspect : state.suspects) fs::remove_all(fs::path(path) / suspect, ignored);
  return plan;
}

util::Status write_tree(const Workspace& workspace, git_tree* tree, const Plan& plan,
                        const std::string& path) {
  if (plan.limit_to && plan.limit_to->empty()) return util::Ok{};  // same tree, another commit
  git_checkout_options options = GIT_CHECKOUT_OPTIONS_INIT;
  options.checkout_strategy = GIT_CHECKOUT_FORCE;
  std::vector<char*> paths;
  if (plan.limit_to) {
    // The tree is provably clean: libgit2 need only look at what changes, not at every file.
    for (const auto& changed : *plan.limit_to) paths.push_back(const_cast<char*>(changed.c_str()));
    options.paths = {paths.data(), paths.size()};
    options.checkout_strategy |= GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
  } else if (!workspace.created) {
    // In a new, empty work tree there is nothing to remove, and looking costs a third more time.
    options.checkout_strategy |= GIT_CHECKOUT_REMOVE_UNTRACKED | GIT_CHECKOUT_REMOVE_IGNORED;
  }
  // A new work tree gets every file written: that is where skipping no-op filters pays.
  options.disable_filters = workspace.created && filters_are_noops(workspace.repo.get(), tree) ? 1 : 0;
  if (const int code = git_checkout_tree(workspace.repo.get(), reinterpret_cast<git_object*>(tree), &options);
      code < 0)
    return util::fail("cannot write the work tree " + path + ": " + last_error_message(code));
  return util::Ok{};
}

util::Status checkout_commit(const Workspace& workspace, const std::string& sha, const std::string& path) {
  git_repository* repo = workspace.repo.get();
  Plan plan = inspect_work_tree(workspace, sha, path);
  if (plan.done) return util::Ok{};
  auto tree = tree_of(repo, sha, path);
  if (!tree) return tree.error();
  if (!plan.head.empty()) plan.limit_to = changed_paths(repo, plan.head, tree.value().get());
  if (auto index = check_index(repo, path); !index) return index;
  if (auto written = write_tree(workspace, tree.value().get(), plan, path); !written) return written;
  git_oid oid;
  git_oid_fromstr(&oid, sha.c_str());
  if (git_repository_head_detached(repo) != 1 || !head_is(repo, oid)) {
    if (const int code = git_repository_set_head_detached(repo, &oid); code < 0)
      return util::fail("cannot set HEAD to " + sha + " in " + path + ": " + last_error_message(code));
  }
  remember_clean(repo, sha);
  return util::Ok{};
}

}  // namespace

util::Status check_out(const std::string& path, const std::string& mirror, const std::string& sha) {
  const std::string objects = (fs::path(mirror) / "objects").string();
  util::Status result = util::Ok{};
  // A workspace that a step damaged (a broken .git, a corrupt index) is made anew once.
  for (const bool fresh : {false, true}) {
    auto workspace = open_workspace(path, objects, fresh);
    result = workspace ? checkout_commit(workspace.value(), sha, path) : util::Status(workspace.error());
    if (result) return result;
  }
  return result;
}

}  // namespace turnout::git::detail
