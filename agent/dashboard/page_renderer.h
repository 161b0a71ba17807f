#pragma once
// Turns a page's data into HTML through the templates compiled into the binary (assets.h), with
// kainjow's mustache: every `{{value}}` is HTML-escaped by the engine, never by hand at a call
// site, so a commit message or a branch holding markup shows as text.

#include <kainjow/mustache.hpp>

#include <string>

namespace turnout::agent {

/// A page's values, as the templates read them (objects, lists, strings, booleans).
using PageData = kainjow::mustache::data;
/// A list of PageData, for a template's `{{#items}}`.
using PageList = kainjow::mustache::list;

/// What every page shows around its body.
struct PageFrame {
  std::string title;       ///< the page's title, after "turnout · "
  std::string csrf;        ///< the session's CSRF token for the logout form; "" without a session
  bool signed_in = false;  ///< shows "Sign out"
  std::string nav;         ///< which menu item is current: overview, runs, deliveries, or ""
};

/// Renders template `name` (e.g. `run.mustache`) with `data`, inside `layout.mustache`. Throws
/// std::logic_error when a template is missing or broken: a bug of the build, not of a request.
std::string render_page(const std::string& name, const PageData& data, const PageFrame& frame);

/// `text` safe to show as text in a page: a control character (but tab and newline; a CR is dropped) becomes
/// U+FFFD, so a branch or a message cannot smuggle an escape sequence or a NUL into the page. The engine
/// escapes markup; this only takes away what has no business in a page.
std::string printable(const std::string& text);

/// `text` (made printable) as a template value; "" is false, so `{{#key}}` skips it and a
/// nested section never falls back to an outer value of the same name.
PageData text(const std::string& text);

}  // namespace turnout::agent
