#include "report/op_tables.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <sstream>

#include "error.h"

namespace nicenergy {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? "x" : "") + std::to_string(shape[i]);
  return text;
}

}  // namespace

std::string format_operator_count(const OpCount& count, int64_t pixels, const std::string& model,
                                  const std::string& format) {
  if (pixels <= 0) throw Error("operator count: no pixels to divide by");
  const double per_px = 1e-3 / static_cast<double>(pixels);  // MAC -> kMAC per pixel
  std::ostringstream out;
  if (format == "json") {
    nlohmann::json j;
    j["model"] = model;
    j["pixels"] = pixels;
    j["kmac_per_px"] = count.macs() * per_px;
    j["kmac_per_px_conv"] = count.convolution_macs() * per_px;
    j["operators"] = nlohmann::json::array();
    for (const auto& op : count.ops)
      j["operators"].push_back({{"op", op.op}, {"kind", to_string(op.kind)}, {"input", op.input_shape},
                                {"weight", op.weight_shape}, {"output", op.output_shape}, {"calls", op.calls},
                                {"macs", op.macs}, {"kmac_per_px", op.macs * per_px}});
    j["not_counted"] = count.other_calls;
    out << j.dump(2) << "\n";
    return out.str();
  }
  if (format == "csv") {
    out << "op,kind,input,weight,output,calls,macs,kmac_per_px\n";
    for (const auto& op : count.ops)
      out << op.op << ',' << to_string(op.kind) << ',' << shape_text(op.input_shape) << ','
          << shape_text(op.weight_shape) << ',' << shape_text(op.output_shape) << ',' << op.calls << ','
          << op.macs << ',' << op.macs * per_px << "\n";
    return out.str();
  }
  if (format != "table") throw Error("format '" + format + "' is unknown: use table, csv or json");
  char line[512];
  std::snprintf(line, sizeof line, "%-22s %-14s %-18s %-16s %-18s %6s %10s\n", "operator", "kind", "input", "weight",
                "output", "calls", "kMAC/px");
  out << line;
  for (const auto& op : count.ops) {
    std::snprintf(line, sizeof line, "%-22s %-14s %-18s %-16s %-18s %6lld %10.3f\n", op.op.c_str(),
                  to_string(op.kind).c_str(), shape_text(op.input_shape).c_str(), shape_text(op.weight_shape).c_str(),
                  shape_text(op.output_shape).c_str(), static_cast<long long>(op.calls), op.macs * per_px);
    out << line;
  }
  std::snprintf(line, sizeof line,
                "%s: %.3f kMAC per pixel (convolutions %.3f, of which transposed %.3f; linear %.3f; matmul %.3f), "
                "%lld pixels\n",
                model.c_str(), count.macs() * per_px, count.convolution_macs() * per_px,
                count.macs(OpKind::transposed_convolution) * per_px, count.macs(OpKind::linear) * per_px,
                count.macs(OpKind::matmul) * per_px, static_cast<long long>(pixels));
  out << line;
  if (!count.other_calls.empty()) {
    out << "not counted:";
    for (const auto& [name, calls] : count.other_calls) out << " " << name << " x" << calls;
    out << "\n";
  }
  return out.str();
}

}  // namespace nicenergy
