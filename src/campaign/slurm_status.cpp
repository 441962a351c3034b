// The status of a campaign's shards and Slurm jobs.
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

#include "campaign/slurm_queries.h"

namespace fs = std::filesystem;

namespace nicenergy {

using namespace slurm_detail;

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
