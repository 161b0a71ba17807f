#pragma once
// A failure you expect (a bad file, a child process, the network) is a value, not an exception.

#include <string>
#include <utility>
#include <variant>

namespace turnout::util {

/// What sort of failure an Error is, so a caller can react without parsing its text.
enum class ErrorKind {
  failed,       ///< something went wrong while doing the work
  invalid,      ///< the request itself is malformed (a bad URL, a bad id)
  not_found,    ///< what the request names does not exist (a ref, a commit, a folder, a run)
  unavailable,  ///< a peer could not be reached; the same request may work later
  denied,       ///< a peer refused the credentials
};

/// An error a person can act on: what failed, on what, and what to do.
struct Error {
  std::string message;                 ///< one line, no trailing newline
  ErrorKind kind = ErrorKind::failed;  ///< see ErrorKind
};

/// Either a T or an Error. Test with `ok()` (or `if (result)`), then read `value()` or `error()`.
/// [[nodiscard]]: a failure dropped unread is a failure nobody hears of; a caller that means to
/// ignore one says so with `(void)` and a comment saying why.
template <typename T>
class [[nodiscard]] Result {
 public:
  /// Holds a value.
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit on purpose, like expected<T>
  /// Holds an error.
  Result(Error error) : data_(std::move(error)) {}  // NOLINT

  /// True when this holds a value.
  bool ok() const { return data_.index() == 0; }
  /// Same as ok().
  explicit operator bool() const { return ok(); }
  /// The value; only valid when ok().
  T& value() & { return std::get<0>(data_); }
  /// The value; only valid when ok().
  const T& value() const& { return std::get<0>(data_); }
  /// The value, moved out; only valid when ok().
  T&& value() && { return std::get<0>(std::move(data_)); }
  /// The error; only valid when !ok().
  const Error& error() const { return std::get<1>(data_); }

 private:
  std::variant<T, Error> data_;
};

/// The value-less result of an action that can fail.
struct Ok {};
/// Result of an action that returns nothing on success.
using Status = Result<Ok>;

/// Shorthand for building an error result: `return fail("...")`, `fail("...", ErrorKind::invalid)`.
inline Error fail(std::string message, ErrorKind kind = ErrorKind::failed) {
  return Error{std::move(message), kind};
}

}  // namespace turnout::util
