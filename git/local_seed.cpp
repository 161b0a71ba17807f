#include "git/local_seed.h"

#include <git2.h>

#include <filesystem>

#include "git/libgit2_handles.h"

namespace turnout::git::detail {

namespace {

namespace fs = std::filesystem;

bool is_hex(const std::string& text) {
  return text.find_first_not_of("0123456789abcdef") == std::string::npos;
}

/// Hard-links `from` to `to`, or copies it when linking is impossible; true when `to` exists then.
bool link_or_copy(const fs::path& from, const fs::path& to) {
  std::error_code error;
  if (fs::exists(to, error)) return true;
  fs::create_hard_link(from, to, error);
  if (error) fs::copy_file(from, to, error);
  return !error;
}

void seed_packs(const fs::path& from, const fs::path& to) {
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(from, error)) {
    const fs::path pack = entry.path();
    if (pack.extension() != ".pack" || !fs::exists(fs::path(pack).replace_extension(".idx"))) continue;
    // The .idx goes last: libgit2 finds packs by their index, so it never sees half a pair.
    if (link_or_copy(pack, to / pack.filename()))
      link_or_copy(fs::path(pack).replace_extension(".idx"), to / pack.filename().replace_extension(".idx"));
  }
}

void seed_loose_objects(const fs::path& from, const fs::path& to) {
  std::error_code error;
  for (const auto& folder : fs::directory_iterator(from, error)) {
    const std::string prefix = folder.path().filename().string();
    if (prefix.size() != 2 || !is_hex(prefix) || !folder.is_directory()) continue;
    fs::create_directories(to / prefix, error);
    std::error_code inner;
    for (const auto& object : fs::directory_iterator(folder.path(), inner)) {
      const std::string name = object.path().filename().string();
      if (name.size() == GIT_OID_HEXSZ - 2 && is_hex(name)) link_or_copy(object.path(), to / prefix / name);
    }
  }
}

}  // namespace

bool seed_from_local(const std::string& source, const std::string& mirror) {
  git_repository* raw = nullptr;
  if (git_repository_open_ext(&raw, source.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) < 0) return false;
  const RepositoryPtr repo(raw);
  const fs::path from = fs::path(git_repository_commondir(repo.get())) / "objects";
  const fs::path to = fs::path(mirror) / "objects";
  std::error_code error;
  if (fs::exists(from / "info" / "alternates", error) || !fs::is_directory(from, error)) return false;
  fs::create_directories(to / "pack", error);
  seed_packs(from / "pack", to / "pack");
  seed_loose_objects(from, to);
  return true;
}

}  // namespace turnout::git::detail
