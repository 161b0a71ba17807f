#pragma once
// An exclusive flock(2) on a lock file, released when the holder goes away (or its process dies).

#include <string>

#include "util/result.h"

namespace turnout::util {

/// Holds an exclusive flock(2) on one file for its lifetime. The descriptor is close-on-exec,
/// so child processes never inherit the lock. The lock file itself is left in place (removing
/// a lock file that others may have open would let two holders in at once).
class FileLock {
 public:
  /// Holds nothing.
  FileLock() = default;
  ~FileLock();
  /// Takes over `other`'s lock; `other` holds nothing afterwards.
  FileLock(FileLock&& other) noexcept;
  /// Releases ours, then takes over `other`'s lock.
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  /// Creates `path` if needed (with permissions `mode`) and waits until the lock is ours. Fails,
  /// naming the file and the errno text, when it cannot be opened or locked.
  static Result<FileLock> acquire(const std::string& path, int mode = 0644);
  /// Like acquire() but never waits: holds nothing (held() is false) when another holder has it.
  static Result<FileLock> try_acquire(const std::string& path, int mode = 0644);

  /// True while this holds a lock.
  bool held() const { return fd_ >= 0; }
  /// The lock file's path ("" when nothing is held).
  const std::string& path() const { return path_; }

 private:
  static Result<FileLock> lock(const std::string& path, int mode, bool wait);

  int fd_ = -1;
  std::string path_;
};

}  // namespace turnout::util
