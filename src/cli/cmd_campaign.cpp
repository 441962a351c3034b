// campaign (+ status, merge, --slurm): many measurements into one results CSV.

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "campaign/codec_campaign.h"
#include "campaign/slurm.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "error.h"
#include "io/files.h"
#include "protocol/results_csv.h"

namespace nicenergy::cli {
namespace {

struct CampaignParams {
  std::vector<std::string> configs;
  bool dry_run = false;
  std::string shard = "1/1";
  std::string output;
  bool no_resume = false;
  int threads = 0;
  // --slurm: the shards as a Slurm array job (src/campaign/slurm.h)
  bool slurm = false;
  bool resume = false;
  SlurmSettings slurm_settings;
};

std::string this_executable() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw Error("cannot find this program's path (/proc/self/exe) for the sbatch files");
  return self.string();
}

int run_slurm_campaign(const CampaignParams& p, const CampaignConfig& config) {
  if (p.shard != "1/1") throw Error("--shard does not go with --slurm: each array task takes its shard (--shards N)");
  if (!p.output.empty()) throw Error("--output does not go with --slurm: set `output` in the config");
  if (p.no_resume) throw Error("--no-resume does not go with --slurm: tasks always carry on from their shard CSVs");
  SlurmRunOptions options;
  options.settings = p.slurm_settings;
  options.settings.threads = p.threads;
  options.settings.nicenergy = this_executable();
  options.settings.workdir = std::filesystem::current_path().string();
  options.resume = p.resume;
  options.dry_run = p.dry_run;
  submit_slurm_campaign(config, options, std::cout);
  return 0;
}

int run_campaign_command(const CampaignParams& p) {
  if (p.configs.empty()) throw Error("campaign needs a config: nicenergy campaign CONFIG.toml (see configs/)");
  if (p.configs.size() > 1) throw Error("unexpected argument '" + p.configs[1] + "': one config at a time");
  const CampaignConfig config = load_campaign_config(p.configs[0]);
  for (const std::string& note : config.notes) std::fprintf(stderr, "note: %s\n", note.c_str());
  if (p.slurm) return run_slurm_campaign(p, config);
  if (p.resume) throw Error("--resume goes with --slurm (resubmit the incomplete shards); a campaign resumes by itself");
  CodecCampaignOptions options;
  options.campaign.shard = parse_shard(p.shard);
  options.campaign.dry_run = p.dry_run;
  options.campaign.resume = !p.no_resume;
  options.campaign.output = p.output;
  options.threads = p.threads;
  if (p.dry_run) {
    // dry_run_text refuses what the run refuses (output, errors log, replayed
    // trace); the trace folder is checked here, where its name is known.
    const std::string output = p.output.empty() ? shard_output_path(config.output, options.campaign.shard) : p.output;
    const std::string text = dry_run_text(config, options.campaign);
    check_output_folder(traces_folder(output), "trace folder '" + traces_folder(output) + "'");
    std::cout << text;
    return 0;
  }
  const CampaignSummary s = run_codec_campaign(config, options);  // prints its own summary
  if (s.failed) {
    std::printf("failures are listed in %s.errors; run the same command again to retry them\n", s.output.c_str());
    return 1;
  }
  return 0;
}

struct StatusParams {
  std::vector<std::string> configs;
  int shards = 0;
};

int run_status(const StatusParams& p) {
  if (p.configs.size() != 1) throw Error("campaign status needs one config: nicenergy campaign status CONFIG.toml");
  std::cout << campaign_status_text(load_campaign_config(p.configs[0]), p.shards);
  return 0;
}

struct MergeParams {
  std::vector<std::string> inputs;
  std::string output;
};

int run_merge(const MergeParams& p) {
  if (p.inputs.empty()) throw Error("campaign merge needs shard CSVs: campaign merge A.csv B.csv --output ALL.csv");
  if (p.output.empty()) throw Error("campaign merge needs --output RESULTS.csv");
  const MergeSummary s = merge_results(p.inputs, p.output);
  std::printf("merged %zu rows into %s (%zu duplicates dropped)\n", s.rows, p.output.c_str(), s.duplicates);
  return 0;
}

}  // namespace

void add_campaign_commands(CLI::App& app, Action& action) {
  CLI::App* campaign = add_command(app, "campaign", "networks x qualities x images into a results CSV (resumable, shardable)");
  campaign->footer("Appends one row per measurement to the results CSV, fsynced as it finishes; a restarted campaign\n"
                   "skips the rows already there. --shard I/N takes every N-th point (RESULTS.shardIofN.csv);\n"
                   "'campaign merge' joins shard CSVs in plan order. configs/example.toml documents every key.");
  auto cp = bind<CampaignParams>(campaign, action, run_campaign_command);
  campaign->add_option("config", cp->configs, "the campaign's TOML file")->type_name("CONFIG.toml");
  campaign->add_flag("--dry-run", cp->dry_run, "print the plan, what is done and a lower bound of the duration");
  campaign->add_option("--shard", cp->shard, "this machine's share of the points")->capture_default_str()->type_name("I/N");
  campaign->add_option("--output", cp->output, "results CSV instead of the config's")->type_name("RESULTS.csv");
  campaign->add_flag("--no-resume", cp->no_resume, "refuse a results CSV that already holds rows");
  add_threads(campaign, cp->threads);
  campaign->add_flag("--slurm", cp->slurm, "submit the shards as a Slurm array job, and a job that merges and fits");
  campaign->add_option("--shards", cp->slurm_settings.shards, "--slurm: array tasks (as last submitted on --resume)")
      ->type_name("N")
      ->check(whole_number("--shards", 1, 100000));
  campaign->add_flag("--resume", cp->resume, "--slurm: resubmit only the shards with points missing");
  campaign->add_option("--gpus-per-task", cp->slurm_settings.gpus_per_task,
                       "--slurm: GPUs per task (default 1 for a CUDA device, 0 on the CPU)")
      ->type_name("N")
      ->check(whole_number("--gpus-per-task", 0, 64));
  campaign->add_option("--partition", cp->slurm_settings.partition, "--slurm: the partition")->type_name("P");
  campaign->add_option("--time", cp->slurm_settings.time, "--slurm: time limit per task")->type_name("T");
  campaign->add_option("--array-max", cp->slurm_settings.array_max, "--slurm: most tasks running at once")
      ->type_name("N")
      ->check(whole_number("--array-max", 1, 100000));
  campaign->add_option("--sbatch-arg", cp->slurm_settings.sbatch_args,
                       "--slurm: another sbatch option for both jobs (--sbatch-arg=--account=abc); repeatable")
      ->type_name("ARG")
      ->allow_extra_args(false);

  CLI::App* status = add_command(*campaign, "status", "per-shard progress from the CSVs, and the Slurm jobs' states");
  auto sp = bind<StatusParams>(status, action, run_status);
  status->add_option("config", sp->configs, "the campaign's TOML file")->type_name("CONFIG.toml");
  status->add_option("--shards", sp->shards, "shards (default: as last submitted with --slurm)")
      ->type_name("N")
      ->check(whole_number("--shards", 1, 100000));

  CLI::App* merge = add_command(*campaign, "merge", "join shard CSVs in plan order, dropping duplicates");
  auto gp = bind<MergeParams>(merge, action, run_merge);
  merge->add_option("inputs", gp->inputs, "the shards' CSVs")->type_name("SHARD.csv");
  merge->add_option("--output", gp->output, "the merged CSV")->type_name("RESULTS.csv");
}

}  // namespace nicenergy::cli
