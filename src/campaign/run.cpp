// Running a campaign: resume, one fsynced row per point, failures logged and
// skipped, the idle reference refreshed, progress and ETA.
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "campaign/campaign.h"
#include "error.h"
#include "io/files.h"
#include "meters/trace_csv.h"
#include "platform/time_text.h"
#include "protocol/progress.h"

namespace fs = std::filesystem;

namespace nicenergy {

// ---- running -------------------------------------------------------------

static std::string campaign_output(const CampaignConfig& config, const CampaignOptions& options) {
  return options.output.empty() ? shard_output_path(config.output, options.shard) : options.output;
}

static std::vector<MeasurementRecord> read_results_if_any(const std::string& output) {
  return fs::exists(output) ? read_results(output) : std::vector<MeasurementRecord>{};
}

static std::set<MeasurementKey> keys_of(const std::vector<MeasurementRecord>& records) {
  std::set<MeasurementKey> keys;
  for (const auto& r : records) keys.insert(measurement_key(r));
  return keys;
}

static std::string errors_path(const std::string& output) { return output + ".errors"; }

// Everything a run checks before it measures, without changing anything: the
// output (writable, not a directory, empty or a results CSV of this version
// whose only damage may be a torn last row), the errors log beside it, and a
// replayed trace. Returns the rows already there.
static std::vector<MeasurementRecord> check_before_measuring(const CampaignConfig& config, const std::string& output,
                                                             size_t* torn_bytes) {
  std::vector<MeasurementRecord> done = check_results_for_append(output, torn_bytes);
  check_output_file(errors_path(output), "errors log '" + errors_path(output) + "'", true);
  if (config.meter.rfind("replay:", 0) == 0) read_trace_csv(config.meter.substr(7));
  return done;
}

std::string dry_run_text(const CampaignConfig& config, const CampaignOptions& options) {
  const std::string output = campaign_output(config, options);
  const auto points = shard_points(plan_campaign(config), options.shard);
  // A dry run changes nothing: a torn last row is only reported; but it refuses
  // what the run would refuse, so that a plan that passes also starts.
  size_t torn = 0;
  const auto done = keys_of(check_before_measuring(config, output, &torn));
  if (!options.resume && !done.empty())
    throw Error("results file '" + output + "' already holds " + std::to_string(done.size()) +
                " measurements: delete it to start afresh, or resume (the default)");
  const std::string holder = output_lock_holder(output);
  std::ostringstream out;
  out << "campaign " << config.name << " (" << config.path << "): shard " << options.shard.index << "/"
      << options.shard.count << ", " << points.size() << " points, device " << config.device << ", meter "
      << config.meter << "\n"
      << "output " << output << "\n";
  if (torn) out << "note: the output ends in a torn row (" << torn << " bytes) that the run will cut\n";
  if (!holder.empty()) out << "note: " << holder << " is running a campaign on this output now\n";
  size_t already = 0;
  for (const auto& p : points) {
    const bool is_done = done.count(point_key(p)) > 0;
    already += is_done;
    char line[64];
    std::snprintf(line, sizeof line, "%5zu  %-6s q%-2d %-5s ", p.index + 1, p.subject.abbr.c_str(), p.subject.quality,
                  p.level.c_str());
    out << line << p.image.width << "x" << p.image.height << "  " << p.image.label
        << (p.subject.stage == "chain" ? "" : "  " + p.subject.stage) << (p.subject.mode == "float32" ? "" : "  " + p.subject.mode) << (is_done ? "  [done]" : "") << "\n";
  }
  const size_t todo = points.size() - already;
  const int k_min = config.protocol.k_min, k_max = config.protocol.k_max;
  out << already << " of " << points.size() << " points already done, " << todo << " to measure\n";
  if (todo > 0)
    out << "estimated duration: at least " << format_duration(estimate_duration_s(config, todo))
        << " (idle reference, preheat, calibration and k_min windows"
        << (k_max > k_min ? "; K may grow to k_max, so this is a lower bound" : "") << ")\n";
  return out.str();
}

// Fills the key fields the measurer left empty and checks the rest, so that a
// resumed run recognises the row as this point.
static void complete_record(const CampaignPoint& p, MeasurementRecord& r) {
  if (r.network.empty()) r.network = p.subject.name;
  if (r.abbr.empty()) r.abbr = p.subject.abbr;
  if (r.quality == 0) r.quality = p.subject.quality;
  if (r.level.empty()) r.level = p.level;
  if (r.image.empty()) r.image = p.image.label;
  if (r.width == 0) r.width = p.image.width;
  if (r.height == 0) r.height = p.image.height;
  if (r.stage.empty()) r.stage = p.subject.stage;
  if (r.mode.empty()) r.mode = p.subject.mode;
  if (r.pixels == 0) r.pixels = int64_t(r.width) * r.height;
  if (r.started_at.empty()) r.started_at = utc_now_iso8601();
  if (!(measurement_key(r) == point_key(p)))
    throw Error("the measurement of " + point_key(p).text() + " came back as " + measurement_key(r).text() +
                ": the measurer must keep the point's network, quality, image label and size");
}

// One point measured and appended to the output; a failure other than a
// write error is recorded (stderr and <output>.errors) and the run goes on.
static void measure_and_append(const CampaignPoint& p, double idle_w, const CampaignCallbacks& callbacks,
                               CampaignSummary& summary, ProgressBar& bar) {
  MeasurementRecord record;
  try {
    record = callbacks.measure_point(p, idle_w);
    complete_record(p, record);
  } catch (const WriteError&) {
    throw;  // disk full or read-only: every later point would be measured and lost the same way
  } catch (const std::exception& e) {
    ++summary.failed;
    bar.note("error: " + p.label() + ": " + e.what());
    // The summary points to this log: a failure to write it ends the run.
    append_text_synced(errors_path(summary.output), utc_now_iso8601() + " " + point_key(p).text() + ": " + e.what() + "\n",
                       "errors log '" + errors_path(summary.output) + "'");
    return;
  }
  append_record(summary.output, record);
  ++summary.measured;
}

CampaignSummary run_campaign(const CampaignConfig& config, const CampaignOptions& options,
                             const CampaignCallbacks& callbacks) {
  std::ostream& out = options.out ? *options.out : std::cout;
  std::ostream& log = options.log ? *options.log : std::cerr;
  CampaignSummary summary;
  summary.output = campaign_output(config, options);
  const auto points = shard_points(plan_campaign(config), options.shard);
  summary.planned = points.size();

  if (options.dry_run) {
    out << dry_run_text(config, options) << std::flush;
    const auto done = keys_of(read_results_if_any(summary.output));
    for (const auto& p : points) summary.skipped += done.count(point_key(p));
    return summary;
  }
  if (!callbacks.measure_idle || !callbacks.measure_point)
    throw Error("run_campaign needs both measure_idle and measure_point");

  // Every check before the first measurement, so that nothing is measured and
  // then lost to an output that cannot take it.
  check_before_measuring(config, summary.output, nullptr);
  const fs::path folder = fs::path(summary.output).parent_path();
  if (!folder.empty()) prepare_output_folder(folder.string(), "results folder '" + folder.string() + "'");
  // One campaign per output: a second one would append the same points again.
  const OutputLock lock(summary.output, "results file '" + summary.output + "'");
  summary.repaired_bytes = repair_results(summary.output);
  const auto done = keys_of(read_results_if_any(summary.output));
  if (!options.resume && !done.empty())
    throw Error("results file '" + summary.output + "' already holds " + std::to_string(done.size()) +
                " measurements: delete it to start afresh, or resume (the default)");
  std::vector<const CampaignPoint*> pending;
  for (const auto& p : points) {
    if (done.count(point_key(p)))
      ++summary.skipped;
    else
      pending.push_back(&p);
  }

  const auto start = std::chrono::steady_clock::now();
  std::function<double()> clock = options.clock_s;
  if (!clock) clock = [start]() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const bool redraw = options.redraw < 0 ? (&log == &std::cerr && stderr_is_tty()) : options.redraw == 1;
  ProgressBar bar(log, redraw);
  if (summary.repaired_bytes)
    bar.note("note: cut a torn last row (" + std::to_string(summary.repaired_bytes) + " bytes) from " +
             summary.output);
  if (summary.skipped)
    bar.note("resuming: " + std::to_string(summary.skipped) + " of " + std::to_string(points.size()) +
             " points already in " + summary.output);

  const double t0 = clock();
  bool have_idle = false;
  double idle_w = 0, idle_at = 0;
  for (size_t i = 0; i < pending.size(); ++i) {
    const CampaignPoint& p = *pending[i];
    const double now = clock();
    const size_t finished = summary.measured + summary.failed;
    const double eta_s = finished ? (now - t0) / finished * (pending.size() - i) : -1;
    bar.show(i + 1, pending.size(), p.label(), now - t0, eta_s);
    if (!have_idle || now - idle_at >= config.idle_refresh_s) {
      idle_w = callbacks.measure_idle();  // a failure here ends the run: nothing can be measured
      idle_at = clock();
      have_idle = true;
    }
    measure_and_append(p, idle_w, callbacks, summary, bar);
  }
  summary.elapsed_s = clock() - t0;
  bar.finish("campaign " + config.name + ": " + std::to_string(summary.measured) + " measured, " +
             std::to_string(summary.skipped) + " already done, " + std::to_string(summary.failed) + " failed in " +
             format_duration(summary.elapsed_s) + "; results in " + summary.output +
             (summary.failed ? " (errors in " + summary.output + ".errors)" : ""));
  return summary;
}

}  // namespace nicenergy
