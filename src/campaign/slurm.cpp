// Campaigns on Slurm: the sbatch files, submission, resubmission of incomplete
// shards, and the status of shards and jobs.
#include "campaign/slurm.h"

#include <algorithm>
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

namespace nicenergy {

// ---- files and scripts -----------------------------------------------------

SlurmFiles slurm_files(const std::string& output) {
  fs::path folder(output);
  folder.replace_extension(".slurm");
  SlurmFiles f;
  f.folder = folder.string();
  f.shards_script = (folder / "shards.sbatch").string();
  f.merge_script = (folder / "merge.sbatch").string();
  f.jobs = (folder / "jobs.txt").string();
  f.logs = (folder / "logs").string();
  return f;
}

std::string fit_output_path(const std::string& output) {
  fs::path p(output);
  p.replace_extension();
  return p.string() + "-fit.json";
}

std::string array_spec(const std::vector<int>& shards, int array_max) {
  std::string spec;
  bool range = shards.size() > 1;
  for (size_t i = 1; i < shards.size(); ++i) range = range && shards[i] == shards[i - 1] + 1;
  if (range) {
    spec = std::to_string(shards.front()) + "-" + std::to_string(shards.back());
  } else {
    for (int s : shards) {
      if (!spec.empty()) spec += ',';
      spec += std::to_string(s);
    }
  }
  if (array_max > 0) spec += "%" + std::to_string(array_max);
  return spec;
}

static bool config_on_cuda(const CampaignConfig& config) { return config.device.rfind("cuda", 0) == 0; }

static int gpus_per_task(const CampaignConfig& config, const SlurmSettings& s) {
  return s.gpus_per_task >= 0 ? s.gpus_per_task : (config_on_cuda(config) ? 1 : 0);
}

static std::string absolute(const std::string& path, const std::string& base) {
  const fs::path p(path);
  return (p.is_absolute() ? p : fs::path(base) / p).lexically_normal().string();
}

// The #SBATCH lines both jobs share: partition, time, the user's options.
static std::string common_directives(const SlurmSettings& s) {
  std::string text;
  if (!s.partition.empty()) text += "#SBATCH --partition=" + s.partition + "\n";
  if (!s.time.empty()) text += "#SBATCH --time=" + s.time + "\n";
  for (const auto& arg : s.sbatch_args) text += "#SBATCH " + arg + "\n";
  return text;
}

static void check_sbatch_word(const std::string& what, const std::string& value) {
  // An #SBATCH line ends at the line break: a value with one would start a shell command.
  if (value.find_first_of("\n\r") != std::string::npos)
    throw Error(what + " '" + printable(value) + "' holds a line break: give one sbatch option per --sbatch-arg");
}

static void check_settings(const SlurmSettings& s) {
  check_sbatch_word("--partition", s.partition);
  check_sbatch_word("--time", s.time);
  for (const auto& a : s.sbatch_args) {
    check_sbatch_word("--sbatch-arg", a);
    if (a.rfind("-", 0) != 0)
      throw Error("--sbatch-arg '" + printable(a) + "' is not an sbatch option: write it like --sbatch-arg=--account=abc");
  }
  if (s.nicenergy.empty() || s.workdir.empty()) throw Error("Slurm settings lack the binary or the working folder");
}

std::string shards_sbatch(const CampaignConfig& config, const SlurmSettings& s, int shard_count,
                          const std::vector<int>& shards) {
  check_settings(s);
  const SlurmFiles files = slurm_files(absolute(config.output, s.workdir));
  const std::string config_path = absolute(config.path, s.workdir);
  std::vector<std::string> command = {s.nicenergy, "campaign", config_path, "--shard"};
  std::string line = shell_line(command) + " \"${SLURM_ARRAY_TASK_ID}/" + std::to_string(shard_count) + "\"";
  if (s.threads > 0) line += " --threads " + std::to_string(s.threads);
  const Shard example{1, shard_count};
  std::ostringstream t;
  t << "#!/bin/bash\n"
    << "# nicenergy campaign '" << config.name << "' on Slurm: one array task per shard, " << shard_count
    << " shards.\n"
    << "# Written by `nicenergy campaign " << config.path << " --slurm`; edit it and submit it yourself with\n"
    << "#   sbatch " << files.shards_script << "\n"
    << "# Task I measures points I, I+" << shard_count << ", I+" << 2 * shard_count << ", ... of the plan into\n"
    << "# " << shard_output_path(config.output, example) << " (shard 1; shardIof" << shard_count
    << " for task I), one fsynced row per point.\n"
    << "# A task that is preempted (requeued), killed or run again carries on from its shard CSV; a lock\n"
    << "# beside the CSV keeps two tasks off the same shard.\n"
    << "#SBATCH --job-name=nicenergy-" << config.name << "\n"
    << "#SBATCH --array=" << array_spec(shards, s.array_max) << "\n"
    << "#SBATCH --ntasks=1\n";
  if (const int g = gpus_per_task(config, s); g > 0)
    t << "#SBATCH --gpus-per-task=" << g << "\n"
      << "# Slurm sets CUDA_VISIBLE_DEVICES to the GPU it gives; nicenergy reads the same GPU through NVML.\n";
  t << "#SBATCH --requeue\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --output=" << files.logs << "/shard-%a.out\n"
    << common_directives(s) << "set -euo pipefail\n"
    << "cd " << shell_quote(s.workdir) << "\n"
    << "echo \"shard ${SLURM_ARRAY_TASK_ID}/" << shard_count
    << ": job ${SLURM_JOB_ID} on $(hostname -s), CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-none}, $(date -u +%FT%TZ)\"\n"
    << "exec " << line << "\n";
  return t.str();
}

static std::vector<std::string> shard_outputs(const CampaignConfig& config, int shard_count) {
  std::vector<std::string> outputs;
  for (int i = 1; i <= shard_count; ++i) outputs.push_back(shard_output_path(config.output, Shard{i, shard_count}));
  return outputs;
}

std::string merge_sbatch(const CampaignConfig& config, const SlurmSettings& s, int shard_count) {
  check_settings(s);
  const SlurmFiles files = slurm_files(absolute(config.output, s.workdir));
  std::vector<std::string> merge = {s.nicenergy, "campaign", "merge"};
  for (const auto& o : shard_outputs(config, shard_count)) merge.push_back(o);
  merge.insert(merge.end(), {"--output", config.output});
  const std::vector<std::string> fit = {s.nicenergy, "fit", config.output, "--output", fit_output_path(config.output)};
  std::ostringstream t;
  t << "#!/bin/bash\n"
    << "# nicenergy campaign '" << config.name << "': joins the " << shard_count
    << " shard CSVs in plan order and fits Eq. (2).\n"
    << "# Submitted after the array job with --dependency=afterok:ARRAY_JOB --kill-on-invalid-dep=yes, so it\n"
    << "# runs once every shard task has succeeded; by hand: sbatch " << files.merge_script << "\n"
    << "#SBATCH --job-name=nicenergy-" << config.name << "-merge\n"
    << "#SBATCH --ntasks=1\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --output=" << files.logs << "/merge.out\n"
    << common_directives(s) << "set -euo pipefail\n"
    << "cd " << shell_quote(s.workdir) << "\n"
    << shell_line(merge) << "\n"
    << shell_line(fit) << "\n";
  return t.str();
}

// ---- progress ----------------------------------------------------------------

std::vector<ShardProgress> shard_progress(const CampaignConfig& config, int shard_count) {
  const auto plan = plan_campaign(config);
  std::vector<ShardProgress> out;
  for (int i = 1; i <= shard_count; ++i) {
    ShardProgress p;
    p.shard = Shard{i, shard_count};
    p.output = shard_output_path(config.output, p.shard);
    const auto points = shard_points(plan, p.shard);
    p.planned = points.size();
    try {
      std::set<MeasurementKey> rows;
      if (fs::exists(p.output))
        for (const auto& r : read_results(p.output)) rows.insert(measurement_key(r));
      for (const auto& point : points) p.done += rows.count(point_key(point));
    } catch (const std::exception& e) {
      p.problem = e.what();
    }
    p.holder = output_lock_holder(p.output);
    out.push_back(std::move(p));
  }
  return out;
}

// ---- jobs.txt ------------------------------------------------------------------

std::string format_submission(const SlurmSubmission& s) {
  std::string tasks;
  for (int t : s.tasks) {
    if (!tasks.empty()) tasks += ',';
    tasks += std::to_string(t);
  }
  return "array " + (s.array_job.empty() ? "-" : s.array_job) + " shards " + std::to_string(s.shard_count) +
         " tasks " + (tasks.empty() ? "-" : tasks) + " merge " + (s.merge_job.empty() ? "-" : s.merge_job) +
         " at " + s.submitted_at + "\n";
}

std::vector<SlurmSubmission> read_submissions(const std::string& path) {
  std::vector<SlurmSubmission> out;
  if (!fs::exists(path)) return out;
  const std::string text = read_input_file(path, "Slurm jobs file '" + path + "'", "check the path", 1 << 20);
  static const std::regex line_re(
      R"(^array (-|[0-9]+) shards ([0-9]{1,6}) tasks (-|[0-9]+(?:,[0-9]+)*) merge (-|[0-9]+) at (\S*)\s*$)");
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    std::smatch m;
    if (!std::regex_match(line, m, line_re))
      throw Error("Slurm jobs file '" + path + "' line " + std::to_string(number) + " is not '" +
                  "array ID shards N tasks I,J merge ID at TIME': fix or delete that line");
    SlurmSubmission s;
    s.array_job = m[1] == "-" ? "" : m[1].str();
    s.shard_count = parse_integer<int>(m[2].str(), "Slurm jobs file '" + path + "' shards", 1);
    if (m[3] != "-") {
      std::istringstream tasks(m[3].str());
      std::string t;
      while (std::getline(tasks, t, ','))
        s.tasks.push_back(parse_integer<int>(t, "Slurm jobs file '" + path + "' tasks", 1));
    }
    s.merge_job = m[4] == "-" ? "" : m[4].str();
    s.submitted_at = m[5];
    out.push_back(std::move(s));
  }
  return out;
}

// ---- sbatch, squeue, sacct ------------------------------------------------------

std::string parse_sbatch_job_id(const std::string& output) {
  static const std::regex id_re(R"(^\s*([0-9]+)(;\S+)?\s*$)");
  std::smatch m;
  // sbatch may print warnings first: the id is the last line.
  std::string last;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  if (!std::regex_match(last, m, id_re))
    throw Error("sbatch printed '" + printable(output, 200) + "' where a job id was expected");
  return m[1];
}

static std::vector<int> expand_tasks(const std::string& text) {  // "1-3,5%2" -> 1 2 3 5
  std::vector<int> tasks;
  const std::string list = text.substr(0, text.find('%'));
  std::istringstream in(list);
  for (std::string part; std::getline(in, part, ',');) {
    const size_t dash = part.find('-');
    try {
      const int a = std::stoi(part.substr(0, dash));
      const int b = dash == std::string::npos ? a : std::stoi(part.substr(dash + 1));
      for (int t = a; t <= b && t - a < 100000; ++t) tasks.push_back(t);
    } catch (const std::exception&) {
      return {};
    }
  }
  return tasks;
}

std::vector<SlurmJobState> parse_job_table(const std::string& text) {
  static const std::regex id_re(R"(^([0-9]+)(?:_([0-9]+|\[[0-9,%\-]+\]))?$)");
  std::vector<SlurmJobState> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> fields;
    std::istringstream f(line);
    for (std::string field; std::getline(f, field, '|');) fields.push_back(field);
    if (fields.size() < 2) continue;
    std::smatch m;
    const std::string id = fields[0];
    if (!std::regex_match(id, m, id_re)) continue;  // a header, or a job step (12_3.batch)
    SlurmJobState s;
    s.job = m[1];
    // sacct writes "CANCELLED by 0": the state is the first word.
    s.state = fields[1].substr(0, fields[1].find(' '));
    s.detail = fields.size() > 2 ? fields[2] : "";
    s.node = fields.size() > 3 ? fields[3] : "";
    const std::string task = m[2];
    if (task.empty()) {
      out.push_back(s);
    } else if (task[0] == '[') {
      for (int t : expand_tasks(task.substr(1, task.size() - 2))) {
        s.task = t;
        out.push_back(s);
      }
    } else {
      s.task = std::stoi(task);
      out.push_back(s);
    }
  }
  return out;
}

bool job_active(const std::string& state) {
  static const std::set<std::string> active = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED",
                                               "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SUSPENDED", "STAGE_OUT",
                                               "SIGNALING", "STOPPED", "RESV_DEL_HOLD", "SPECIAL_EXIT"};
  return active.count(state) > 0;
}

// Job states of the given jobs: sacct where accounting works (it keeps finished
// jobs), else squeue (finished jobs only for MinJobAge). `source` says which.
static std::vector<SlurmJobState> query_jobs(const std::vector<std::string>& ids, std::string* source) {
  if (ids.empty()) {
    *source = "no jobs submitted yet";
    return {};
  }
  std::string list;
  for (const auto& id : ids) {
    if (!list.empty()) list += ',';
    list += id;
  }
  const CommandResult sacct =
      run_command({"sacct", "-n", "-P", "-X", "-j", list, "-o", "JobID,State,ExitCode,NodeList"});
  if (sacct.started && sacct.exit_status == 0) {
    *source = "sacct";
    return parse_job_table(sacct.output);
  }
  const CommandResult squeue = run_command({"squeue", "-h", "-t", "all", "-j", list, "-o", "%i|%T|%r|%N"});
  if (squeue.started && squeue.exit_status == 0) {
    std::string why = sacct.errors.empty() ? sacct.output : sacct.errors;
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    why = printable(why, 120);
    *source = "squeue (sacct: " + (sacct.started ? (why.empty() ? "failed" : why) : "not installed") +
              "; finished jobs leave squeue after the cluster's MinJobAge)";
    return parse_job_table(squeue.output);
  }
  *source = squeue.started ? "neither sacct nor squeue answered (" + printable(squeue.errors, 160) + ")"
                           : "Slurm's commands are not installed here (no sacct, no squeue)";
  return {};
}

static std::vector<std::string> submitted_job_ids(const std::vector<SlurmSubmission>& submissions) {
  std::vector<std::string> ids;
  for (const auto& s : submissions) {
    if (!s.array_job.empty()) ids.push_back(s.array_job);
    if (!s.merge_job.empty()) ids.push_back(s.merge_job);
  }
  return ids;
}

// The latest job state of shard `shard`: its task in the latest submission that ran it.
static const SlurmJobState* shard_job(const std::vector<SlurmSubmission>& submissions,
                                      const std::vector<SlurmJobState>& jobs, int shard) {
  for (auto s = submissions.rbegin(); s != submissions.rend(); ++s) {
    if (std::find(s->tasks.begin(), s->tasks.end(), shard) == s->tasks.end()) continue;
    for (const auto& j : jobs)
      if (j.job == s->array_job && j.task == shard) return &j;
    return nullptr;
  }
  return nullptr;
}

static int recorded_shard_count(const CampaignConfig& config, const std::vector<SlurmSubmission>& submissions,
                                int asked, const std::string& jobs_path) {
  const int recorded = submissions.empty() ? 0 : submissions.back().shard_count;
  if (asked > 0 && recorded > 0 && asked != recorded)
    throw Error("campaign '" + config.name + "' was submitted in " + std::to_string(recorded) + " shards (" +
                jobs_path + "), not " + std::to_string(asked) + ": its shard CSVs are of " +
                std::to_string(recorded) + "; drop --shards or give --shards " + std::to_string(recorded));
  if (asked > 0) return asked;
  if (recorded > 0) return recorded;
  throw Error("campaign '" + config.name + "' has no Slurm submission yet (" + jobs_path +
              " is missing): give the number of array tasks with --shards N");
}

// ---- submitting -----------------------------------------------------------------

static void write_text(const std::string& path, const std::string& text) {
  check_output_file(path, "'" + path + "'");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw WriteError("cannot write '" + path + "': check the folder's space and permissions");
  fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
}

static std::string sbatch(const std::vector<std::string>& argv) {
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
          return;
        }
  }

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

// ---- status ---------------------------------------------------------------------

std::string campaign_status_text(const CampaignConfig& config, int shard_count) {
  const SlurmFiles files = slurm_files(config.output);
  const auto submissions = read_submissions(files.jobs);
  std::string source;
  const auto jobs = query_jobs(submitted_job_ids(submissions), &source);
  return campaign_status_text(config, shard_count, jobs, source);
}

std::string campaign_status_text(const CampaignConfig& config, int shard_count, const std::vector<SlurmJobState>& jobs,
                                 const std::string& jobs_source) {
  const SlurmFiles files = slurm_files(config.output);
  const auto submissions = read_submissions(files.jobs);
  const int count = recorded_shard_count(config, submissions, shard_count, files.jobs);
  const auto progress = shard_progress(config, count);
  std::ostringstream out;
  size_t planned = 0, done = 0;
  for (const auto& p : progress) planned += p.planned, done += p.done;
  out << "campaign " << config.name << " (" << config.path << "): " << done << " of " << planned << " points in "
      << count << " shards\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-7s %-11s %-10s %s\n", "shard", "points", "slurm", "output");
  out << line;
  for (const auto& p : progress) {
    const SlurmJobState* job = shard_job(submissions, jobs, p.shard.index);
    const std::string shard = std::to_string(p.shard.index) + "/" + std::to_string(count);
    const std::string points = std::to_string(p.done) + "/" + std::to_string(p.planned);
    std::string note = p.complete() ? "complete" : "";
    if (!p.problem.empty()) note = "unreadable: " + p.problem;
    if (!p.holder.empty()) note += std::string(note.empty() ? "" : ", ") + "in use by " + p.holder;
    if (job && !job->node.empty() && job->node != "(null)" && job->node != "None assigned")
      note += std::string(note.empty() ? "" : ", ") + "node " + job->node;
    if (job && !job->detail.empty() && job->detail != "None" && job->detail != "0:0")
      note += std::string(note.empty() ? "" : ", ") + job->detail;
    std::snprintf(line, sizeof line, "%-7s %-11s %-10s %s%s\n", shard.c_str(), points.c_str(),
                  job ? job->state.c_str() : "-", p.output.c_str(), note.empty() ? "" : ("  (" + note + ")").c_str());
    out << line;
  }
  const SlurmSubmission* last = submissions.empty() ? nullptr : &submissions.back();
  if (last && !last->merge_job.empty()) {
    std::string state = "unknown";
    for (const auto& j : jobs)
      if (j.job == last->merge_job && j.task == 0) state = j.state;
    out << "merge job " << last->merge_job << ": " << state << "\n";
  }
  std::error_code ec;
  if (fs::exists(config.output, ec)) {
    try {
      out << "merged " << config.output << ": " << read_results(config.output).size() << " rows\n";
    } catch (const std::exception& e) {
      out << "merged " << config.output << ": unreadable (" << e.what() << ")\n";
    }
  } else {
    out << "merged " << config.output << ": not yet written\n";
  }
  out << "job states from " << jobs_source << "\n";
  return out.str();
}

}  // namespace nicenergy
