// Campaigns on a Slurm cluster: the existing shards (--shard I/N) as one array
// job of N tasks, and a job that depends on it to merge the shards and fit.
// nicenergy writes plain sbatch files beside the output and submits them with
// sbatch; Slurm schedules, places GPUs (CUDA_VISIBLE_DEVICES) and requeues.
// Resume, locks and per-point rows are the shard runner's own (run.cpp): a task
// that is preempted, killed or rerun carries on from its shard CSV.
//
// Beside results/x.csv, in results/x.slurm/:
//   shards.sbatch  the array job (task I runs `nicenergy campaign CONFIG --shard I/N`)
//   merge.sbatch   `campaign merge` of the N shard CSVs into results/x.csv, then `fit`
//   jobs.txt       one line per submission (array and merge job ids, the shards)
//   logs/          each task's and the merge job's output
// Torch-free.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "campaign/campaign.h"

namespace nicenergy {

struct SlurmSettings {
  int shards = 0;          // array tasks N; 0: as last submitted (resume), else an error
  int gpus_per_task = -1;  // -1: 1 when the config's device is CUDA, 0 on the CPU
  std::string partition;   // "" : the cluster's default
  std::string time;        // time limit per task ("02:00:00"); "": the partition's
  int array_max = 0;       // most tasks running at once (--array=...%N); 0: no limit
  std::vector<std::string> sbatch_args;  // more sbatch options, one #SBATCH line each
  int threads = 0;         // --threads for the tasks (0: not given, one per core)
  std::string nicenergy;   // absolute path of the binary the jobs run
  std::string workdir;     // absolute folder the jobs run in (outputs are relative to it)
};

struct SlurmFiles {
  std::string folder, shards_script, merge_script, jobs, logs;
};
// results/x.csv -> results/x.slurm/...
SlurmFiles slurm_files(const std::string& output);

// The --array value: "1-3", "1-3%2", "2,5", "2,5%1".
std::string array_spec(const std::vector<int>& shards, int array_max);

// The sbatch files' text. shards: the array's tasks (1-based shard indices).
std::string shards_sbatch(const CampaignConfig& config, const SlurmSettings& settings, int shard_count,
                          const std::vector<int>& shards);
std::string merge_sbatch(const CampaignConfig& config, const SlurmSettings& settings, int shard_count);
// results/x.csv -> results/x-fit.json, what the merge job's fit writes.
std::string fit_output_path(const std::string& output);

// Progress of each shard from its CSV.
struct ShardProgress {
  Shard shard;
  std::string output;   // the shard's CSV
  size_t planned = 0;   // points of this shard
  size_t done = 0;      // of them, rows in its CSV
  std::string holder;   // who holds its lock now ("pid 12 on node3"), "" when nobody
  std::string problem;  // the CSV could not be read: why
  bool complete() const { return problem.empty() && done == planned; }
};
std::vector<ShardProgress> shard_progress(const CampaignConfig& config, int shard_count);

// jobs.txt: "array 123 shards 3 tasks 1,2,3 merge 124 at 2026-11-24T06:00:00Z".
struct SlurmSubmission {
  int shard_count = 0;
  std::string array_job;
  std::vector<int> tasks;
  std::string merge_job;
  std::string submitted_at;
};
std::string format_submission(const SlurmSubmission& s);
// Throws Error naming the file and line on a line it cannot read.
std::vector<SlurmSubmission> read_submissions(const std::string& path);

// The job id from `sbatch --parsable` ("123" or "123;cluster"); throws Error otherwise.
std::string parse_sbatch_job_id(const std::string& output);

// One job or array task as squeue or sacct lists it, from lines
// "JOBID|STATE|REASON|NODES" (squeue -o '%i|%T|%r|%N', sacct -P -o
// JobID,State,ExitCode,NodeList). JOBID "12_3" is task 3 of array 12; a pending
// group "12_[1-3,5%2]" gives one entry per task. Lines that do not parse are skipped.
struct SlurmJobState {
  std::string job;   // the (array) job id
  int task = 0;      // array task, 0 when not an array task
  std::string state;  // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, ...
  std::string detail;  // squeue's reason or sacct's exit code
  std::string node;
};
std::vector<SlurmJobState> parse_job_table(const std::string& text);
// Still to run or running: PENDING, RUNNING, CONFIGURING, COMPLETING, REQUEUED, SUSPENDED ...
bool job_active(const std::string& state);

struct SlurmRunOptions {
  SlurmSettings settings;
  bool resume = false;   // only the incomplete shards
  bool dry_run = false;  // print the scripts and the sbatch lines, submit nothing
};

// Writes the scripts and submits them (unless dry_run), printing what it does
// and the job ids to out. Throws Error when sbatch is missing or refuses.
void submit_slurm_campaign(const CampaignConfig& config, const SlurmRunOptions& options, std::ostream& out);

// `campaign status`: per-shard progress from the CSVs, the merged output, and
// the jobs' states from sacct, else squeue (said which, or that neither answered).
// shard_count 0: as last submitted.
std::string campaign_status_text(const CampaignConfig& config, int shard_count);
// The same, with the job table given (tests): jobs_source names where it came from.
std::string campaign_status_text(const CampaignConfig& config, int shard_count, const std::vector<SlurmJobState>& jobs,
                                 const std::string& jobs_source);

}  // namespace nicenergy
