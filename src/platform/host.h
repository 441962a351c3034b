// What the host machine is, as the operating system tells it: the meters put
// it into every record's device state.
#pragma once
#include <string>

namespace nicenergy {

// The CPU's name from the first "model name" line of cpuinfo_path
// ("AMD EPYC 7B13 64-Core Processor"); empty where there is none (not Linux,
// or an architecture whose cpuinfo names it otherwise).
std::string cpu_model(const std::string& cpuinfo_path = "/proc/cpuinfo");

// The node this process runs on, for the record's `node` column: in a Slurm
// job the name Slurm gives it (SLURMD_NODENAME, as squeue and sacct show it),
// elsewhere the host name.
std::string node_name();

// The Slurm job this process runs in, for the record's `slurm_job` column, as
// squeue, sacct and scancel name it: "1234_2" for task 2 of array job 1234
// (SLURM_ARRAY_JOB_ID, SLURM_ARRAY_TASK_ID), else SLURM_JOB_ID; "" outside Slurm.
std::string slurm_job();

}  // namespace nicenergy
