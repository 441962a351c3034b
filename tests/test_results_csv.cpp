// The results CSV: round trip with quoting, header-driven reading, clear errors,
// torn last rows, and merging.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "error.h"
#include "io/files.h"
#include "protocol/record_groups.h"
#include "protocol/results_csv.h"
#include "test_util.h"

namespace fs = std::filesystem;
using namespace nicenergy;

namespace {

struct TempDir : test_util::TempDir {
  TempDir() : test_util::TempDir("csv") {}
};
using test_util::error_of;
using test_util::slurp;
using test_util::spit;

MeasurementRecord sample(const std::string& network, int quality, const std::string& image, int w, int h,
                         const std::string& started_at = "2024-05-01T10:00:00Z") {
  MeasurementRecord r;
  r.network = network;
  r.abbr = network.substr(0, 4);
  r.quality = quality;
  r.level = quality >= 5 ? "high" : "low";
  r.image = image;
  r.width = w;
  r.height = h;
  r.pixels = int64_t(w) * h;
  r.padded_width = (w + 15) / 16 * 16;
  r.padded_height = (h + 15) / 16 * 16;
  r.energy_j = 1.0 / 3.0 * w;
  r.energy_ci_j = 0.1 + h;
  r.k = 4;
  r.m = 12345678901LL;
  r.duration_s = 1e-300;
  r.idle_power_w = 61.25;
  r.mean_power_w = 2.0 / 7.0;
  r.meter = "nvml";
  r.method = "counter";
  r.device = "cuda:0 NVIDIA H100";
  r.started_at = started_at;
  return r;
}

void expect_same(const MeasurementRecord& a, const MeasurementRecord& b) {
  EXPECT_EQ(a.network, b.network);
  EXPECT_EQ(a.abbr, b.abbr);
  EXPECT_EQ(a.quality, b.quality);
  EXPECT_EQ(a.level, b.level);
  EXPECT_EQ(a.image, b.image);
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_EQ(a.padded_width, b.padded_width);
  EXPECT_EQ(a.padded_height, b.padded_height);
  EXPECT_EQ(a.energy_j, b.energy_j);  // exact: doubles must round-trip
  EXPECT_EQ(a.energy_ci_j, b.energy_ci_j);
  EXPECT_EQ(a.k, b.k);
  EXPECT_EQ(a.m, b.m);
  EXPECT_EQ(a.duration_s, b.duration_s);
  EXPECT_EQ(a.idle_power_w, b.idle_power_w);
  EXPECT_EQ(a.mean_power_w, b.mean_power_w);
  EXPECT_EQ(a.meter, b.meter);
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.started_at, b.started_at);
}


}  // namespace

TEST(ResultsCsv, RoundTripWithQuoting) {
  TempDir dir;
  const std::string path = dir.file("r.csv");
  std::vector<MeasurementRecord> written = {
      sample("bmshj2018_factorized", 1, "plain.png", 768, 512),
      sample("bmshj2018_hyperprior", 6, "a,comma.png", 751, 500),
      sample("mbt2018", 2, "say \"cheese\".png", 33, 17),
      sample("cheng2020_attn", 3, "two\nlines.png", 2048, 1366),
  };
  written[3].device = "cpu, 2 cores \"x86\"";
  written[2].energy_j = 0.1;
  written[1].energy_j = 123456789.123456789;
  for (const auto& r : written) append_record(path, r);

  const std::string text = slurp(path);
  EXPECT_EQ(text.rfind("network,abbr,quality,", 0), 0u) << "header first";
  EXPECT_NE(text.find("\"a,comma.png\""), std::string::npos);
  EXPECT_NE(text.find("\"say \"\"cheese\"\".png\""), std::string::npos);
  EXPECT_NE(text.find("\"two\nlines.png\""), std::string::npos);
  EXPECT_NE(text.find(",plain.png,"), std::string::npos) << "plain fields are not quoted";
  EXPECT_NE(text.find(",0.1,"), std::string::npos) << "shortest round-trip form";

  const auto read = read_results(path);
  ASSERT_EQ(read.size(), written.size());
  for (size_t i = 0; i < read.size(); ++i) expect_same(read[i], written[i]);
  EXPECT_EQ(format_record_row(read[3]), format_record_row(written[3]));
}

TEST(ResultsCsv, WriteHeaderStartsAFreshFile) {
  TempDir dir;
  const std::string path = dir.file("sub/r.csv");
  append_record(path, sample("mbt2018", 1, "x.png", 8, 8));
  write_header(path);
  EXPECT_TRUE(read_results(path).empty());
  append_record(path, sample("mbt2018", 2, "y.png", 8, 8));
  ASSERT_EQ(read_results(path).size(), 1u);
  EXPECT_EQ(read_results(path)[0].quality, 2);
}

TEST(ResultsCsv, ColumnsInAnyOrderAndExtraColumnsIgnored) {
  TempDir dir;
  const std::string path = dir.file("shuffled.csv");
  const MeasurementRecord r = sample("cheng2020_anchor", 4, "k.png", 640, 448);
  // Build the file by hand with columns reversed and an extra one in the middle.
  std::vector<std::string> columns = measurement_columns();
  std::reverse(columns.begin(), columns.end());
  const std::string row_in_order = format_record_row(r);
  std::vector<std::string> fields;
  std::stringstream ss(row_in_order.substr(0, row_in_order.size() - 1));
  for (std::string f; std::getline(ss, f, ',');) fields.push_back(f);
  // getline drops an empty last field (the warnings column of a row without any).
  if (row_in_order.size() >= 2 && row_in_order[row_in_order.size() - 2] == ',') fields.push_back("");
  ASSERT_EQ(fields.size(), measurement_columns().size());
  std::reverse(fields.begin(), fields.end());
  std::string header, row;
  for (size_t i = 0; i < columns.size(); ++i) {
    header += (i ? "," : "") + columns[i];
    row += (i ? "," : "") + fields[i];
    if (i == 5) {
      header += ",comment";
      row += ",\"ignored, really\"";
    }
  }
  spit(path, header + "\n" + row + "\n");
  const auto read = read_results(path);
  ASSERT_EQ(read.size(), 1u);
  expect_same(read[0], r);
}

TEST(ResultsCsv, CrLfLineEndingsAreRead) {
  TempDir dir;
  const std::string path = dir.file("crlf.csv");
  append_record(path, sample("mbt2018", 1, "x.png", 8, 8));
  std::string text = slurp(path), crlf;
  for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  spit(path, crlf);
  const auto read = read_results(path);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].started_at, "2024-05-01T10:00:00Z");
}

TEST(ResultsCsv, MissingColumnsNamed) {
  TempDir dir;
  const std::string path = dir.file("short.csv");
  std::string header;
  for (const auto& c : measurement_columns())
    if (c != "energy_j" && c != "started_at") header += (header.empty() ? "" : ",") + c;
  spit(path, header + "\n");
  const std::string message = error_of([&] { read_results(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("energy_j"), std::string::npos) << message;
  EXPECT_NE(message.find("started_at"), std::string::npos) << message;
  EXPECT_EQ(message.find("energy_ci_j"), std::string::npos) << "only the missing ones: " << message;
}

TEST(ResultsCsv, MalformedRowsGiveTheLine) {
  TempDir dir;
  const std::string path = dir.file("bad.csv");
  append_record(path, sample("mbt2018", 1, "x.png", 8, 8));
  append_record(path, sample("mbt2018", 2, "y.png", 8, 8));
  const std::string good = slurp(path);

  spit(path, good + "mbt2018,Mcon,3\n");
  std::string message = error_of([&] { read_results(path); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("line 4"), std::string::npos) << message;

  std::string row = format_record_row(sample("mbt2018", 3, "z.png", 8, 8));
  row.replace(row.find(",8,8,"), 5, ",8,eight,");
  spit(path, good + row);
  message = error_of([&] { read_results(path); });
  EXPECT_NE(message.find("line 4"), std::string::npos) << message;
  EXPECT_NE(message.find("height"), std::string::npos) << message;
  EXPECT_NE(message.find("eight"), std::string::npos) << message;

  spit(path, good + "mbt\"2018,x\n");
  message = error_of([&] { read_results(path); });
  EXPECT_NE(message.find("line 4"), std::string::npos) << message;
}

TEST(ResultsCsv, MissingFileIsAnErrorEmptyFileHasNoRows) {
  TempDir dir;
  EXPECT_NE(error_of([&] { read_results(dir.file("none.csv")); }).find("none.csv"), std::string::npos);
  spit(dir.file("empty.csv"), "");
  EXPECT_TRUE(read_results(dir.file("empty.csv")).empty());
  EXPECT_EQ(repair_results(dir.file("none.csv")), 0u);
}

TEST(ResultsCsv, TornLastRowIgnoredAndRepaired) {
  TempDir dir;
  const std::string path = dir.file("torn.csv");
  append_record(path, sample("mbt2018", 1, "x.png", 8, 8));
  append_record(path, sample("mbt2018", 2, "y.png", 8, 8));
  const std::string good = slurp(path);
  const std::string next = format_record_row(sample("mbt2018", 3, "z.png", 8, 8));

  for (size_t cut : {size_t(1), next.size() / 2, next.size() - 1}) {
    spit(path, good + next.substr(0, cut));
    EXPECT_EQ(read_results(path).size(), 2u) << "cut at " << cut;
    EXPECT_EQ(repair_results(path), cut);
    EXPECT_EQ(slurp(path), good);
    EXPECT_EQ(repair_results(path), 0u) << "a complete file is left alone";
  }
  append_record(path, sample("mbt2018", 3, "z.png", 8, 8));
  ASSERT_EQ(read_results(path).size(), 3u);
  EXPECT_EQ(slurp(path), good + next);
}

// A torn row is at most a prefix of one row at the end, without a line break
// after it. A last row that spans lines inside an open quote cannot be told
// apart from an unclosed quote further up (which once made resume cut every
// finished row after it), so it is refused with its line and nothing is cut.
TEST(ResultsCsv, TornRowSpanningLinesIsRefusedNotCut) {
  TempDir dir;
  const std::string path = dir.file("torn_quoted.csv");
  append_record(path, sample("mbt2018", 1, "x.png", 8, 8));
  const std::string good = slurp(path);
  const std::string next = format_record_row(sample("mbt2018", 2, "two\nlines.png", 8, 8));
  const size_t cut = next.find('\n') + 1;  // ends with a newline, but inside quotes
  spit(path, good + next.substr(0, cut));
  const std::string message = error_of([&] { repair_results(path); });
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_NE(message.find("never closed"), std::string::npos) << message;
  EXPECT_THROW(read_results(path), Error);
  EXPECT_EQ(slurp(path), good + next.substr(0, cut)) << "nothing cut";
}

// Issue 19, defect 8: an unclosed quote in a middle row made the reader take
// everything after it for one torn row; resume cut 8 finished rows and merge
// kept 1 of 12 with exit 0. Now: refused with the line, the file unchanged.
TEST(ResultsCsv, UnclosedQuoteInAMiddleRowIsRefusedNotCut) {
  TempDir dir;
  const std::string path = dir.file("damaged.csv");
  for (int i = 0; i < 12; ++i) append_record(path, sample("mbt2018", 1, "img" + std::to_string(i) + ".png", 8, 8));
  std::string text = slurp(path);
  // Row 4 (line 5): its image field opens a quote that never closes.
  size_t at = 0;
  for (int line = 1; line < 5; ++line) at = text.find('\n', at) + 1;
  const size_t field = text.find("img3.png", at);
  text.insert(field, "\"");
  for (const bool torn_tail : {false, true}) {
    const std::string damaged = torn_tail ? text + "mbt2018,Mcon,1" : text;
    spit(path, damaged);
    for (const auto& f : std::vector<std::function<void()>>{[&] { read_results(path); }, [&] { repair_results(path); },
                                                           [&] { merge_results({path}, dir.file("merged.csv")); }}) {
      const std::string message = error_of(f);
      EXPECT_NE(message.find(path), std::string::npos) << message;
      EXPECT_NE(message.find("line 5"), std::string::npos) << message;
    }
    EXPECT_EQ(slurp(path), damaged) << "nothing changed";
    EXPECT_FALSE(fs::exists(dir.file("merged.csv")));
    EXPECT_FALSE(fs::exists(dir.file("merged.csv.tmp")));
  }
}

// Issue 19, defect 8: `campaign --output notes.txt` deleted the file's last line
// (the "torn row") before refusing it. The header is checked first now.
TEST(ResultsCsv, AnotherKindOfFileIsRefusedBeforeAnyRepair) {
  TempDir dir;
  const std::string path = dir.file("notes.txt");
  spit(path, "shopping list\nmilk, eggs\nthe last line without a newline");
  const std::string message = error_of([&] { repair_results(path); });
  EXPECT_NE(message.find("not a results CSV"), std::string::npos) << message;
  EXPECT_NE(message.find("shopping list"), std::string::npos) << message;
  EXPECT_EQ(slurp(path), "shopping list\nmilk, eggs\nthe last line without a newline");
  // A header of other columns (an older version) is refused for appending too.
  spit(path, "image,network\nx.png,mbt2018\nhalf");
  EXPECT_THROW(check_results_for_append(path), Error);
  EXPECT_THROW(repair_results(path), Error);
  EXPECT_EQ(slurp(path), "image,network\nx.png,mbt2018\nhalf");
}

// Issue 19, defect 7: nan and inf were read as numbers (fit printed nan), "50x"
// as 50, and a width of 2^32 silently became 0. Each is refused with the line
// and the column.
TEST(ResultsCsv, NonFiniteTrailingGarbageAndOutOfRangeNumbersAreRefused) {
  TempDir dir;
  const std::string path = dir.file("numbers.csv");
  append_record(path, sample("mbt2018", 1, "x.png", 8, 8));
  const std::string good = slurp(path);
  MeasurementRecord record = sample("mbt2018", 2, "y.png", 640, 480);
  record.energy_j = 0.5;
  const std::string row = format_record_row(record);
  struct Case {
    std::string from, to, column;
  };
  const std::vector<Case> cases = {
      {",0.5,", ",nan,", "energy_j"},     {",0.5,", ",inf,", "energy_j"},
      {",0.5,", ",-inf,", "energy_j"},    {",0.5,", ",1e999,", "energy_j"},
      {",61.25,", ",61.25W,", "idle_power_w"},           {",640,480,", ",4294967296,480,", "width"},
      {",640,480,", ",640,0,", "height"},                {",640,480,", ",640x,480,", "width"},
      {",12345678901,", ",99999999999999999999,", "m"},  {",640,480,307200,", ",640,480,-5,", "pixels"},
      {"mbt2018,mbt2,2,", "mbt2018,mbt2,2.5,", "quality"}};
  for (const Case& c : cases) {
    std::string bad = row;
    const size_t at = bad.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from << " in " << row;
    bad.replace(at, c.from.size(), c.to);
    spit(path, good + bad);
    const std::string message = error_of([&] { read_results(path); });
    EXPECT_NE(message.find(path), std::string::npos) << c.to << ": " << message;
    EXPECT_NE(message.find("line 3"), std::string::npos) << c.to << ": " << message;
    EXPECT_NE(message.find("column " + c.column), std::string::npos) << c.to << ": " << message;
  }
  spit(path, good + row);
  ASSERT_EQ(read_results(path).size(), 2u) << "the unchanged row reads";
}

// Issue 19, defect 9: merging into a directory left OUTPUT.tmp behind.
TEST(ResultsCsv, MergeIntoADirectoryIsRefusedAndLeavesNothing) {
  TempDir dir;
  append_record(dir.file("a.csv"), sample("mbt2018", 1, "x.png", 8, 8));
  fs::create_directories(dir.file("out.csv"));
  const std::string message = error_of([&] { merge_results({dir.file("a.csv")}, dir.file("out.csv")); });
  EXPECT_NE(message.find("is a directory"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(dir.file("out.csv.tmp")));
  // Under a regular file (ENOTDIR, which root cannot override either).
  EXPECT_THROW(merge_results({dir.file("a.csv")}, dir.file("a.csv") + "/m.csv"), Error);
}

// Issue 19, defect 10: a failed write is an error. A full disk is provoked with
// RLIMIT_FSIZE (writes past the limit fail with EFBIG, even for root); /dev/full
// as the results file is refused up front (it reads as endless zeros).
TEST(ResultsCsv, FailedAppendIsAWriteError) {
  TempDir dir;
  const std::string path = dir.file("full.csv");
  append_record(path, sample("mbt2018", 1, "x.png", 8, 8));
  const std::string before = slurp(path);
  struct rlimit old_limit {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limit = old_limit;
  limit.rlim_cur = before.size() + 10;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  std::string message = "(no error)";
  try {
    append_record(path, sample("mbt2018", 2, "y.png", 8, 8));
  } catch (const WriteError& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("too large"), std::string::npos) << message;

  if (fs::exists("/dev/full")) {
    fs::create_symlink("/dev/full", dir.file("dev.csv"));
    EXPECT_NE(error_of([&] { append_record(dir.file("dev.csv"), sample("mbt2018", 1, "x.png", 8, 8)); })
                  .find("not a regular file"),
              std::string::npos);
  }
}

TEST(ResultsCsv, TornHeaderLeavesAnEmptyFile) {
  TempDir dir;
  const std::string path = dir.file("torn_header.csv");
  spit(path, "network,abbr,qua");
  EXPECT_TRUE(read_results(path).empty());
  EXPECT_EQ(repair_results(path), 16u);
  EXPECT_EQ(fs::file_size(path), 0u);
  append_record(path, sample("mbt2018", 1, "x.png", 8, 8));
  EXPECT_EQ(read_results(path).size(), 1u);
}

TEST(ResultsCsv, AppendRefusesAnotherHeader) {
  TempDir dir;
  const std::string path = dir.file("other.csv");
  spit(path, "image,network\nx.png,mbt2018\n");
  const std::string message = error_of([&] { append_record(path, sample("mbt2018", 1, "x.png", 8, 8)); });
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_EQ(slurp(path), "image,network\nx.png,mbt2018\n") << "nothing appended";
}

TEST(ResultsCsv, KeysCanonicaliseTheNetwork) {
  MeasurementRecord a = sample("bmshj2018_factorized", 1, "x.png", 8, 8);
  MeasurementRecord b = a;
  b.network = "Bfac";
  EXPECT_TRUE(measurement_key(a) == measurement_key(b));
  b.height = 9;
  EXPECT_FALSE(measurement_key(a) == measurement_key(b));
}

TEST(ResultsCsv, MergeKeepsEachKeyOnceInPlanOrder) {
  TempDir dir;
  // Network order of network_specs(): Bfac, Bhyp, Mmean, Mcont, Canch, Cattn (not alphabetical).
  append_record(dir.file("a.csv"), sample("cheng2020_anchor", 1, "k.png", 64, 64, "2024-05-01T10:00:05Z"));
  append_record(dir.file("a.csv"), sample("mbt2018_mean", 1, "big.png", 128, 64, "2024-05-01T10:00:01Z"));
  append_record(dir.file("a.csv"), sample("mbt2018_mean", 1, "k.png", 64, 64, "2024-05-01T10:00:09Z"));
  append_record(dir.file("b.csv"), sample("mbt2018_mean", 1, "k.png", 64, 64, "2024-05-01T10:00:02Z"));
  append_record(dir.file("b.csv"), sample("bmshj2018_factorized", 2, "k.png", 64, 64, "2024-05-01T10:00:03Z"));
  append_record(dir.file("b.csv"), sample("bmshj2018_factorized", 1, "k.png", 64, 64, "2024-05-01T10:00:04Z"));

  const MergeSummary s = merge_results({dir.file("a.csv"), dir.file("b.csv")}, dir.file("merged.csv"));
  EXPECT_EQ(s.rows, 5u);
  EXPECT_EQ(s.duplicates, 1u);
  const auto merged = read_results(dir.file("merged.csv"));
  ASSERT_EQ(merged.size(), 5u);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"bmshj2018_factorized", "k.png"}, {"bmshj2018_factorized", "k.png"}, {"mbt2018_mean", "k.png"},
      {"mbt2018_mean", "big.png"}, {"cheng2020_anchor", "k.png"}};
  for (size_t i = 0; i < merged.size(); ++i) {
    EXPECT_EQ(merged[i].network, expected[i].first) << i;
    EXPECT_EQ(merged[i].image, expected[i].second) << i;
    if (i) {
      EXPECT_FALSE(record_before(merged[i], merged[i - 1])) << i;
    }
  }
  EXPECT_EQ(merged[0].quality, 1);
  EXPECT_EQ(merged[1].quality, 2);
  EXPECT_EQ(merged[2].started_at, "2024-05-01T10:00:02Z") << "the earliest measurement of a key is kept";

  // Merging is idempotent: the merged file merged again is the same bytes.
  merge_results({dir.file("merged.csv")}, dir.file("again.csv"));
  EXPECT_EQ(slurp(dir.file("again.csv")), slurp(dir.file("merged.csv")));
}

TEST(ResultsCsv, HardeningColumnsRoundTripAndOldFilesStillRead) {
  TempDir dir;
  const std::string path = dir.file("r.csv");
  MeasurementRecord hot = sample("bmshj2018_factorized", 1, "a.png", 64, 64);
  hot.idle_reference = "hot";
  hot.idle_cold_power_w = 40.5;
  hot.idle_hot_power_w = 55.25;
  hot.energy_cold_j = 0.75;
  hot.energy_hot_j = 0.6;
  hot.memory_share = 0.25;
  hot.warnings = "window 0: counter 1 J and samples 2 J disagree by 100.0 % (> disagreement_max 0.1); window 1: x";
  MeasurementRecord cold = sample("bmshj2018_factorized", 2, "b.png", 64, 64);
  cold.idle_reference = "cold";
  cold.idle_cold_power_w = 40.5;
  cold.energy_cold_j = 0.7;
  append_record(path, hot);
  append_record(path, cold);
  const auto read = read_results(path);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].idle_reference, "hot");
  EXPECT_EQ(read[0].idle_cold_power_w, 40.5);
  EXPECT_EQ(read[0].idle_hot_power_w, 55.25);
  EXPECT_EQ(read[0].energy_cold_j, 0.75);
  EXPECT_EQ(read[0].energy_hot_j, 0.6);
  EXPECT_EQ(read[0].warnings, hot.warnings);
  EXPECT_EQ(read[0].memory_share, 0.25);
  EXPECT_FALSE(read[1].memory_share);
  EXPECT_FALSE(read[1].idle_hot_power_w) << "an empty cell is no value, not 0";
  EXPECT_FALSE(read[1].energy_hot_j);
  EXPECT_EQ(read[1].warnings, "");

  // A file of the version before: none of these columns.
  const std::string old_header = "network,abbr,quality,level,image,width,height,pixels,padded_width,padded_height,energy_j,"
                           "energy_ci_j,k,m,duration_s,idle_power_w,mean_power_w,meter,method,device,started_at,"
                           "libtorch,cuda,cudnn,threads\n";
  test_util::spit(path, old_header + "bmshj2018_factorized,Bfac,1,low,a.png,64,64,4096,64,64,0.5,0.01,3,10,0.1,40,"
                                     "90,nvml,counter,cpu,2026-01-01T00:00:00Z,2.11.0,,,2\n");
  const auto old = read_results(path);
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].idle_reference, "");
  EXPECT_FALSE(old[0].idle_cold_power_w);
  EXPECT_EQ(old[0].warnings, "");
}

// Issue 18: where each row ran. The columns round-trip; files written before
// them still read (empty); a resumed campaign on such a file is refused with
// the way out (merge into a new file), which then takes new rows.
TEST(ResultsCsv, NodeAndGpuColumnsRoundTripAndOldFilesStillRead) {
  TempDir dir;
  const std::string path = dir.file("r.csv");
  MeasurementRecord gpu = sample("bmshj2018_factorized", 1, "a.png", 64, 64);
  gpu.node = "gpu07";
  gpu.slurm_job = "1234_2";
  gpu.gpu = "NVIDIA H100 80GB HBM3";
  gpu.gpu_uuid = "GPU-5b2c1a9e-0d3f-4c1e-9a77-3e1f0c2d4b6a";
  MeasurementRecord cpu = sample("bmshj2018_factorized", 2, "b.png", 64, 64);
  cpu.device = "cpu (AMD EPYC 7B13 64-Core Processor)";
  cpu.node = "login1";
  append_record(path, gpu);
  append_record(path, cpu);
  const auto read = read_results(path);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].node, "gpu07");
  EXPECT_EQ(read[0].slurm_job, "1234_2");
  EXPECT_EQ(read[0].gpu, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(read[0].gpu_uuid, gpu.gpu_uuid);
  EXPECT_EQ(read[1].node, "login1");
  EXPECT_EQ(read[1].slurm_job, "");
  EXPECT_EQ(read[1].gpu, "");

  // The header of the version before these columns (memory_share last).
  std::string old_header;
  for (const auto& c : measurement_columns()) {
    if (c == "node") break;
    old_header += (old_header.empty() ? "" : ",") + c;
  }
  ASSERT_NE(old_header.find("memory_share"), std::string::npos);
  std::string row = format_record_row(sample("bmshj2018_factorized", 3, "c.png", 64, 64));
  row = row.substr(0, row.size() - 1);                   // the newline
  // node, slurm_job, gpu, gpu_uuid and the later bpp, psnr_db, ms_ssim, mode: empty
  row = row.substr(0, row.size() - std::string(",,,,,,,,").size());
  const std::string old = dir.file("old.csv");
  spit(old, old_header + "\n" + row + "\n");
  const auto old_rows = read_results(old);
  ASSERT_EQ(old_rows.size(), 1u);
  EXPECT_EQ(old_rows[0].quality, 3);
  EXPECT_EQ(old_rows[0].node, "");
  EXPECT_EQ(old_rows[0].gpu, "");
  // Appending (a resumed campaign) under the old header is refused, naming the fix ...
  const std::string message = error_of([&] { check_results_for_append(old); });
  EXPECT_NE(message.find("campaign merge"), std::string::npos) << message;
  EXPECT_THROW(append_record(old, gpu), Error);
  // ... which gives a file of this version that the campaign appends to.
  const std::string merged = dir.file("new.csv");
  EXPECT_EQ(merge_results({old}, merged).rows, 1u);
  EXPECT_NO_THROW(check_results_for_append(merged));
  append_record(merged, gpu);
  const auto both = read_results(merged);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].gpu, "");
  EXPECT_EQ(both[1].gpu, "NVIDIA H100 80GB HBM3");
}

// The same point measured on an H100 and on an A100 (one campaign per GPU type,
// merged) is two measurements; the same point twice on one model is one.
TEST(ResultsCsv, MergeKeepsAPointOncePerDeviceModel) {
  TempDir dir;
  MeasurementRecord h100 = sample("bmshj2018_factorized", 1, "a.png", 64, 64, "2024-05-01T10:00:00Z");
  h100.gpu = "NVIDIA H100 80GB HBM3";
  MeasurementRecord h100_again = h100;
  h100_again.started_at = "2024-05-01T11:00:00Z";
  h100_again.gpu_uuid = "GPU-other-card-of-the-same-model";
  MeasurementRecord a100 = h100;
  a100.gpu = "NVIDIA A100-SXM4-40GB";
  a100.energy_j = 2 * h100.energy_j;
  const std::string a = dir.file("h100.csv"), b = dir.file("a100.csv"), out = dir.file("all.csv");
  append_record(a, h100);
  append_record(a, h100_again);
  append_record(b, a100);
  const MergeSummary summary = merge_results({a, b}, out);
  EXPECT_EQ(summary.rows, 2u);
  EXPECT_EQ(summary.duplicates, 1u);
  const auto rows = read_results(out);
  ASSERT_EQ(rows.size(), 2u);
  std::set<std::string> gpus;
  for (const auto& r : rows) gpus.insert(r.gpu);
  EXPECT_EQ(gpus, (std::set<std::string>{"NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3"}));
  for (const auto& r : rows)
    if (r.gpu == h100.gpu) EXPECT_EQ(r.started_at, h100.started_at) << "the earliest of the model's two is kept";
}

TEST(ResultsCsv, MergeKeepsAPointOncePerStage) {
  // measure --stage encode and --stage decode of one point are two measurements.
  TempDir dir;
  MeasurementRecord chain = sample("mbt2018_mean", 1, "a.png", 64, 64, "2024-05-01T10:00:00Z");
  MeasurementRecord encode = chain, decode = chain, old = chain;
  encode.stage = "encode";
  decode.stage = "decode";
  old.started_at = "2024-05-01T09:00:00Z";  // a file from before the stage column: the chain
  const std::string a = dir.file("a.csv"), out = dir.file("all.csv");
  for (const auto& r : {chain, encode, decode, old}) append_record(a, r);
  const MergeSummary summary = merge_results({a}, out);
  EXPECT_EQ(summary.rows, 3u);
  EXPECT_EQ(summary.duplicates, 1u);
  std::set<std::string> stages;
  for (const auto& r : read_results(out)) stages.insert(r.stage);
  EXPECT_EQ(stages, (std::set<std::string>{"", "encode", "decode"}));
}

// Issue 14: a point measured in two energy modes is two measurements, grouped
// and fitted apart; files from before the mode column are float32.
TEST(ResultsCsv, TheModeRoundTripsKeysAndGroupsApart) {
  TempDir dir;
  MeasurementRecord plain = sample("bmshj2018_factorized", 1, "a.png", 64, 64, "2024-05-01T10:00:00Z");
  MeasurementRecord fast = plain, old = plain;
  plain.mode = "float32";
  fast.mode = "channels_last+subpixel";
  fast.energy_j = plain.energy_j / 3;
  old.started_at = "2024-05-01T09:00:00Z";  // no mode: float32, the same point as `plain`
  const std::string a = dir.file("a.csv"), out = dir.file("all.csv");
  for (const auto& r : {plain, fast, old}) append_record(a, r);
  const auto rows = read_results(a);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1].mode, "channels_last+subpixel");
  EXPECT_DOUBLE_EQ(rows[1].energy_j, fast.energy_j);
  EXPECT_EQ(measurement_key(rows[2]), measurement_key(rows[0])) << "no mode is float32";
  EXPECT_FALSE(measurement_key(rows[1]) == measurement_key(rows[0]));
  EXPECT_NE(measurement_key(rows[1]).text().find("channels_last+subpixel"), std::string::npos);
  EXPECT_EQ(measurement_key(rows[0]).text().find("float32"), std::string::npos);
  const MergeSummary summary = merge_results({a}, out);
  EXPECT_EQ(summary.rows, 2u);
  EXPECT_EQ(summary.duplicates, 1u);
  const auto groups = group_records(rows, GroupBy::device);
  ASSERT_EQ(groups.size(), 2u) << "a mode is fitted and reported apart";
  EXPECT_EQ(groups[0].records.size() + groups[1].records.size(), 3u);
  EXPECT_NE(group_name(rows[1]).find(", mode channels_last+subpixel"), std::string::npos) << group_name(rows[1]);
  EXPECT_EQ(group_name(rows[0]), device_model(rows[0]));
}

// The device model a record is grouped and fitted by: the gpu column, else the
// name describe_device put in `device`, else its kind.
TEST(RecordGroups, DeviceModelFromTheGpuColumnOrTheDeviceText) {
  MeasurementRecord r;
  r.device = "cuda:1 (NVIDIA A100-SXM4-40GB)";
  EXPECT_EQ(device_model(r), "NVIDIA A100-SXM4-40GB") << "a file written before the gpu column";
  r.gpu = "NVIDIA H100 80GB HBM3";
  EXPECT_EQ(device_model(r), "NVIDIA H100 80GB HBM3") << "the gpu column wins";
  r.gpu.clear();
  r.device = "cpu (AMD EPYC 7B13 64-Core Processor)";
  EXPECT_EQ(device_model(r), "AMD EPYC 7B13 64-Core Processor");
  r.device = "cuda:0 NVIDIA H100";
  EXPECT_EQ(device_model(r), "NVIDIA H100");
  r.device = "cuda:3";
  EXPECT_EQ(device_model(r), "cuda") << "cuda:0 and cuda:3 of an unnamed model meet";
  r.device = "cpu";
  EXPECT_EQ(device_model(r), "cpu");
  r.device = "";
  EXPECT_EQ(device_model(r), "");
}

TEST(RecordGroups, GroupsByDeviceModelOrByNodeWithDistinctSlugs) {
  std::vector<MeasurementRecord> records;
  auto add = [&](const std::string& gpu, const std::string& node, int quality) {
    MeasurementRecord r = sample("bmshj2018_factorized", quality, "a.png", 64, 64);
    r.gpu = gpu;
    r.node = node;
    records.push_back(r);
  };
  add("NVIDIA H100 80GB HBM3", "gpu01", 1);
  add("NVIDIA A100-SXM4-40GB", "gpu02", 1);
  add("NVIDIA H100 80GB HBM3", "gpu03", 2);
  add("NVIDIA H100 80GB HBM3", "gpu01", 3);
  const auto by_device = group_records(records, GroupBy::device);
  ASSERT_EQ(by_device.size(), 2u);
  EXPECT_EQ(by_device[0].name, "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ(by_device[0].slug, "NVIDIA_A100-SXM4-40GB");
  EXPECT_EQ(by_device[0].records.size(), 1u);
  EXPECT_EQ(by_device[1].name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(by_device[1].slug, "NVIDIA_H100_80GB_HBM3");
  ASSERT_EQ(by_device[1].records.size(), 3u);
  EXPECT_EQ(by_device[1].records[1].quality, 2) << "records keep their order";
  const auto by_node = group_records(records, GroupBy::node);
  ASSERT_EQ(by_node.size(), 3u);
  EXPECT_EQ(by_node[0].name, "gpu01: NVIDIA H100 80GB HBM3");
  EXPECT_EQ(by_node[0].records.size(), 2u);
  EXPECT_EQ(by_node[0].slug, "gpu01_NVIDIA_H100_80GB_HBM3");
  // Names that differ only in characters a file name drops still get their own files.
  records[1].gpu = "NVIDIA H100/80GB HBM3";
  const auto clash = group_records(records, GroupBy::device);
  ASSERT_EQ(clash.size(), 2u);
  EXPECT_NE(clash[0].slug, clash[1].slug);
  EXPECT_EQ(parse_group_by("node"), GroupBy::node);
  EXPECT_THROW(parse_group_by("gpu"), Error);
  // One model: one group, whatever the nodes.
  for (auto& r : records) r.gpu = "NVIDIA H100 80GB HBM3";
  EXPECT_EQ(group_records(records, GroupBy::device).size(), 1u);
}

// Issue 13: the host CPU's side of a GPU's stage, and the stage in the key.
TEST(ResultsCsv, HostColumnsRoundTripAndTheStageIsPartOfTheKey) {
  TempDir dir;
  const std::string path = dir.file("r.csv");
  MeasurementRecord encode = sample("mbt2018", 1, "a.png", 64, 64);
  encode.stage = "encode";
  encode.host_meter = "rapl";
  encode.host_idle_power_w = 41.25;
  encode.host_energy_j = 0.0375;
  MeasurementRecord decode = sample("mbt2018", 1, "a.png", 64, 64);
  decode.stage = "decode";
  append_record(path, encode);
  append_record(path, decode);
  const auto read = read_results(path);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].host_meter, "rapl");
  ASSERT_TRUE(read[0].host_idle_power_w && read[0].host_energy_j);
  EXPECT_DOUBLE_EQ(*read[0].host_idle_power_w, 41.25);
  EXPECT_DOUBLE_EQ(*read[0].host_energy_j, 0.0375);
  EXPECT_EQ(read[1].host_meter, "");
  EXPECT_FALSE(read[1].host_energy_j);

  EXPECT_FALSE(measurement_key(read[0]) == measurement_key(read[1])) << "two stages of one point are two keys";
  EXPECT_NE(measurement_key(read[0]).text().find(" encode"), std::string::npos) << measurement_key(read[0]).text();
  MeasurementRecord older = sample("mbt2018", 1, "a.png", 64, 64);  // written before the stage column
  MeasurementRecord chain = older;
  chain.stage = "chain";
  EXPECT_TRUE(measurement_key(older) == measurement_key(chain)) << "an empty stage is the chain";
  EXPECT_EQ(measurement_key(chain).text().find("chain"), std::string::npos) << "the chain's key text stays as before";
}
