#include "git/clean_check.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "git/libgit2_handles.h"

namespace turnout::git::detail {

namespace {

constexpr const char* kMarker = "turnout-clean";

/// The stat data the index holds for one tracked path.
struct Entry {
  uint32_t ctime_s, ctime_ns, mtime_s, mtime_ns, ino, mode, size;
  const char* id;  ///< 20 raw bytes, in the index file's content
};

/// What the index says the work tree must hold. The views point into `content`.
struct Expected {
  std::string content;          ///< the index file
  bool has_attributes = false;  ///< a .gitattributes file is tracked
  std::unordered_map<std::string_view, Entry> files;
  std::unordered_set<std::string_view> folders;
  timespec index_mtime{};
};

/// Closes a directory stream (and its descriptor).
struct DirCloser {
  void operator()(DIR* folder) const { ::closedir(folder); }
};
using DirPtr = std::unique_ptr<DIR, DirCloser>;

std::string index_path(git_repository* repo) { return std::string(git_repository_path(repo)) + "index"; }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

/// The folders libgit2 searches for config at `level` (one or more, ':'-separated).
std::vector<std::filesystem::path> search_path(git_config_level_t level) {
  Buf paths;
  std::vector<std::filesystem::path> folders;
  if (git_libgit2_opts(GIT_OPT_GET_SEARCH_PATH, level, paths.get()) < 0) return folders;
  std::string_view rest = paths.c_str();
  while (!rest.empty()) {
    const auto colon = rest.find(GIT_PATH_LIST_SEPARATOR);
    if (colon != 0) folders.emplace_back(rest.substr(0, colon));
    rest.remove_prefix(colon == std::string_view::npos ? rest.size() : colon + 1);
  }
  return folders;
}

/// `sha` and the index file's inode, size and mtime: any rewrite of the index changes it.
std::string stamp(git_repository* repo, const std::string& sha) {
  struct stat index {};
  if (::stat(index_path(repo).c_str(), &index) != 0) return "";
  std::ostringstream text;
  text << sha << ' ' << index.st_ino << ' ' << index.st_size << ' ' << index.st_mtim.tv_sec << '.'
       << index.st_mtim.tv_nsec << '\n';
  return text.str();
}

uint32_t be32(const char* at) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(at);
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) | bytes[3];
}

/// Reads the entries of an index file (versions 2 and 3, as libgit2 writes them) straight from
/// the file: libgit2's own loader also hashes and sorts it, which costs more than the whole
/// walk. False for anything unexpected (version 4, a conflict, a truncated file).
bool parse_index(Expected& expected) {
  const std::string& data = expected.content;
  if (data.size() < 12 || data.compare(0, 4, "DIRC") != 0) return false;
  const uint32_t version = be32(&data[4]);
  if (version != 2 && version != 3) return false;
  const uint32_t count = be32(&data[8]);
  expected.files.reserve(count);
  std::size_t at = 12;
  for (uint32_t i = 0; i < count; ++i) {
    if (at + 62 > data.size()) return false;
    const char* raw = &data[at];
    const uint16_t flags = static_cast<uint16_t>((static_cast<unsigned char>(raw[60]) << 8) |
                                                 static_cast<unsigned char>(raw[61]));
    if ((flags & 0x3000) != 0) return false;  // a conflict stage: not a clean checkout
    const std::size_t header = (flags & 0x4000) != 0 ? 64 : 62;
    const std::size_t end = data.find('\0', at + header);
    if (end == std::string::npos) return false;
    const std::string_view path(&data[at + header], end - at - header);
    expected.has_attributes =
        expected.has_attributes || path == ".gitattributes" || path.ends_with("/.gitattributes");
    expected.files.emplace(path, Entry{be32(raw), be32(raw + 4), be32(raw + 8), be32(raw + 12),
                                       be32(raw + 20), be32(raw + 24), be32(raw + 36), raw + 40});
    for (auto slash = path.rfind('/'); slash != std::string_view::npos && slash > 0;
         slash = path.rfind('/', slash - 1))
      if (!expected.folders.insert(path.substr(0, slash)).second) break;
    at += (end - at + 8) & ~std::size_t{7};  // entries are NUL-padded to a multiple of 8 bytes
  }
  return true;
}

bool same_time(uint32_t seconds, uint32_t nanoseconds, const timespec& actual) {
  return seconds == static_cast<uint32_t>(actual.tv_sec) &&
         nanoseconds == static_cast<uint32_t>(actual.tv_nsec);
}

/// How a tracked file compares with its index entry.
enum class Match { same, racy, differs };

Match compare(const Entry& entry, const struct stat& file, const timespec& index_mtime) {
  if (entry.mode == GIT_FILEMODE_COMMIT) return S_ISDIR(file.st_mode) ? Match::same : Match::differs;
  const bool link = entry.mode == GIT_FILEMODE_LINK;
  const bool type_ok = link ? S_ISLNK(file.st_mode) : S_ISREG(file.st_mode);
  const bool executable_ok =
      link || (entry.mode == GIT_FILEMODE_BLOB_EXECUTABLE) == ((file.st_mode & S_IXUSR) != 0);
  if (!type_ok || !executable_ok || entry.size != static_cast<uint32_t>(file.st_size) ||
      entry.ino != static_cast<uint32_t>(file.st_ino) ||
      !same_time(entry.mtime_s, entry.mtime_ns, file.st_mtim) ||
      !same_time(entry.ctime_s, entry.ctime_ns, file.st_ctim))
    return Match::differs;
  // Written in the same clock tick as the index: its stat data proves nothing, its content will.
  const auto index_s = static_cast<uint32_t>(index_mtime.tv_sec);
  const bool racy = entry.mtime_s > index_s || (entry.mtime_s == index_s &&
                                                entry.mtime_ns >= static_cast<uint32_t>(index_mtime.tv_nsec));
  return racy ? Match::racy : Match::same;
}

/// What the walk found.
struct Seen {
  std::size_t files = 0;
  std::size_t folders = 0;
  bool extra = false;  ///< an untracked or ignored file or folder
  std::vector<std::string> suspects;
  std::optional<bool> raw_hash;  ///< no filter applies: hash the bytes as they are (much faster)
};

/// True when the file at `path` (relative) hashes to the id its index entry records: through
/// the repository's filters, or as it is when no filter can apply.
bool same_content(git_repository* repo, const std::string& path, const Entry& entry, const Expected& expected,
                  Seen& seen) {
  if (entry.mode == GIT_FILEMODE_LINK || entry.mode == GIT_FILEMODE_COMMIT) return false;
  if (!seen.raw_hash) seen.raw_hash = !expected.has_attributes && filters_only_from_tree(repo);
  git_oid actual;
  git_oid recorded;
  const std::string full = std::string(git_repository_workdir(repo)) + path;
  const int hashed =
      *seen.raw_hash ? git_odb_hashfile(&actual, full.c_str(), GIT_OBJECT_BLOB)
                     : git_repository_hashfile(&actual, repo, full.c_str(), GIT_OBJECT_BLOB, path.c_str());
  return hashed == 0 && git_oid_fromraw(&recorded, reinterpret_cast<const unsigned char*>(entry.id)) == 0 &&
         git_oid_equal(&actual, &recorded) != 0;
}

/// Walks the work tree of `repo` below the folder open as `folder_fd`, named `path` ("" for
/// the root; extended, then restored).
bool walk(git_repository* repo, int folder_fd, std::string& path, const Expected& expected, Seen& seen) {
  const DirPtr folder(::fdopendir(folder_fd));
  if (!folder) {
    ::close(folder_fd);
    return false;
  }
  const std::size_t base = path.size();
  while (const dirent* child = ::readdir(folder.get())) {
    const char* name = child->d_name;
    if (std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0) continue;
    if (base == 0 && std::strcmp(name, ".git") == 0) continue;
    path.resize(base);
    if (base != 0) path.push_back('/');
    path.append(name);
    struct stat file {};
    if (::fstatat(::dirfd(folder.get()), name, &file, AT_SYMLINK_NOFOLLOW) != 0) return false;
    if (const auto tracked = expected.files.find(path); tracked != expected.files.end()) {
      ++seen.files;
      const Match match = compare(tracked->second, file, expected.index_mtime);
      if (match == Match::differs ||
          (match == Match::racy && !same_content(repo, path, tracked->second, expected, seen)))
        seen.suspects.push_back(path);
    } else if (S_ISDIR(file.st_mode) && expected.folders.count(path) != 0) {
      ++seen.folders;
      const int inner =
          ::openat(::dirfd(folder.get()), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (inner < 0 || !walk(repo, inner, path, expected, seen)) return false;
    } else {
      seen.extra = true;  // the checkout removes it
    }
  }
  path.resize(base);
  return true;
}

bool head_is(git_repository* repo, const std::string& sha) {
  git_oid head;
  return git_repository_head_detached(repo) == 1 && git_reference_name_to_id(&head, repo, "HEAD") == 0 &&
         sha == git_oid_tostr_s(&head);
}

}  // namespace

bool filters_only_from_tree(git_repository* repo) {
  std::error_code error;
  if (std::filesystem::exists(std::filesystem::path(git_repository_path(repo)) / "info" / "attributes",
                              error))
    return false;
  for (const auto& folder : search_path(GIT_CONFIG_LEVEL_XDG))
    if (std::filesystem::exists(folder / "attributes", error)) return false;
  for (const auto& folder : search_path(GIT_CONFIG_LEVEL_SYSTEM))
    if (std::filesystem::exists(folder / "gitattributes", error)) return false;
  git_config* config = nullptr;
  if (git_repository_config_snapshot(&config, repo) < 0) return false;
  const char* value = nullptr;
  const bool attributes_file = git_config_get_string(&value, config, "core.attributesfile") == 0;
  const bool autocrlf = git_config_get_string(&value, config, "core.autocrlf") == 0 &&
                        std::string_view(value) != "false" && std::string_view(value) != "input";
  git_config_free(config);
  return !attributes_file && !autocrlf;
}

void remember_clean(git_repository* repo, const std::string& sha) {
  std::ofstream(std::string(git_repository_path(repo)) + kMarker, std::ios::trunc) << stamp(repo, sha);
}

WorkTreeState inspect(git_repository* repo, const std::string& sha) {
  WorkTreeState state;
  Expected expected;
  struct stat index_file {};
  if (::stat(index_path(repo).c_str(), &index_file) != 0) return state;
  expected.index_mtime = index_file.st_mtim;
  expected.content = read_text(index_path(repo));
  if (!parse_index(expected)) return state;
  const int root = ::open(git_repository_workdir(repo), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  std::string path;
  Seen seen;
  const bool walked = root >= 0 && walk(repo, root, path, expected, seen);
  state.suspects = std::move(seen.suspects);
  const bool pristine = walked && !seen.extra && state.suspects.empty() &&
                        seen.files == expected.files.size() && seen.folders == expected.folders.size();
  const std::string marker = read_text(std::string(git_repository_path(repo)) + kMarker);
  const std::string recorded_sha = marker.substr(0, marker.find(' '));
  if (pristine && !recorded_sha.empty() && marker == stamp(repo, recorded_sha) && head_is(repo, recorded_sha))
    state.head = recorded_sha;
  state.clean = !state.head.empty() && state.head == sha;
  return state;
}

}  // namespace turnout::git::detail
