// Campaigns on Slurm: the sbatch files, the jobs file, and what sbatch, sacct
// and squeue print (submitting: slurm_submit.cpp; status: slurm_status.cpp;
// the queries both make: slurm_queries.cpp).
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
#include "campaign/slurm_queries.h"

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

namespace slurm_detail {

void check_settings(const SlurmSettings& s) {
  check_sbatch_word("--partition", s.partition);
  check_sbatch_word("--time", s.time);
  for (const auto& a : s.sbatch_args) {
    check_sbatch_word("--sbatch-arg", a);
    if (a.rfind("-", 0) != 0)
      throw Error("--sbatch-arg '" + printable(a) + "' is not an sbatch option: write it like --sbatch-arg=--account=abc");
  }
  if (s.nicenergy.empty() || s.workdir.empty()) throw Error("Slurm settings lack the binary or the working folder");
}

}  // namespace slurm_detail

using slurm_detail::check_settings;

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

}  // namespace nicenergy
