#include "report/complexity_tables.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "error.h"

namespace nicenergy {

static std::string fixed(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

std::string format_zoo(const std::vector<Complexity>& rows, const std::string& format) {
  std::ostringstream out;
  if (format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : rows)
      list.push_back({{"network", c.network}, {"abbr", c.abbr}, {"quality", c.quality}, {"level", c.level},
                      {"N", c.n}, {"M", c.m}, {"padding", c.padding}, {"params", c.params},
                      {"kmac_per_px", c.kmac_per_px}, {"kmac_per_px_2nd", c.kmac_per_px_2nd},
                      {"kmac_per_px_encoder", c.kmac_per_px_encoder},
                      {"kmac_per_px_decoder", c.kmac_per_px_decoder},
                      {"kmac_per_px_with_gdn", c.kmac_per_px_with_gdn}});
    out << list.dump(2) << "\n";
  } else if (format == "csv") {
    out << "network,abbr,quality,level,N,M,padding,params,kmac_per_px,kmac_per_px_2nd,"
           "kmac_per_px_encoder,kmac_per_px_decoder,kmac_per_px_with_gdn\n";
    for (const auto& c : rows)
      out << c.network << ',' << c.abbr << ',' << c.quality << ',' << c.level << ',' << c.n << ',' << c.m << ','
          << c.padding << ',' << c.params << ',' << fixed(c.kmac_per_px, 3) << ',' << fixed(c.kmac_per_px_2nd, 3)
          << ',' << fixed(c.kmac_per_px_encoder, 3) << ',' << fixed(c.kmac_per_px_decoder, 3) << ','
          << fixed(c.kmac_per_px_with_gdn, 3) << "\n";
  } else if (format == "table") {
    char line[256];
    std::snprintf(line, sizeof line, "%-22s %-6s %2s %-5s %4s %4s %4s %11s %9s %9s %9s %9s %9s\n", "network", "abbr",
                  "q", "level", "N", "M", "pad", "params", "kMAC/px", "2nd", "encoder", "decoder", "with GDN");
    out << line;
    for (const auto& c : rows) {
      std::snprintf(line, sizeof line, "%-22s %-6s %2d %-5s %4d %4d %4d %11lld %9.2f %9.2f %9.2f %9.2f %9.2f\n",
                    c.network.c_str(), c.abbr.c_str(), c.quality, c.level.c_str(), c.n, c.m, c.padding,
                    static_cast<long long>(c.params), c.kmac_per_px, c.kmac_per_px_2nd, c.kmac_per_px_encoder,
                    c.kmac_per_px_decoder, c.kmac_per_px_with_gdn);
      out << line;
    }
  } else {
    throw Error("unknown format '" + format + "': use table, csv or json");
  }
  return out.str();
}

std::string format_layers(const Complexity& c, const std::string& format) {
  std::ostringstream out;
  if (format == "json") {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : c.layers)
      layers.push_back({{"name", l.layer.name}, {"type", to_string(l.layer.type)}, {"transform", l.transform},
                        {"in_channels", l.layer.in_channels}, {"out_channels", l.layer.out_channels},
                        {"kernel", l.layer.kernel}, {"stride", l.layer.stride}, {"scale", l.scale},
                        {"params", l.layer.params}, {"kmac_per_px", l.kmac_per_px},
                        {"activation_bytes_per_pixel", l.activation_bytes_per_pixel}, {"in_2nd", l.in_2nd}});
    nlohmann::json doc = {{"network", c.network}, {"abbr", c.abbr}, {"quality", c.quality}, {"level", c.level},
                          {"params", c.params}, {"kmac_per_px", c.kmac_per_px},
                          {"kmac_per_px_2nd", c.kmac_per_px_2nd}, {"kmac_per_px_with_gdn", c.kmac_per_px_with_gdn},
                          {"kmac_per_px_encoder", c.kmac_per_px_encoder},
                          {"kmac_per_px_decoder", c.kmac_per_px_decoder}, {"layers", layers}};
    out << doc.dump(2) << "\n";
    return out.str();
  }
  const bool csv = format == "csv";
  if (!csv && format != "table") throw Error("unknown format '" + format + "': use table, csv or json");
  char line[320];
  if (csv)
    out << "name,type,transform,in_channels,out_channels,kernel,stride,scale,params,kmac_per_px,"
           "activation_bytes_per_pixel,in_2nd\n";
  else {
    std::snprintf(line, sizeof line, "%-32s %-11s %5s %5s %2s %2s %7s %10s %9s %9s %4s\n", "layer", "type", "in", "out",
                  "k", "s", "scale", "params", "kMAC/px", "act B/px", "2nd");
    out << line;
  }
  for (const auto& l : c.layers) {
    const auto& r = l.layer;
    const std::string scale = "1/" + std::to_string(static_cast<long long>(1.0 / l.scale + 0.5));
    if (csv)
      std::snprintf(line, sizeof line, "%s,%s,%s,%lld,%lld,%lld,%lld,%.6g,%lld,%.4f,%.4f,%d\n", r.name.c_str(),
                    to_string(r.type).c_str(), l.transform.c_str(), (long long)r.in_channels, (long long)r.out_channels,
                    (long long)r.kernel, (long long)r.stride, l.scale, (long long)r.params, l.kmac_per_px,
                    l.activation_bytes_per_pixel, l.in_2nd ? 1 : 0);
    else
      std::snprintf(line, sizeof line, "%-32s %-11s %5lld %5lld %2lld %2lld %7s %10lld %9.3f %9.2f %4s\n", r.name.c_str(),
                    to_string(r.type).c_str(), (long long)r.in_channels, (long long)r.out_channels, (long long)r.kernel,
                    (long long)r.stride, scale.c_str(), (long long)r.params, l.kmac_per_px, l.activation_bytes_per_pixel,
                    l.in_2nd ? "yes" : "");
    out << line;
  }
  if (!csv) {
    std::snprintf(line, sizeof line,
                  "%s (%s) quality %d, %s level: %lld parameters; kMAC/px %.1f (2nd %.1f, encoder %.1f, decoder %.1f, "
                  "with GDN %.1f)\n",
                  c.network.c_str(), c.abbr.c_str(), c.quality, c.level.c_str(), (long long)c.params, c.kmac_per_px,
                  c.kmac_per_px_2nd, c.kmac_per_px_encoder, c.kmac_per_px_decoder, c.kmac_per_px_with_gdn);
    out << line;
  }
  return out.str();
}

}  // namespace nicenergy
