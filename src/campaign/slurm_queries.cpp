#include "campaign/slurm_queries.h"

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

namespace nicenergy::slurm_detail {

std::vector<SlurmJobState> query_jobs(const std::vector<std::string>& ids, std::string* source) {
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

std::vector<std::string> submitted_job_ids(const std::vector<SlurmSubmission>& submissions) {
  std::vector<std::string> ids;
  for (const auto& s : submissions) {
    if (!s.array_job.empty()) ids.push_back(s.array_job);
    if (!s.merge_job.empty()) ids.push_back(s.merge_job);
  }
  return ids;
}

const SlurmJobState* shard_job(const std::vector<SlurmSubmission>& submissions,
                                      const std::vector<SlurmJobState>& jobs, int shard) {
  for (auto s = submissions.rbegin(); s != submissions.rend(); ++s) {
    if (std::find(s->tasks.begin(), s->tasks.end(), shard) == s->tasks.end()) continue;
    for (const auto& j : jobs)
      if (j.job == s->array_job && j.task == shard) return &j;
    return nullptr;
  }
  return nullptr;
}

int recorded_shard_count(const CampaignConfig& config, const std::vector<SlurmSubmission>& submissions,
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

}  // namespace nicenergy::slurm_detail
