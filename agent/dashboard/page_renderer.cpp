#include "agent/dashboard/page_renderer.h"

#include <map>
#include <stdexcept>

#include "agent/dashboard/assets.h"

namespace turnout::agent {

namespace {

using kainjow::mustache::mustache;

// Each handler thread parses a template once, then renders from its own copy: rendering is not
// const in kainjow's engine, so threads do not share one.
mustache& compiled(const std::string& name) {
  thread_local std::map<std::string, mustache> templates;
  if (const auto found = templates.find(name); found != templates.end()) return found->second;
  const auto text = embedded_asset(name);
  if (!text) throw std::logic_error("the dashboard has no template " + name);
  const auto added = templates.emplace(name, mustache(std::string(*text))).first;
  if (!added->second.is_valid())
    throw std::logic_error("template " + name + " is broken: " + added->second.error_message());
  return added->second;
}

// The templates a page includes with `{{> name}}` (`name.mustache`).
const char* const kPartials[] = {"runs_table", "traffic_row"};

std::string render(const std::string& name, const PageData& data) {
  auto& page = compiled(name);
  PageData with_partials = data;
  for (const char* partial : kPartials) {
    with_partials.set(partial, kainjow::mustache::partial([partial] {
                        return std::string(embedded_asset(std::string(partial) + ".mustache").value_or(""));
                      }));
  }
  auto html = page.render(with_partials);
  if (!page.is_valid()) throw std::logic_error("template " + name + ": " + page.error_message());
  return html;
}

}  // namespace

std::string render_page(const std::string& name, const PageData& data, const PageFrame& frame) {
  PageData layout;
  layout.set("title", frame.title);
  layout.set("csrf", frame.csrf);
  layout.set("signed_in", frame.signed_in);
  if (!frame.nav.empty()) layout.set("nav_" + frame.nav, true);
  // The body is our own template's output, already escaped: the layout takes it as it is.
  layout.set("body", render(name, data));
  return render("layout.mustache", layout);
}

std::string printable(const std::string& text) {
  std::string shown;
  shown.reserve(text.size());
  for (const char c : text) {
    // A CR of a CRLF line end (a commit message written on Windows) is no character to show.
    if (c == '\r') continue;
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t' && c != '\n') || byte == 0x7f)
      shown += "\xEF\xBF\xBD";
    else
      shown += c;
  }
  return shown;
}

PageData text(const std::string& text) {
  if (text.empty()) return PageData(false);
  return PageData(printable(text));
}

}  // namespace turnout::agent
