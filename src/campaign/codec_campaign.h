// A campaign of the codecs on one device and meter: the measurer run_campaign
// calls back, with the campaign's policy. The paper preheats once and then
// measures back to back; after each idle reference (the device has cooled) it
// preheats again. Each point's power trace goes beside the results
// (results/x.csv -> results/x-traces/NNNN-ABBR-qQ-WxH.csv) for Fig. 1 and for
// re-analysis offline with --meter replay:FILE.
#pragma once
#include <memory>
#include <string>

#include <torch/torch.h>

#include "campaign/campaign.h"
#include "meters/power_meter.h"

namespace nicenergy {

struct CodecCampaignOptions {
  CampaignOptions campaign;
  int threads = 0;  // LibTorch intra-op threads (0: one per core)
};

// Opens the config's meter for its device (the CPU estimate, said on stderr,
// where `auto` finds none), runs the campaign, and returns its summary.
CampaignSummary run_codec_campaign(const CampaignConfig& config, const CodecCampaignOptions& options);

}  // namespace nicenergy
