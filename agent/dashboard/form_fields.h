#pragma once
// What a browser sends besides the path: an HTML form's fields
// (application/x-www-form-urlencoded) and its cookies.

#include <map>
#include <string>
#include <string_view>

namespace turnout::agent {

/// The fields of a form body `a=1&b=two+words`, decoded; a field that does not decode is left
/// out (a form of ours never sends one), the last of a repeated name wins.
std::map<std::string, std::string> form_fields(std::string_view body);

/// The value of cookie `name` in a `Cookie:` header (`a=1; b=2`); "" when absent.
std::string cookie_value(std::string_view header, std::string_view name);

}  // namespace turnout::agent
