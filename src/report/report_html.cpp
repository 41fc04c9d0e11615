// Rendering the build report (see report_html.h).
#include "report/report_html.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <numeric>

namespace kiln {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string bytes_text(uint64_t b) {
  if (b >= (1ull << 20)) return fmt("%.1f MiB", static_cast<double>(b) / 1048576.0);
  if (b >= 1024) return fmt("%.1f KiB", static_cast<double>(b) / 1024.0);
  return std::to_string(b) + " B";
}

constexpr const char* kStyle = R"CSS(
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; } .sub { color: #666; margin-bottom: 16px; }
.totals { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0 20px; }
.totals div { background: #f4f4f6; border-radius: 6px; padding: 8px 12px; }
.totals b { display: block; font-size: 18px; }
.timeline { position: relative; border: 1px solid #ddd; background: #fafafa; margin-bottom: 8px; overflow: hidden; }
.unit { position: absolute; height: 16px; border-radius: 3px; font-size: 11px; line-height: 16px; color: #fff;
        white-space: nowrap; overflow: hidden; padding-left: 3px; box-sizing: border-box; min-width: 2px; }
.hit-local { background: #2e9e4f; } .hit-remote { background: #1f77b4; } .miss { background: #d9534f; }
.not-cached { background: #999; } .unstored { background: #e69138; } .error { background: #6a1b9a; }
.unit.run { background-image: repeating-linear-gradient(45deg, rgba(255,255,255,.25) 0 4px, transparent 4px 8px); }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border-radius: 3px; color: #fff; font-size: 12px; }
.axis { position: relative; height: 16px; font-size: 11px; color: #666; margin-bottom: 18px; }
.axis span { position: absolute; transform: translateX(-50%); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; }
th { cursor: pointer; background: #f4f4f6; user-select: none; } th.sorted::after { content: " \25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } code { font-size: 11px; color: #555; }
)CSS";

constexpr const char* kScript = R"JS(
(function () {
  var table = document.getElementById('units');
  var heads = table.querySelectorAll('th');
  heads.forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var asc = th.dataset.dir !== 'asc';
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
        return asc ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      heads.forEach(function (h) { h.classList.remove('sorted'); delete h.dataset.dir; });
      th.classList.add('sorted');
      th.dataset.dir = asc ? 'asc' : 'desc';
    });
  });
  document.body.dataset.ready = 'yes';
})();
)JS";

}  // namespace

std::vector<int> assign_lanes(const std::vector<TimelineEntry>& units) {
  std::vector<size_t> order(units.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return units[a].start_ms < units[b].start_ms; });
  std::vector<int64_t> lane_end;
  std::vector<int> lane(units.size(), 0);
  for (size_t i : order) {
    int chosen = -1;
    for (size_t l = 0; l < lane_end.size(); ++l)
      if (lane_end[l] <= units[i].start_ms) {
        chosen = static_cast<int>(l);
        break;
      }
    if (chosen < 0) {
      chosen = static_cast<int>(lane_end.size());
      lane_end.push_back(0);
    }
    lane_end[static_cast<size_t>(chosen)] = std::max(units[i].end_ms, units[i].start_ms + 1);
    lane[i] = chosen;
  }
  return lane;
}

std::string render_report(const ReportInput& in) {
  const auto& u = in.units;
  int64_t t0 = u.empty() ? 0 : u.front().start_ms, t1 = t0 + 1;
  for (const auto& e : u) {
    t0 = std::min(t0, e.start_ms);
    t1 = std::max(t1, e.end_ms);
  }
  double span = static_cast<double>(std::max<int64_t>(t1 - t0, 1));
  size_t hits_local = 0, hits_remote = 0, misses = 0, not_cached = 0, unstored = 0, runs_cached = 0, runs = 0;
  double saved = 0;
  uint64_t restored = 0;
  for (const auto& e : u) {
    hits_local += e.outcome == "hit-local";
    hits_remote += e.outcome == "hit-remote";
    misses += e.outcome == "miss";
    not_cached += e.outcome == "not-cached";
    unstored += e.outcome == "unstored";
    if (e.label == "run") {
      ++runs;
      runs_cached += e.outcome.rfind("hit", 0) == 0;
    }
    saved += e.saved_ms;
    restored += e.bytes;
  }
  std::vector<int> lanes = assign_lanes(u);
  int lane_count = lanes.empty() ? 1 : *std::max_element(lanes.begin(), lanes.end()) + 1;

  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>kiln report: " +
                  esc(in.title) + "</title>\n<style>" + kStyle + "</style></head>\n<body>\n";
  std::time_t when = static_cast<std::time_t>(t0 / 1000);
  char date[40];
  std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&when));
  h += "<h1>kiln build report</h1>\n<div class=\"sub\">" + esc(in.title) + " · " + date + " · session " +
       esc(in.session) + " · " + fmt("%.2f s", span / 1000.0) + " from the first unit to the last</div>\n";
  auto box = [&](const std::string& label, const std::string& value, const std::string& id) {
    h += "<div id=\"" + id + "\"><b>" + esc(value) + "</b>" + esc(label) + "</div>";
  };
  h += "<div class=\"totals\">";
  box("units", std::to_string(u.size()), "t-units");
  box("hits (local)", std::to_string(hits_local), "t-hits-local");
  box("hits (remote)", std::to_string(hits_remote), "t-hits-remote");
  box("misses", std::to_string(misses), "t-misses");
  box("not cached", std::to_string(not_cached), "t-not-cached");
  if (unstored) box("misses not stored", std::to_string(unstored), "t-unstored");
  box("build-script runs cached", std::to_string(runs_cached) + " / " + std::to_string(runs), "t-runs");
  box("of rustc saved", fmt("%.1f s", saved / 1000.0), "t-saved");
  box("restored by hits", bytes_text(restored), "t-restored");
  for (const auto& [name, st] : in.stats.stores) {
    if (st.bytes_down == 0 && st.bytes_up == 0 && st.hits == 0) continue;
    box(name + ": fetched / uploaded (on the wire)",
        bytes_text(st.bytes_down) + " / " + bytes_text(st.bytes_up) + " (" + bytes_text(st.wire_down) + " / " +
            bytes_text(st.wire_up) + ")",
        "t-store");
  }
  h += "</div>\n<div class=\"legend\">";
  for (const char* o : {"hit-local", "hit-remote", "miss", "not-cached", "unstored", "error"})
    h += std::string("<span class=\"") + o + "\">" + o + "</span>";
  h += "<span class=\"miss run\" style=\"background-color:#777\">build-script run (striped)</span></div>\n";

  // The timeline.
  h += "<div class=\"timeline\" id=\"timeline\" style=\"height:" + std::to_string(lane_count * 18 + 4) + "px\">\n";
  for (size_t i = 0; i < u.size(); ++i) {
    const auto& e = u[i];
    double left = 100.0 * static_cast<double>(e.start_ms - t0) / span;
    double width = 100.0 * static_cast<double>(std::max<int64_t>(e.end_ms - e.start_ms, 0)) / span;
    std::string tip = e.crate + " (" + e.label + (e.package.empty() ? "" : ", " + e.package) + "): " + e.outcome +
                      (e.reason.empty() ? "" : " — " + e.reason) + ", " + std::to_string(e.end_ms - e.start_ms) + " ms";
    h += "<div class=\"unit " + e.outcome + (e.label == "run" ? " run" : "") + "\" data-crate=\"" + esc(e.crate) +
         "\" data-label=\"" + esc(e.label) + "\" data-outcome=\"" + esc(e.outcome) + "\" style=\"left:" +
         fmt("%.3f", left) + "%;width:" + fmt("%.3f", width) + "%;top:" + std::to_string(lanes[i] * 18 + 2) +
         "px\" title=\"" + esc(tip) + "\">" + esc(e.crate) + "</div>\n";
  }
  h += "</div>\n<div class=\"axis\">";
  for (int k = 0; k <= 10; ++k)
    h += "<span style=\"left:" + std::to_string(k * 10) + "%\">" +
         fmt(span < 10'000 ? "%.2fs" : "%.1fs", span / 1000.0 * k / 10) + "</span>";
  h += "</div>\n";

  // The table: slowest misses first, then the rest by start.
  std::vector<size_t> order(u.size());
  std::iota(order.begin(), order.end(), 0);
  auto is_miss = [&](size_t i) { return u[i].outcome == "miss" || u[i].outcome == "unstored"; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (is_miss(a) != is_miss(b)) return is_miss(a);
    if (is_miss(a)) return u[a].end_ms - u[a].start_ms > u[b].end_ms - u[b].start_ms;
    return u[a].start_ms < u[b].start_ms;
  });
  h += "<table id=\"units\"><thead><tr><th>crate</th><th>package</th><th>kind</th><th>outcome</th><th>reason</th>"
       "<th>start (s)</th><th>time (ms)</th><th>saved (ms)</th><th>restored</th><th>remote: fetched / uploaded</th>"
       "<th>key</th></tr></thead><tbody>\n";
  for (size_t i : order) {
    const auto& e = u[i];
    double start = static_cast<double>(e.start_ms - t0) / 1000.0;
    int64_t ms = e.end_ms - e.start_ms;
    auto cell = [&](const std::string& v, const std::string& text, bool num = false) {
      h += "<td" + std::string(num ? " class=\"num\"" : "") + " data-v=\"" + esc(v) + "\">" + text + "</td>";
    };
    h += "<tr class=\"row\" data-crate=\"" + esc(e.crate) + "\" data-label=\"" + esc(e.label) + "\" data-outcome=\"" +
         esc(e.outcome) + "\">";
    cell(e.crate, esc(e.crate));
    cell(e.package, esc(e.package));
    cell(e.label, esc(e.label));
    cell(e.outcome, esc(e.outcome));
    cell(e.reason, esc(e.reason));
    cell(fmt("%.3f", start), fmt("%.2f", start), true);
    cell(std::to_string(ms), std::to_string(ms), true);
    cell(fmt("%.0f", e.saved_ms), fmt("%.0f", e.saved_ms), true);
    cell(std::to_string(e.bytes), e.bytes ? bytes_text(e.bytes) : "", true);
    uint64_t moved = 0;
    std::string per_store;
    for (const auto& st : e.stores) {
      moved += st.fetched + st.uploaded;
      per_store += std::string(per_store.empty() ? "" : "<br>") + "<span class=\"store\" data-store=\"" + esc(st.store) +
                   "\" data-fetched=\"" + std::to_string(st.fetched) + "\" data-uploaded=\"" + std::to_string(st.uploaded) +
                   "\">" + esc(st.store) + ": " + bytes_text(st.fetched) + " / " + bytes_text(st.uploaded) + "</span>";
    }
    cell(std::to_string(moved), per_store, true);
    cell(e.key, "<code>" + esc(e.key.substr(0, 12)) + "</code>");
    h += "</tr>\n";
  }
  h += "</tbody></table>\n<script>" + std::string(kScript) + "</script>\n</body></html>\n";
  return h;
}

}  // namespace kiln
