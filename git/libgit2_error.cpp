#include "git/libgit2_error.h"

#include <git2.h>

namespace turnout::git::detail {

std::string last_error_message(int code) {
  const git_error* error = git_error_last();
  if (error == nullptr || error->message == nullptr || *error->message == '\0')
    return "libgit2 error " + std::to_string(code);
  std::string message = error->message;
  while (!message.empty() && (message.back() == '\n' || message.back() == '.')) message.pop_back();
  return message;
}

int last_error_class() {
  const git_error* error = git_error_last();
  return error == nullptr ? 0 : error->klass;
}

}  // namespace turnout::git::detail
