#include "report/rd_report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>

#include "error.h"
#include "legacy/legacy_codecs.h"
#include "meters/estimate_label.h"
#include "modeling/bd_rate.h"
#include "models/zoo.h"
#include "protocol/record_groups.h"
#include "report/gnuplot.h"

namespace nicenergy {

namespace {

const char* const kAnchor = "jpeg";  // BD-rates are against JPEG, the codec everyone has

bool has_rd(const MeasurementRecord& r) { return r.bpp && r.psnr_db; }
std::string codec_name(const MeasurementRecord& r) { return r.abbr.empty() ? r.network : r.abbr; }
bool is_estimate(const MeasurementRecord& r) { return r.method == "estimate" || r.meter == "estimate"; }

// Legacy codecs first in legacy_codecs() order (JPEG leads), then learned ones in zoo order.
std::tuple<int, int, std::string> codec_rank(const std::string& network) {
  const auto& legacy = legacy_codecs();
  for (size_t i = 0; i < legacy.size(); ++i)
    if (legacy[i].name == network) return {0, static_cast<int>(i), network};
  return {1, network_rank(network), network};
}

// One image of one codec-quality on one device model: its stages' records.
struct ImageRecords {
  const MeasurementRecord* rd = nullptr;  // the first with bpp and PSNR
  const MeasurementRecord* chain = nullptr;
  const MeasurementRecord* encode = nullptr;
  const MeasurementRecord* decode = nullptr;
};

struct Mean {
  double sum = 0;
  int n = 0;
  void add(double v) { sum += v, ++n; }
  std::optional<double> value() const { return n ? std::optional<double>(sum / n) : std::nullopt; }
};

std::string cell(const std::optional<double>& v) { return v ? gp_number(*v) : ""; }
std::string dB(double v) { return format_number(v, "%.2f"); }

// The curve of one codec for bd_rate.h: energies that cannot be logged are left out (NaN).
RdCurve curve_of(const std::vector<const RdCodecPoint*>& points) {
  RdCurve curve{points.front()->codec, {}};
  for (const RdCodecPoint* p : points)
    curve.points.push_back({p->bpp, p->psnr_db,
                            p->energy_j && *p->energy_j > 0 ? *p->energy_j : std::numeric_limits<double>::quiet_NaN()});
  return curve;
}

std::string strip_prefix(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : text;
}

std::string plural(size_t n, const std::string& word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

// A BD-rate or BD-PSNR cell: the number, or "n/a: why".
template <typename F>
std::string bd_cell(const std::vector<const RdCodecPoint*>* anchor, const std::vector<const RdCodecPoint*>& test,
                    const std::string& what, F compute) {
  if (!anchor) return "n/a: no JPEG points to compare with";
  if (anchor->size() < 4) return "n/a: JPEG has " + plural(anchor->size(), "RD point") + ", " + what + " needs 4";
  if (test.size() < 4) return "n/a: " + plural(test.size(), "RD point") + ", " + what + " needs 4";
  try {
    return compute(curve_of(*anchor), curve_of(test));
  } catch (const Error& e) {
    return "n/a: " + strip_prefix(e.what(), what + ": ");
  }
}

// PSNR or energy over bpp, one block per codec; learned codecs solid and
// thick, legacy ones dashed. False, writing nothing, when no codec has a value.
bool write_rd_figure(ReportFolder& w, const std::vector<std::vector<const RdCodecPoint*>>& codecs, bool energy,
                     double target_psnr_db) {
  const std::string stem = energy ? "rd_energy" : "rd_psnr";
  std::string dat = std::string("# one block per codec (gnuplot index 0, 1, ...), means over the images: bpp ") +
                    (energy ? "energy_j_per_image" : "psnr_db") + " quality\n";
  std::string plot;
  int block = 0;
  for (const auto& points : codecs) {
    std::string rows;
    for (const RdCodecPoint* p : points) {
      if (energy && !(p->energy_j && *p->energy_j > 0)) continue;  // a log axis has no place for it
      rows += gp_number(p->bpp) + " " + gp_number(energy ? *p->energy_j : p->psnr_db) + " " +
              std::to_string(p->quality) + "\n";
    }
    if (rows.empty()) continue;
    const RdCodecPoint& first = *points.front();
    dat += (block ? "\n\n" : "") + std::string("# ") + gp_plain(first.codec) + "\n" + rows;
    const std::string style = first.learned ? " lw 3 dt 1 pt 7 ps 1.1" : " lw 1.5 dt 2 pt 6 ps 1.0";
    plot += std::string(plot.empty() ? "plot " : ", \\\n     ") + "'" + stem + ".dat' index " + std::to_string(block) +
            " using 1:2 with linespoints" + style + " lc rgb '" + network_color(first.codec) + "' title '" +
            gp_plain(first.codec) + (first.learned ? " (learned)" : "") + "'";
    ++block;
  }
  if (!block) return false;
  w.write(stem + ".dat", dat);
  std::string gp = gp_header(stem);
  gp += "set xlabel 'Rate (bits per pixel)'\nset xrange [0:*]\n";
  if (energy) {
    gp += "set title 'Energy per image over rate, mean over the images" + w.title_note + "'\n"
          "set ylabel 'Energy per image (J, log scale)'\nset logscale y\nset format y '%g'\n"
          "set key outside right top box opaque Left reverse\n";
  } else {
    gp += "set title 'PSNR over rate, mean over the images" + w.title_note + "'\n"
          "set ylabel 'PSNR (dB)'\nset key bottom right box opaque Left reverse\n"
          "set arrow from graph 0, first " + gp_number(target_psnr_db) + " to graph 1, first " +
          gp_number(target_psnr_db) + " nohead dt 3 lc rgb '#888888'\n"
          "set label 'matched quality " + dB(target_psnr_db) + " dB' at graph 0.02, first " +
          gp_number(target_psnr_db) + " offset 0,0.6 tc rgb '#666666'\n";
  }
  gp += plot + "\n" + gp_footer(stem);
  w.write(stem + ".gp", gp);
  return true;
}

}  // namespace

bool is_legacy_codec(const std::string& network) {
  const auto& legacy = legacy_codecs();
  return std::any_of(legacy.begin(), legacy.end(), [&](const LegacyCodec& c) { return c.name == network; });
}

std::vector<RdCodecPoint> rd_points(const std::vector<MeasurementRecord>& records) {
  using ImageKey = std::tuple<std::string, int, std::string, std::string>;  // network, quality, image, device
  std::map<ImageKey, ImageRecords> images;
  for (const MeasurementRecord& r : records) {
    ImageRecords& i = images[{r.network, r.quality, r.image, group_name(r)}];
    if (has_rd(r) && !i.rd) i.rd = &r;
    const std::string stage = record_stage(r);
    if (stage == "chain") i.chain = &r;
    if (stage == "encode") i.encode = &r;
    if (stage == "decode") i.decode = &r;
  }
  struct Sums {
    const MeasurementRecord* first = nullptr;
    Mean bpp, psnr, ms_ssim, energy, encode, decode;
    std::set<std::string> meters;
    bool estimate = false;
  };
  std::map<std::pair<std::string, int>, Sums> sums;
  for (const auto& [key, i] : images) {
    if (!i.rd) continue;
    Sums& s = sums[{std::get<0>(key), std::get<1>(key)}];
    if (!s.first) s.first = i.rd;
    s.bpp.add(*i.rd->bpp);
    s.psnr.add(*i.rd->psnr_db);
    if (i.rd->ms_ssim) s.ms_ssim.add(*i.rd->ms_ssim);
    // One execution of the chain is one image coded and decoded; without it,
    // the two stages measured apart add up to the same work.
    std::vector<const MeasurementRecord*> used;
    if (i.chain) {
      s.energy.add(i.chain->energy_j);
      used.push_back(i.chain);
    } else if (i.encode && i.decode) {
      s.energy.add(i.encode->energy_j + i.decode->energy_j);
    }
    if (i.encode) s.encode.add(i.encode->energy_j), used.push_back(i.encode);
    if (i.decode) s.decode.add(i.decode->energy_j), used.push_back(i.decode);
    for (const MeasurementRecord* r : used) {
      s.meters.insert(r->meter);
      s.estimate = s.estimate || is_estimate(*r);
    }
  }
  std::vector<RdCodecPoint> points;
  for (const auto& [key, s] : sums) {
    RdCodecPoint p;
    p.network = key.first;
    p.codec = codec_name(*s.first);
    p.learned = !is_legacy_codec(p.network);
    p.quality = key.second;
    p.images = s.bpp.n;
    p.bpp = *s.bpp.value();
    p.psnr_db = *s.psnr.value();
    p.ms_ssim = s.ms_ssim.value();
    p.energy_j = s.energy.value();
    p.encode_energy_j = s.encode.value();
    p.decode_energy_j = s.decode.value();
    for (const std::string& m : s.meters) p.meter += (p.meter.empty() ? "" : "+") + m;
    p.estimate = s.estimate;
    points.push_back(p);
  }
  std::stable_sort(points.begin(), points.end(), [](const RdCodecPoint& a, const RdCodecPoint& b) {
    return std::make_tuple(codec_rank(a.network), a.bpp) < std::make_tuple(codec_rank(b.network), b.bpp);
  });
  return points;
}

namespace {

// The matched quality: as given, else where the learned codecs start, so that
// they all have a point there and the legacy codecs are compared at a quality
// a learned one reaches.
void choose_target(RdSection& section, std::optional<double> target_psnr_db) {
  if (target_psnr_db) {
    section.target_psnr_db = *target_psnr_db;
    section.target_source = "given with --target-psnr-db";
  } else {
    const RdCodecPoint* lowest = nullptr;
    for (const RdCodecPoint& p : section.points)
      if (p.learned && (!lowest || p.psnr_db < lowest->psnr_db)) lowest = &p;
    if (lowest) {
      section.target_psnr_db = lowest->psnr_db;
      section.target_source = "the lowest-PSNR point of a learned codec, " + lowest->codec + " at quality " +
                              std::to_string(lowest->quality);
    } else {
      section.target_psnr_db = 32;
      section.target_source = "the default: no learned codec has RD points";
    }
  }
}

// rd_points.csv: every point with its energies.
void fill_points_table(RdSection& section) {
  TextTable& pt = section.points_table;
  pt.header = {"codec", "network", "kind", "quality", "images", "bpp", "psnr_db", "ms_ssim", "energy_j",
               "encode_energy_j", "decode_energy_j", "meter", "estimate"};
  for (const RdCodecPoint& p : section.points)
    pt.rows.push_back({p.codec, p.network, p.learned ? "learned" : "legacy", std::to_string(p.quality),
                       std::to_string(p.images), gp_number(p.bpp), gp_number(p.psnr_db), cell(p.ms_ssim),
                       cell(p.energy_j), cell(p.encode_energy_j), cell(p.decode_energy_j), p.meter,
                       p.estimate ? "true" : "false"});
}

// One codec's row: its range, bpp and energy at the target (interpolated, never
// extrapolated), BD-rate and BD-PSNR against JPEG.
std::vector<std::string> codec_row(const std::vector<const RdCodecPoint*>& c,
                                   const std::vector<const RdCodecPoint*>* anchor, double target) {
  const RdCodecPoint& first = *c.front();
  double low = first.psnr_db, high = first.psnr_db;
  for (const RdCodecPoint* p : c) low = std::min(low, p->psnr_db), high = std::max(high, p->psnr_db);
  std::string bpp_at, energy_at;
  const auto exact = std::find_if(c.begin(), c.end(), [&](const RdCodecPoint* p) {
    return std::abs(p->psnr_db - target) <= 1e-9 * std::max(1.0, std::abs(target));
  });
  if (exact != c.end()) {
    bpp_at = format_number((*exact)->bpp, "%.4g");
    energy_at = (*exact)->energy_j ? format_number(*(*exact)->energy_j, "%.4g") : "n/a: energy not measured";
  } else if (target < low || target > high) {
    bpp_at = energy_at = "n/a: outside " + dB(low) + " to " + dB(high) + " dB (no extrapolation)";
  } else {
    try {
      const MatchedQuality m = at_matched_quality(curve_of(c), target);
      bpp_at = format_number(m.bpp, "%.4g");
      energy_at = std::isnan(m.energy_j) ? "n/a: no positive energy at both neighbours"
                                         : format_number(m.energy_j, "%.4g");
    } catch (const Error& e) {
      bpp_at = energy_at = "n/a: " + strip_prefix(e.what(), "matched quality at " + format_number(target, "%.6g") +
                                                                " dB: ");
    }
  }
  const std::string bd_rate_at = bd_cell(anchor, c, "BD-rate", [](const RdCurve& a, const RdCurve& b) {
    return format_number(bd_rate(a, b).percent, "%+.2f");
  });
  const std::string bd_psnr_at = bd_cell(anchor, c, "BD-PSNR", [](const RdCurve& a, const RdCurve& b) {
    return format_number(bd_psnr(a, b).db, "%+.3f");
  });
  const bool estimate = std::any_of(c.begin(), c.end(), [](const RdCodecPoint* p) { return p->estimate; });
  return {first.codec, first.learned ? "learned" : "legacy", std::to_string(c.size()),
          c.size() == 1 ? dB(low) : dB(low) + " to " + dB(high), bpp_at, energy_at, bd_rate_at,
          bd_psnr_at, estimate ? kEstimateWord : "measured"};
}

// What the table rests on, and the networks left out (seeded weights).
void add_rd_notes(RdSection& section, const std::vector<MeasurementRecord>& records, double target) {
  section.notes.push_back(
      "Each point is a codec at one quality setting: the mean over its images of bpp, PSNR, MS-SSIM and energy per "
      "image (the chain's dynamic energy per execution, or encode + decode where those stages were measured without "
      "the chain).");
  section.notes.push_back("Matched quality " + dB(target) + " dB (" + section.target_source +
                          "): bpp and energy interpolated linearly in log(bpp) and log(energy) between the two "
                          "neighbouring qualities whose PSNRs enclose it; no extrapolation, so a codec whose points "
                          "do not reach it has none.");
  section.notes.push_back("BD-rate (average rate change at equal PSNR; negative: fewer bits than JPEG) and BD-PSNR "
                          "(average PSNR change at equal rate) against JPEG: " + bd_method_name(BdMethod::cubic_fit) +
                          " of Bjontegaard, over the interval both curves share; 4 RD points per curve at least.");
  // Learned networks measured without trained weights: their joules are real, their rate and distortion are not.
  std::map<std::tuple<int, int, std::string>, std::pair<std::string, std::set<int>>> seeded;
  for (const MeasurementRecord& r : records)
    if (!has_rd(r) && !is_legacy_codec(r.network)) {
      auto& entry = seeded[codec_rank(r.network)];
      entry.first = codec_name(r);
      entry.second.insert(r.quality);
    }
  if (!seeded.empty()) {
    std::string names;
    for (const auto& [rank, entry] : seeded) {
      std::string qualities;
      for (int q : entry.second) qualities += (qualities.empty() ? "" : ", ") + std::to_string(q);
      names += (names.empty() ? "" : "; ") + entry.first + " (quality " + qualities + ")";
    }
    section.notes.push_back("Energy only, no RD point (seeded weights: their rate and distortion mean nothing "
                            "without trained weights): " + names + ".");
  }
  if (device_models(records).size() > 1)
    section.notes.push_back("The means pool the images of " + std::to_string(device_models(records).size()) +
                            " device models; filter the results to one device for a per-device comparison.");
}

void write_rd_tables(ReportFolder& w, const RdSection& section) {
  const TextTable& pt = section.points_table;
  const TextTable& t = section.table;
  w.write("rd_points.csv", render_csv(pt));
  std::string md = "# Rate, distortion and energy" + w.title_note + "\n\n";
  if (!w.title_note.empty())
    md += "**Note:** some " + estimate_sentence() + ".\n\n";
  md += render_markdown(t) + "\n";
  for (const std::string& note : section.notes) md += note + "\n\n";
  w.write("rd_table.md", md);
  w.write("rd_table.csv", render_csv(t));
}

}  // namespace

std::optional<RdSection> write_rd_report(ReportFolder& w, const std::vector<MeasurementRecord>& records,
                                         std::optional<double> target_psnr_db) {
  RdSection section;
  section.points = rd_points(records);
  if (section.points.empty()) return std::nullopt;

  // The codecs, each its points by rising bpp.
  std::vector<std::vector<const RdCodecPoint*>> codecs;
  for (const RdCodecPoint& p : section.points) {
    if (codecs.empty() || codecs.back().front()->network != p.network) codecs.emplace_back();
    codecs.back().push_back(&p);
  }
  const std::vector<const RdCodecPoint*>* anchor = nullptr;
  for (const auto& c : codecs)
    if (c.front()->network == kAnchor) anchor = &c;

  choose_target(section, target_psnr_db);
  const double target = section.target_psnr_db;

  fill_points_table(section);

  TextTable& t = section.table;
  t.header = {"Codec", "Kind", "RD points", "PSNR range (dB)", "bpp at " + dB(target) + " dB",
              "J per image at " + dB(target) + " dB", "BD-rate vs JPEG (%)", "BD-PSNR vs JPEG (dB)", "Energy"};
  for (const auto& c : codecs) t.rows.push_back(codec_row(c, anchor, target));

  add_rd_notes(section, records, target);
  write_rd_tables(w, section);

  if (write_rd_figure(w, codecs, false, target))
    section.figures.push_back({"rd_psnr", "PSNR over rate per codec (mean over the images at each quality); learned "
                                          "codecs solid and thick, legacy codecs dashed; dotted: the matched quality."});
  if (write_rd_figure(w, codecs, true, target))
    section.figures.push_back({"rd_energy", "Energy per image over rate per codec (mean over the images at each "
                                            "quality, log scale); learned codecs solid and thick, legacy codecs dashed."});
  else
    section.notes.push_back("No RD point has a positive energy, so rd_energy is left out.");
  return section;
}

}  // namespace nicenergy
