// Submitting a campaign as a Slurm array job and its merge job, and
// resubmitting the shards a first submission left incomplete.
#include "campaign/slurm.h"

#include <algorithm>
#include <optional>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <regex>
#include <set>
#include <sstream>

#include "error.h"
#include "io/files.h"
#include "io/numbers.h"
#include "platform/subprocess.h"
#include "platform/time_text.h"
#include "protocol/results_csv.h"

namespace fs = std::filesystem;

#include "campaign/slurm_queries.h"

namespace fs = std::filesystem;

namespace nicenergy {

using namespace slurm_detail;

namespace {

void write_text(const std::string& path, const std::string& text) {
  check_output_file(path, "'" + path + "'");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw WriteError("cannot write '" + path + "': check the folder's space and permissions");
  fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
}

std::string sbatch(const std::vector<std::string>& argv) {
  const CommandResult r = run_command(argv);
  if (!r.started)
    throw Error("sbatch is not installed here: run on a Slurm login node, or use --dry-run to see the scripts");
  if (r.exit_status != 0) {
    std::string why = r.errors.empty() ? r.output : r.errors;
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    throw Error("sbatch refused the job (" + shell_line(argv) + "): " + printable(why, 300));
  }
  return parse_sbatch_job_id(r.output);
}

// The shards to submit: all of them, or on --resume those with points missing
// and no task of ours still on them. Null where nothing is to be submitted (the
// merge job is still waiting).
std::optional<std::vector<int>> shards_to_submit(const CampaignConfig& config, const SlurmRunOptions& options,
                                                 const std::vector<SlurmSubmission>& submissions, int shard_count,
                                                 std::ostream& out) {
  std::vector<int> shards;
  if (!options.resume) {
    for (int i = 1; i <= shard_count; ++i) shards.push_back(i);
  } else {
    // Only shards with points still missing, and not those a task of ours is still on.
    std::string source;
    const auto jobs = query_jobs(submitted_job_ids(submissions), &source);
    for (const auto& p : shard_progress(config, shard_count)) {
      if (!p.problem.empty()) throw Error(p.problem);
      if (p.complete()) continue;
      const SlurmJobState* job = shard_job(submissions, jobs, p.shard.index);
      if (job && job_active(job->state)) {
        out << "shard " << p.shard.index << "/" << shard_count << ": " << p.done << " of " << p.planned
            << " points; its task " << job->job << "_" << job->task << " is " << job->state << ", not resubmitted\n";
        continue;
      }
      if (!p.holder.empty()) {
        out << "shard " << p.shard.index << "/" << shard_count << ": " << p.done << " of " << p.planned << " points; "
            << p.holder << " holds its lock, not resubmitted\n";
        continue;
      }
      out << "shard " << p.shard.index << "/" << shard_count << ": " << p.done << " of " << p.planned
          << " points, resubmitted\n";
      shards.push_back(p.shard.index);
    }
    for (const auto& sub : submissions)
      for (const auto& j : jobs)
        if (j.job == sub.merge_job && job_active(j.state) && shards.empty()) {
          out << "merge job " << j.job << " is " << j.state << ": nothing to resubmit\n";
          return std::nullopt;
        }
  }

  return shards;
}

}  // namespace

void submit_slurm_campaign(const CampaignConfig& config, const SlurmRunOptions& options, std::ostream& out) {
  const SlurmSettings& s = options.settings;
  check_settings(s);
  const SlurmFiles files = slurm_files(config.output);
  const auto submissions = read_submissions(files.jobs);
  const size_t points = plan_campaign(config).size();
  int shard_count = 0;
  if (options.resume) {
    shard_count = recorded_shard_count(config, submissions, s.shards, files.jobs);
  } else {
    if (s.shards < 1) throw Error("--slurm needs --shards N: how many array tasks share the points");
    shard_count = s.shards;
  }
  if (static_cast<size_t>(shard_count) > points)
    throw Error("--shards " + std::to_string(shard_count) + " is more than the campaign's " +
                std::to_string(points) + " points: give at most " + std::to_string(points));

  const std::optional<std::vector<int>> chosen = shards_to_submit(config, options, submissions, shard_count, out);
  if (!chosen) return;
  const std::vector<int>& shards = *chosen;
  const std::string shards_text = shards.empty() ? "" : shards_sbatch(config, s, shard_count, shards);
  const std::string merge_text = merge_sbatch(config, s, shard_count);
  const std::vector<std::string> array_argv = {"sbatch", "--parsable", files.shards_script};
  std::vector<std::string> merge_argv = {"sbatch", "--parsable", "--kill-on-invalid-dep=yes"};
  if (!shards.empty()) merge_argv.push_back("--dependency=afterok:ARRAY_JOB");
  merge_argv.push_back(files.merge_script);

  if (options.dry_run) {
    if (!shards.empty()) out << "# " << files.shards_script << "\n" << shards_text << "\n";
    out << "# " << files.merge_script << "\n" << merge_text << "\n";
    out << "# would run:\n";
    if (!shards.empty()) out << shell_line(array_argv) << "\n";
    out << shell_line(merge_argv) << "\n";
    return;
  }
  prepare_output_folder(files.logs, "Slurm log folder '" + files.logs + "'");
  const fs::path results_folder = fs::path(config.output).parent_path();
  if (!results_folder.empty())
    prepare_output_folder(results_folder.string(), "results folder '" + results_folder.string() + "'");
  if (!shards.empty()) write_text(files.shards_script, shards_text);
  write_text(files.merge_script, merge_text);

  SlurmSubmission sub;
  sub.shard_count = shard_count;
  sub.tasks = shards;
  sub.submitted_at = utc_now_iso8601();
  if (!shards.empty()) {
    sub.array_job = sbatch(array_argv);
    out << "submitted array job " << sub.array_job << " (shards " << array_spec(shards, 0) << " of " << shard_count
        << "): " << files.shards_script << "\n";
    merge_argv[3] = "--dependency=afterok:" + sub.array_job;
  }
  try {
    sub.merge_job = sbatch(merge_argv);
  } catch (const Error&) {
    append_text_synced(files.jobs, format_submission(sub), "Slurm jobs file '" + files.jobs + "'");
    throw;
  }
  out << "submitted merge job " << sub.merge_job
      << (shards.empty() ? "" : " (after every task of " + sub.array_job + " succeeds)") << ": " << config.output
      << " and " << fit_output_path(config.output) << "\n";
  append_text_synced(files.jobs, format_submission(sub), "Slurm jobs file '" + files.jobs + "'");
  out << "logs in " << files.logs << "; progress: nicenergy campaign status " << config.path << "\n";
}

}  // namespace nicenergy
