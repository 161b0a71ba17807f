#include "pipeline/verify_reader.h"

#include <climits>

#include "pipeline/canary_reader.h"

namespace turnout::pipeline::detail {

namespace {

const std::vector<std::string> kVerifyKeys = {"for", "max_error_rate", "min_requests"};

Where verify_where(const Where& stage) { return Where{"`deploy.verify`", stage.part}; }

}  // namespace

std::optional<double> read_percentage(YamlReader& reader, const Entry& entry, const Where& where) {
  const auto written = reader.text(entry, where);
  if (!written) return std::nullopt;
  const std::string& text = *written;
  const auto bad = [&](const std::string& why) {
    reader.error(entry.value, where.prefix() + "`" + entry.key + "` " + why);
    return std::nullopt;
  };
  // A bare 0.01 or 1 could mean 1% or 100%: the sign says which.
  if (text.back() != '%') return bad("must be a percentage such as 1% (got '" + text + "'): add the % sign");
  const auto number = parse_percent(text);
  if (!number) return bad("must be a percentage such as 1% (got '" + text + "')");
  if (*number < 0 || *number > 100) return bad("must be between 0% and 100% (got " + text + ")");
  return *number / 100.0;
}

void read_verify(YamlReader& reader, const Entry& entry, const Where& stage, Deploy& deploy) {
  const Where owner{"`deploy`", stage.part};
  if (!entry.value.IsMap()) {
    deploy.verify = reader.duration(entry, owner).value_or(deploy.verify);
    return;
  }
  const Where where = verify_where(stage);
  const auto entries = reader.entries(entry.value, kVerifyKeys, where);
  TrafficCheck check;
  const Entry* min_requests = nullptr;
  bool rate = false;
  for (const Entry& key : entries) {
    if (key.key == "for") {
      deploy.verify = reader.duration(key, where).value_or(deploy.verify);
    } else if (key.key == "max_error_rate") {
      rate = true;
      check.max_error_rate = read_percentage(reader, key, where).value_or(check.max_error_rate);
    } else {
      min_requests = &key;
      check.min_requests = reader.integer(key, where, 1, INT_MAX).value_or(check.min_requests);
    }
  }
  if (min_requests != nullptr && !rate) {
    reader.error(min_requests->key_node,
                 where.prefix() +
                     "`min_requests` applies only with `max_error_rate` (the share of 5xx it is the "
                     "minimum sample for): add `max_error_rate`, or remove `min_requests`");
  }
  if (rate) deploy.verify_traffic = check;
}

void check_verify_feed(YamlReader& reader, const std::vector<Entry>& entries, const Where& stage,
                       const Deploy& deploy) {
  if (!deploy.verify_traffic) return;
  const auto& nginx = deploy.proxy.nginx;
  if (nginx && nginx->feed) return;
  for (const Entry& entry : entries) {
    if (entry.key != "verify") continue;
    for (const auto& key : entry.value) {
      if (key.first.Scalar() != "max_error_rate") continue;
      reader.error(key.first,
                   verify_where(stage).prefix() +
                       "`max_error_rate` judges the traffic nginx's feed reports, and this app has none: "
                       "turn the feed on with `feed: true` under `proxy.nginx`" +
                       (nginx ? "" : " (the feed needs the nginx proxy in mode flag)"));
    }
  }
}

}  // namespace turnout::pipeline::detail
