// What submitting and the status both ask of Slurm and of the jobs file.
#pragma once
#include <string>
#include <vector>

#include "campaign/slurm.h"

namespace nicenergy::slurm_detail {

// The settings sbatch will get: throws Error naming the option that is wrong.
void check_settings(const SlurmSettings& settings);
// Job states of the given jobs: sacct where accounting works (it keeps finished
// jobs), else squeue (finished jobs only for MinJobAge). `source` says which.
std::vector<SlurmJobState> query_jobs(const std::vector<std::string>& ids, std::string* source);
// The array and merge jobs of every submission.
std::vector<std::string> submitted_job_ids(const std::vector<SlurmSubmission>& submissions);
// The latest job state of shard `shard`: its task in the latest submission that ran it.
const SlurmJobState* shard_job(const std::vector<SlurmSubmission>& submissions, const std::vector<SlurmJobState>& jobs,
                               int shard);
// The shard count: as asked, else as last submitted; Error where they differ or neither is known.
int recorded_shard_count(const CampaignConfig& config, const std::vector<SlurmSubmission>& submissions, int asked,
                         const std::string& jobs_path);

}  // namespace nicenergy::slurm_detail
