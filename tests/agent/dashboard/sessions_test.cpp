#include "agent/dashboard/sessions.h"

#include <catch2/catch.hpp>

#include "agent/dashboard/form_fields.h"
#include "util/masked_token.h"

using namespace turnout::agent;

TEST_CASE("sessions: the token signs in, a wrong one is counted and throttled", "[unit][dashboard]") {
  Sessions sessions({"right-token"}, std::chrono::hours(1), 3, std::chrono::seconds(60));
  const auto in = sessions.sign_in("right-token");
  REQUIRE(in.result == SignIn::signed_in);
  const auto found = sessions.find(in.session->id);
  REQUIRE(found);
  const std::string pad(in.session->csrf.size(), '7');
  CHECK(csrf_matches(*found, turnout::util::mask_token(in.session->csrf, pad)));
  CHECK_FALSE(csrf_matches(*found, in.session->csrf));  // only as a page carries it, masked
  CHECK_FALSE(csrf_matches(*found, ""));
  CHECK_FALSE(csrf_matches(*found, in.session->id));
  CHECK_FALSE(sessions.find("not-a-session"));

  CHECK(sessions.sign_in("").result == SignIn::refused);
  CHECK(sessions.sign_in("right-token-").result == SignIn::refused);
  CHECK(sessions.sign_in("wrong").result == SignIn::refused);
  // Three failures in the window: the next is not even checked, the right token neither.
  const auto throttled = sessions.sign_in("right-token");
  CHECK(throttled.result == SignIn::throttled);
  CHECK(throttled.retry_after.count() >= 1);

  sessions.sign_out(in.session->id);
  CHECK_FALSE(sessions.find(in.session->id));
}

TEST_CASE("sessions: no token configured, nobody signs in", "[unit][dashboard]") {
  Sessions sessions({});
  CHECK(sessions.sign_in("").result == SignIn::refused);
  CHECK(sessions.sign_in("anything").result == SignIn::refused);
}

TEST_CASE("form fields and cookies are read as browsers send them", "[unit][dashboard]") {
  const auto fields = form_fields("token=a%2Bb+c&next=%2Fruns%3Fstatus%3Dfailed&bad=%zz&=x&csrf=1&csrf=2");
  CHECK(fields.at("token") == "a+b c");
  CHECK(fields.at("next") == "/runs?status=failed");
  CHECK(fields.count("bad") == 0);
  CHECK(fields.at("csrf") == "2");
  CHECK(cookie_value("a=1; turnout_session=abc; b=2", "turnout_session") == "abc");
  CHECK(cookie_value("turnout_session_x=1", "turnout_session").empty());
  CHECK(cookie_value("", "turnout_session").empty());
}

TEST_CASE("sessions: a reload with the same tokens keeps the sessions, a rotated token ends them",
          "[unit][dashboard]") {
  Sessions sessions({"old-token"});
  const auto signed_in = sessions.sign_in("old-token");
  REQUIRE(signed_in.session.has_value());
  sessions.accept({"old-token"});
  CHECK(sessions.find(signed_in.session->id).has_value());
  sessions.accept({"new-token"});
  CHECK_FALSE(sessions.find(signed_in.session->id).has_value());
  CHECK(sessions.sign_in("old-token").result == SignIn::refused);
  CHECK(sessions.sign_in("new-token").result == SignIn::signed_in);
}
