// Campaigns on Slurm without a cluster: the sbatch files (checked by bash and
// run with a stand-in for nicenergy, so the command each task runs is seen),
// the job ids sbatch prints, squeue/sacct tables, the jobs file, per-shard
// progress and status, and the CLI's dry run and errors. The real cluster is
// exercised by tests/slurm/run.sh (CI's Slurm stage).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "campaign/campaign.h"
#include "campaign/slurm.h"
#include "io/files.h"
#include "platform/subprocess.h"
#include "protocol/results_csv.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace nicenergy;
using test_util::slurp;
using test_util::spit;

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A campaign of 2 networks x 3 sizes = 6 points, output in the temp folder.
struct SlurmCampaign : test_util::TempDir {
  CampaignConfig config;
  explicit SlurmCampaign(const std::string& device = "cpu") : test_util::TempDir("slurm") {
    const std::string images = fs::absolute("data/images").string();
    spit(file("c.toml"), "[campaign]\nname = \"s\"\noutput = \"" + file("res/out.csv") + "\"\ndevice = \"" + device +
                             "\"\nmeter = \"estimate\"\nmodels = [\"Bfac\", \"Bhyp\"]\nlevels = [\"low\"]\n"
                             "[protocol]\nidle_s = 1\nwindow_s = 0.2\nk_min = 2\nk_max = 3\n"
                             "[[images]]\nsizes = [\"64x64\", \"128x64\", \"128x128\"]\nfrom = \"" + images +
                             "\"\nmethod = \"mosaic\"\n");
    config = load_campaign_config(file("c.toml"));
  }
  SlurmSettings settings() const {
    SlurmSettings s;
    s.nicenergy = file("fake-nicenergy");
    s.workdir = path.string();
    return s;
  }
  // A stand-in for the binary: prints its arguments, one per line.
  void write_fake_binary() const {
    spit(file("fake-nicenergy"), "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
    fs::permissions(file("fake-nicenergy"), fs::perms::owner_all);
  }
};

MeasurementRecord row_of(const CampaignPoint& p) {
  MeasurementRecord r;
  r.network = p.subject.name;
  r.abbr = p.subject.abbr;
  r.quality = p.subject.quality;
  r.level = p.level;
  r.image = p.image.label;
  r.width = p.image.width;
  r.height = p.image.height;
  r.pixels = int64_t(r.width) * r.height;
  r.energy_j = 1.5;
  r.meter = "estimate";
  r.method = "estimate";
  r.device = "cpu";
  r.started_at = "2026-11-24T00:00:00Z";
  return r;
}

// Writes the first `rows` points of shard i/n into its CSV.
void write_shard_rows(const CampaignConfig& config, Shard shard, size_t rows) {
  const auto points = shard_points(plan_campaign(config), shard);
  for (size_t i = 0; i < rows && i < points.size(); ++i)
    append_record(shard_output_path(config.output, shard), row_of(points[i]));
}

}  // namespace

TEST(Slurm, ArraySpec) {
  EXPECT_EQ(array_spec({1, 2, 3}, 0), "1-3");
  EXPECT_EQ(array_spec({1, 2, 3}, 2), "1-3%2");
  EXPECT_EQ(array_spec({2, 5}, 0), "2,5");
  EXPECT_EQ(array_spec({4}, 1), "4%1");
}

TEST(Slurm, FilesSitBesideTheOutput) {
  const SlurmFiles f = slurm_files("results/x.csv");
  EXPECT_EQ(f.folder, "results/x.slurm");
  EXPECT_EQ(f.shards_script, "results/x.slurm/shards.sbatch");
  EXPECT_EQ(f.merge_script, "results/x.slurm/merge.sbatch");
  EXPECT_EQ(f.jobs, "results/x.slurm/jobs.txt");
  EXPECT_EQ(fit_output_path("results/x.csv"), "results/x-fit.json");
}

TEST(Slurm, ShardsScriptIsValidAndRunsTheTasksShard) {
  SlurmCampaign c;
  c.write_fake_binary();
  SlurmSettings s = c.settings();
  s.partition = "gpu";
  s.time = "01:30:00";
  s.array_max = 2;
  s.threads = 4;
  s.sbatch_args = {"--account=proj", "--mem=4G"};
  const std::string text = shards_sbatch(c.config, s, 3, {1, 2, 3});
  for (const std::string& line : std::vector<std::string>{"#SBATCH --array=1-3%2\n", "#SBATCH --ntasks=1\n", "#SBATCH --requeue\n",
                                 "#SBATCH --partition=gpu\n", "#SBATCH --time=01:30:00\n",
                                 "#SBATCH --account=proj\n", "#SBATCH --mem=4G\n", "#SBATCH --open-mode=append\n",
                                 "#SBATCH --output=" + c.file("res/out.slurm/logs/shard-%a.out") + "\n"})
    EXPECT_TRUE(has(text, line)) << line << " missing in\n" << text;
  EXPECT_FALSE(has(text, "--gpus-per-task")) << "a CPU campaign asks for no GPU";
  // #SBATCH lines must come before the first command, or sbatch ignores them.
  EXPECT_LT(text.rfind("#SBATCH"), text.find("set -euo pipefail"));
  spit(c.file("shards.sbatch"), text);
  EXPECT_EQ(run_command({"bash", "-n", c.file("shards.sbatch")}, true).exit_status, 0);

  // What task 2 runs: the shard runner on its shard, from the working folder.
  const CommandResult r =
      run_command({"env", "SLURM_ARRAY_TASK_ID=2", "SLURM_JOB_ID=77", "bash", c.file("shards.sbatch")}, true);
  ASSERT_EQ(r.exit_status, 0) << r.output;
  EXPECT_TRUE(has(r.output, "shard 2/3: job 77 on ")) << r.output;
  EXPECT_TRUE(has(r.output, "\ncampaign\n" + c.file("c.toml") + "\n--shard\n2/3\n--threads\n4\n")) << r.output;
}

TEST(Slurm, GpusPerTask) {
  SlurmCampaign cuda("cuda");
  EXPECT_TRUE(has(shards_sbatch(cuda.config, cuda.settings(), 2, {1, 2}), "#SBATCH --gpus-per-task=1\n"));
  SlurmSettings s = cuda.settings();
  s.gpus_per_task = 2;
  EXPECT_TRUE(has(shards_sbatch(cuda.config, s, 2, {1, 2}), "#SBATCH --gpus-per-task=2\n"));
  s.gpus_per_task = 0;
  EXPECT_FALSE(has(shards_sbatch(cuda.config, s, 2, {1, 2}), "--gpus-per-task"));
}

TEST(Slurm, MergeScriptJoinsEveryShardThenFits) {
  SlurmCampaign c;
  c.write_fake_binary();
  const std::string text = merge_sbatch(c.config, c.settings(), 3);
  spit(c.file("merge.sbatch"), text);
  const CommandResult r = run_command({"bash", c.file("merge.sbatch")}, true);
  ASSERT_EQ(r.exit_status, 0) << r.output;
  const std::string out = c.file("res/out.csv");
  EXPECT_EQ(r.output, "campaign\nmerge\n" + c.file("res/out.shard1of3.csv") + "\n" + c.file("res/out.shard2of3.csv") +
                          "\n" + c.file("res/out.shard3of3.csv") + "\n--output\n" + out + "\nfit\n" + out +
                          "\n--output\n" + c.file("res/out-fit.json") + "\n");
}

TEST(Slurm, BadSbatchArgumentsAreRefused) {
  SlurmCampaign c;
  SlurmSettings s = c.settings();
  s.sbatch_args = {"--mem=4G\nrm -rf /"};
  EXPECT_TRUE(has(test_util::error_of([&] { shards_sbatch(c.config, s, 2, {1, 2}); }), "line break"));
  s.sbatch_args = {"account=x"};
  EXPECT_TRUE(has(test_util::error_of([&] { merge_sbatch(c.config, s, 2); }), "is not an sbatch option"));
  s.sbatch_args = {};
  s.time = "1:00\n";
  EXPECT_TRUE(has(test_util::error_of([&] { merge_sbatch(c.config, s, 2); }), "--time"));
}

TEST(Slurm, SbatchJobId) {
  EXPECT_EQ(parse_sbatch_job_id("123\n"), "123");
  EXPECT_EQ(parse_sbatch_job_id("4567;cluster\n"), "4567");
  EXPECT_EQ(parse_sbatch_job_id("sbatch: warning: something\n89\n"), "89");
  EXPECT_TRUE(has(test_util::error_of([] { parse_sbatch_job_id("Submitted batch job\n"); }), "where a job id"));
  EXPECT_TRUE(has(test_util::error_of([] { parse_sbatch_job_id(""); }), "where a job id"));
}

TEST(Slurm, JobTableFromSqueueAndSacct) {
  const auto squeue = parse_job_table(
      "12_[3-4,6%2]|PENDING|JobArrayTaskLimit|\n12_2|RUNNING|None|node7\n13|PENDING|Dependency|\n");
  ASSERT_EQ(squeue.size(), 5u);
  EXPECT_EQ(squeue[0].job, "12");
  EXPECT_EQ(squeue[0].task, 3);
  EXPECT_EQ(squeue[1].task, 4);
  EXPECT_EQ(squeue[2].task, 6);
  EXPECT_EQ(squeue[2].detail, "JobArrayTaskLimit");
  EXPECT_EQ(squeue[3].task, 2);
  EXPECT_EQ(squeue[3].state, "RUNNING");
  EXPECT_EQ(squeue[3].node, "node7");
  EXPECT_EQ(squeue[4].task, 0);
  EXPECT_EQ(squeue[4].detail, "Dependency");

  const auto sacct =
      parse_job_table("JobID|State|ExitCode|NodeList\n12_1|CANCELLED by 0|0:15|node7\n12_1.batch|CANCELLED|0:15|node7\n"
                      "12_2|COMPLETED|0:0|node8\n");
  ASSERT_EQ(sacct.size(), 2u);
  EXPECT_EQ(sacct[0].state, "CANCELLED");
  EXPECT_EQ(sacct[0].detail, "0:15");
  EXPECT_EQ(sacct[1].state, "COMPLETED");
  EXPECT_TRUE(job_active("PENDING"));
  EXPECT_TRUE(job_active("RUNNING"));
  EXPECT_FALSE(job_active("COMPLETED"));
  EXPECT_FALSE(job_active("CANCELLED"));
}

TEST(Slurm, JobsFileRoundTripAndErrors) {
  SlurmCampaign c;
  SlurmSubmission a{3, "12", {1, 2, 3}, "13", "2026-11-24T06:00:00Z"};
  SlurmSubmission b{3, "", {}, "20", "2026-11-24T07:00:00Z"};
  spit(c.file("jobs.txt"), format_submission(a) + format_submission(b));
  const auto read = read_submissions(c.file("jobs.txt"));
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].array_job, "12");
  EXPECT_EQ(read[0].tasks, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(read[0].merge_job, "13");
  EXPECT_EQ(read[1].shard_count, 3);
  EXPECT_TRUE(read[1].array_job.empty());
  EXPECT_TRUE(read[1].tasks.empty());
  spit(c.file("bad.txt"), format_submission(a) + "array x shards 3\n");
  const std::string e = test_util::error_of([&] { read_submissions(c.file("bad.txt")); });
  EXPECT_TRUE(has(e, "bad.txt' line 2")) << e;
}

TEST(Slurm, ShardProgressAndStatus) {
  SlurmCampaign c;
  // 6 points in 3 shards of 2: shard 1 complete, shard 2 half, shard 3 not started.
  write_shard_rows(c.config, {1, 3}, 2);
  write_shard_rows(c.config, {2, 3}, 1);
  const auto progress = shard_progress(c.config, 3);
  ASSERT_EQ(progress.size(), 3u);
  EXPECT_EQ(progress[0].planned, 2u);
  EXPECT_EQ(progress[0].done, 2u);
  EXPECT_TRUE(progress[0].complete());
  EXPECT_EQ(progress[1].done, 1u);
  EXPECT_FALSE(progress[1].complete());
  EXPECT_EQ(progress[2].done, 0u);

  fs::create_directories(c.file("res/out.slurm"));
  spit(c.file("res/out.slurm/jobs.txt"), format_submission({3, "12", {1, 2, 3}, "13", "t"}));
  const OutputLock lock(progress[1].output, "results file");
  const std::string text = campaign_status_text(
      c.config, 0, parse_job_table("12_1|COMPLETED|0:0|n1\n12_2|RUNNING|None|n2\n13|PENDING|Dependency|\n"), "test");
  EXPECT_TRUE(has(text, ": 3 of 6 points in 3 shards")) << text;
  EXPECT_TRUE(has(text, "1/3     2/2         COMPLETED")) << text;
  EXPECT_TRUE(has(text, "2/3     1/2         RUNNING")) << text;
  EXPECT_TRUE(has(text, "in use by pid " + std::to_string(::getpid()))) << text;
  EXPECT_TRUE(has(text, "3/3     0/2         -")) << text;
  EXPECT_TRUE(has(text, "merge job 13: PENDING")) << text;
  EXPECT_TRUE(has(text, "not yet written")) << text;
  // Another count than submitted would read other shard files: refused.
  EXPECT_TRUE(has(test_util::error_of([&] { campaign_status_text(c.config, 2, {}, "test"); }), "drop --shards"));
}

TEST(Slurm, ResumeResubmitsOnlyIncompleteShards) {
  SlurmCampaign c;
  write_shard_rows(c.config, {1, 3}, 2);
  write_shard_rows(c.config, {2, 3}, 1);
  fs::create_directories(c.file("res/out.slurm"));
  // Job ids no cluster here knows: squeue/sacct, where installed, find nothing active.
  spit(c.file("res/out.slurm/jobs.txt"), format_submission({3, "987654321", {1, 2, 3}, "987654322", "t"}));
  SlurmRunOptions options;
  options.settings = c.settings();
  options.resume = true;
  options.dry_run = true;
  std::ostringstream out;
  submit_slurm_campaign(c.config, options, out);
  const std::string text = out.str();
  EXPECT_FALSE(has(text, "shard 1/3")) << text;
  EXPECT_TRUE(has(text, "shard 2/3: 1 of 2 points, resubmitted")) << text;
  EXPECT_TRUE(has(text, "shard 3/3: 0 of 2 points, resubmitted")) << text;
  EXPECT_TRUE(has(text, "#SBATCH --array=2-3\n")) << text;
  EXPECT_TRUE(has(text, "--dependency=afterok:ARRAY_JOB")) << text;
  EXPECT_FALSE(fs::exists(c.file("res/out.slurm/shards.sbatch"))) << "a dry run writes nothing";

  // A shard whose lock is held (its task is still at work) is left alone.
  const OutputLock lock(shard_output_path(c.config.output, {3, 3}), "results file");
  std::ostringstream again;
  submit_slurm_campaign(c.config, options, again);
  EXPECT_TRUE(has(again.str(), "holds its lock, not resubmitted")) << again.str();
  EXPECT_TRUE(has(again.str(), "#SBATCH --array=2\n")) << again.str();
}

TEST(SlurmCli, DryRunPrintsScriptsAndErrorsAreOneLine) {
  SlurmCampaign c;
  const Result r = run_cli("campaign " + c.file("c.toml") + " --slurm --shards 3 --dry-run --partition debug "
                           "--sbatch-arg=--mem=1G --sbatch-arg=--account=abc");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "#SBATCH --array=1-3\n")) << r.out;
  EXPECT_TRUE(has(r.out, "#SBATCH --mem=1G\n#SBATCH --account=abc\n")) << r.out;
  EXPECT_TRUE(has(r.out, "#SBATCH --partition=debug\n")) << r.out;
  EXPECT_TRUE(has(r.out, "campaign merge")) << r.out;
  EXPECT_TRUE(has(r.out, "sbatch --parsable " + c.file("res/out.slurm/shards.sbatch"))) << r.out;
  EXPECT_FALSE(fs::exists(c.file("res/out.slurm"))) << "a dry run writes nothing";

  expect_one_line_error("campaign " + c.file("c.toml") + " --slurm", "--slurm needs --shards N");
  expect_one_line_error("campaign " + c.file("c.toml") + " --slurm --shards 7", "more than the campaign's 6 points");
  expect_one_line_error("campaign " + c.file("c.toml") + " --resume", "--resume goes with --slurm");
  expect_one_line_error("campaign " + c.file("c.toml") + " --slurm --shards 2 --shard 1/2", "--shard does not go");
  expect_one_line_error("campaign " + c.file("c.toml") + " --slurm --resume --dry-run", "give the number of array tasks");
  expect_one_line_error("campaign status " + c.file("c.toml"), "has no Slurm submission yet");
}

TEST(SlurmCli, StatusWithShardsGiven) {
  SlurmCampaign c;
  write_shard_rows(c.config, {1, 2}, 3);
  const Result r = run_cli("campaign status " + c.file("c.toml") + " --shards 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, ": 3 of 6 points in 2 shards")) << r.out;
  EXPECT_TRUE(has(r.out, "1/2     3/3")) << r.out;
  EXPECT_TRUE(has(r.out, "job states from no jobs submitted yet")) << r.out;
}
