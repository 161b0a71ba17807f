#include "agent/dashboard/page_renderer.h"

#include <catch2/catch.hpp>

using namespace turnout::agent;

TEST_CASE("page renderer: values are escaped by the engine, control characters taken out",
          "[unit][dashboard]") {
  CHECK(printable("line one\r\nline two\tx") == "line one\nline two\tx");
  CHECK(printable(std::string("bell\x07 nul") + '\0' + "!") == "bell\xEF\xBF\xBD nul\xEF\xBF\xBD!");
  PageData data;
  data.set("heading", "<b>\"quoted\" & 'single'</b>");
  data.set("status", "400");
  data.set("reason", text("<script>alert(1)</script>"));
  const auto html = render_page("error.mustache", data, {"<title>", "", false, ""});
  CHECK_THAT(html, Catch::Contains("&lt;b&gt;&quot;quoted&quot; &amp; &apos;single&apos;&lt;/b&gt;"));
  CHECK_THAT(html, Catch::Contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
  CHECK_THAT(html, Catch::Contains("<title>turnout · &lt;title&gt;</title>"));
  CHECK_THAT(html, !Catch::Contains("<script>alert"));
  // Every script is a file of the site's own: none inline.
  CHECK_THAT(html, Catch::Contains("<script src=\"/assets/dashboard.js\" defer></script>"));
  CHECK(html.find("<script>") == std::string::npos);
  CHECK_FALSE(text("").is_string());
}
