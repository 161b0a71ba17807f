#include "agent/actions/workflow_commands.h"

namespace turnout::agent::actions {

namespace {

void append_escaped(std::string& out, std::string_view text, bool property) {
  for (const char c : text) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += property ? "%3A" : ":";
        break;
      case ',':
        out += property ? "%2C" : ",";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

std::string escape_data(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_escaped(out, text, false);
  return out;
}

std::string escape_property(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_escaped(out, text, true);
  return out;
}

std::string format_command(std::string_view name, const std::vector<Property>& properties,
                           std::string_view message) {
  std::string out = "::";
  out += name;
  char separator = ' ';
  for (const auto& [key, value] : properties) {
    if (value.empty()) continue;
    out += separator;
    out += key;
    out += '=';
    append_escaped(out, value, true);
    separator = ',';
  }
  out += "::";
  append_escaped(out, message, false);
  return out;
}

std::string format_annotation(std::string_view kind, const Annotation& where, std::string_view message) {
  const auto number = [](int n) { return n > 0 ? std::to_string(n) : std::string(); };
  return format_command(kind,
                        {{"file", where.file},
                         {"line", number(where.line)},
                         {"col", number(where.column)},
                         {"title", where.title}},
                        message);
}

std::string format_group(std::string_view title) { return format_command("group", {}, title); }

std::string format_endgroup() { return "::endgroup::"; }

std::string format_add_mask(std::string_view value) { return format_command("add-mask", {}, value); }

std::string format_stop_commands(std::string_view token) {
  return format_command("stop-commands", {}, token);
}

std::string format_resume_commands(std::string_view token) { return "::" + std::string(token) + "::"; }

}  // namespace turnout::agent::actions
