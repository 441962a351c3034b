// The outputs of `nicenergy lifecycle`: the E_full and CO2e tables, JSON, CSV,
// and the figure of E_full over N on log axes (gnuplot, SVG and PNG). Every
// output says "estimate" where a CPU estimate meter's numbers went in.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "modeling/lifecycle.h"
#include "modeling/training_prediction.h"
#include "report/text_table.h"

namespace nicenergy {

// One codec's training energy from its training CSV: measured, and predicted
// where a schedule was asked for.
struct TrainingEstimate {
  std::string codec;  // "Bfac q1"
  TrainingEnergy measured;
  std::optional<TrainingPrediction> predicted;
};
// Per codec: measured total, energy per iteration +- its interval, and the
// prediction for the schedule (E_train with its interval).
TextTable training_energy_table(const std::vector<TrainingEstimate>& training);
nlohmann::json training_json(const std::vector<TrainingEstimate>& training);

// Per codec: E_train with its interval and source, E_infer, E_full at each N, label.
TextTable lifecycle_energy_table(const LifecycleResult& result);
// Per codec: CO2e of training and at each N.
TextTable lifecycle_co2e_table(const LifecycleResult& result);
// One row a pair: N*, or which codec dominates.
TextTable break_even_table(const LifecycleResult& result);
// One row per codec and N (long form), for --output X.csv.
TextTable lifecycle_long_table(const LifecycleResult& result);

// Everything, with the model, the carbon settings and their sources, and `notes`.
nlohmann::json to_json(const LifecycleResult& result, const std::vector<std::string>& notes);

// DIR/lifecycle.{dat,gp} and, through gnuplot, .svg and .png. Returns the files
// drawn; *warning gets why the figure was not drawn (gnuplot missing or failing;
// the script stays). Throws Error when the folder cannot be written.
std::vector<std::string> write_lifecycle_plot(const LifecycleResult& result, const std::string& dir,
                                              const std::string& gnuplot, std::string* warning);

}  // namespace nicenergy
