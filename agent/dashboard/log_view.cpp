#include "agent/dashboard/log_view.h"

#include <kainjow/mustache.hpp>

#include <charconv>

namespace turnout::agent {

namespace {

// The style an SGR sequence's parameters leave in force.
struct Style {
  bool bold = false;
  int colour = -1;  // 0..15, -1 for the default

  std::string classes() const {
    std::string text = bold ? "b" : "";
    if (colour >= 0) text += std::string(text.empty() ? "" : " ") + "fg" + std::to_string(colour);
    return text;
  }
};

void apply_sgr(std::string_view parameters, Style& style) {
  if (parameters.empty()) parameters = "0";
  while (!parameters.empty()) {
    const auto semicolon = parameters.find(';');
    const auto part = parameters.substr(0, semicolon);
    parameters = semicolon == std::string_view::npos ? std::string_view() : parameters.substr(semicolon + 1);
    int code = 0;
    std::from_chars(part.data(), part.data() + part.size(), code);
    if (code == 0) style = Style{};
    if (code == 1) style.bold = true;
    if (code == 22) style.bold = false;
    if (code >= 30 && code <= 37) style.colour = code - 30;
    if (code == 39) style.colour = -1;
    if (code >= 90 && code <= 97) style.colour = code - 90 + 8;
    // 38;5;N and 38;2;R;G;B: their numbers are not codes of their own.
    if (code == 38 || code == 48) break;
  }
}

// Skips the escape sequence at `text[at]` (an ESC); returns where it ends, applying an SGR.
std::size_t skip_escape(std::string_view text, std::size_t at, Style& style) {
  if (at + 1 >= text.size()) return text.size();
  if (text[at + 1] != '[') return at + 2;
  std::size_t end = at + 2;
  while (end < text.size() && !(text[end] >= 0x40 && text[end] <= 0x7e)) ++end;
  if (end >= text.size()) return text.size();
  if (text[end] == 'm') apply_sgr(text.substr(at + 2, end - at - 2), style);
  return end + 1;
}

}  // namespace

std::vector<LogSpan> ansi_spans(std::string_view text) {
  std::vector<LogSpan> spans;
  Style style;
  std::string current;
  std::string current_classes;
  const auto close = [&] {
    if (!current.empty()) spans.push_back({std::move(current), current_classes});
    current.clear();
  };
  for (std::size_t at = 0; at < text.size();) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte == 0x1b) {
      at = skip_escape(text, at, style);
      if (style.classes() != current_classes) {
        close();
        current_classes = style.classes();
      }
      continue;
    }
    if ((byte >= 0x20 && byte != 0x7f) || byte == '\t') current += text[at];
    ++at;
  }
  close();
  return spans;
}

std::vector<LogLine> log_lines(std::string_view window, std::int64_t offset, bool at_end,
                               std::optional<std::int64_t> newlines_before) {
  std::vector<LogLine> lines;
  std::size_t at = 0;
  if (offset > 0) {
    const auto first_newline = window.find('\n');
    at = first_newline == std::string_view::npos ? window.size() : first_newline + 1;
  }
  // The first complete line starts after the newline that ends the dropped partial one.
  std::int64_t number = offset == 0 ? 1 : newlines_before ? *newlines_before + 2 : 0;
  while (at < window.size()) {
    const auto newline = window.find('\n', at);
    if (newline == std::string_view::npos && !at_end) break;
    const auto end = newline == std::string_view::npos ? window.size() : newline;
    auto text = window.substr(at, end - at);
    LogLine line;
    line.number = number;
    line.offset = offset + static_cast<std::int64_t>(at);
    // `TIME MARKER TEXT`: a line that is not (a log of an older turnout) is shown whole.
    const auto space = text.find(' ');
    if (space == 24 && text[23] == 'Z') {
      line.time = std::string(text.substr(0, space));
      const auto rest = text.substr(space + 1);
      const auto marker_end = rest.find(' ');
      line.marker = std::string(rest.substr(0, marker_end));
      text = marker_end == std::string_view::npos ? std::string_view() : rest.substr(marker_end + 1);
    }
    line.spans = ansi_spans(text);
    lines.push_back(std::move(line));
    if (number > 0) ++number;
    at = end + 1;
  }
  return lines;
}

std::string log_html(const std::vector<LogLine>& lines) {
  const auto escape = kainjow::mustache::html_escape<std::string>;
  std::string html;
  html.reserve(lines.size() * 160);
  for (const auto& line : lines) {
    const std::string anchor =
        line.number > 0 ? "L" + std::to_string(line.number) : "B" + std::to_string(line.offset);
    html += "<div class=\"line";
    if (line.marker == "err") html += " err";
    if (line.marker == "==>" || line.marker == "-->" || line.marker == "===") html += " head";
    html += "\" id=\"" + anchor + "\"><a class=\"ln\" href=\"#" + anchor + "\">";
    if (line.number > 0) html += std::to_string(line.number);
    html += "</a><time datetime=\"" + escape(line.time) + "\" title=\"" + escape(line.time) + "\">" +
            escape(line.time.size() >= 19 ? line.time.substr(11, 8) : line.time) +
            "</time><span class=\"mk\">" + escape(line.marker) + "</span><span class=\"tx\">";
    for (const auto& span : line.spans) {
      if (span.classes.empty()) {
        html += escape(span.text);
      } else {
        html += "<span class=\"" + span.classes + "\">" + escape(span.text) + "</span>";
      }
    }
    html += "</span></div>\n";
  }
  return html;
}

}  // namespace turnout::agent
