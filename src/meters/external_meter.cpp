// The external (wall-power) meter: a thread tails a log file or a FIFO and
// keeps its readings on the protocol's clock (format in external_meter.h).
#include "meters/external_meter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>

#include "error.h"
#include "io/numbers.h"
#include "meters/power_integral.h"

namespace nicenergy {
namespace {

double realtime_now_s() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

std::string trimmed(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

class LogMeter : public ExternalMeter {
 public:
  LogMeter(std::string path, Clock* clock, ExternalMeterOptions options)
      : path_(std::move(path)), clock_(clock ? clock : &steady_clock_instance()), options_(options) {
    if (!(options_.stale_s > 0) || !(options_.wait_s >= 0) || !std::isfinite(options_.clock_offset_s))
      throw Error("external meter: stale_s must be > 0, wait_s >= 0 and clock_offset_s finite");
    struct stat st{};
    if (::stat(path_.c_str(), &st) != 0)
      throw Error("external meter: cannot open the log '" + printable(path_) + "' (" + std::strerror(errno) +
                  "); start the meter's logger first, or name its file or FIFO with --meter external:PATH");
    pipe_ = S_ISFIFO(st.st_mode);
    if (!pipe_ && !S_ISREG(st.st_mode))
      throw Error("external meter: '" + printable(path_) + "' is neither a file nor a FIFO; give the logger's output");
    // Non-blocking: a FIFO without a writer yet must not hold the program.
    fd_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0)
      throw Error("external meter: cannot open the log '" + printable(path_) + "' (" + std::strerror(errno) +
                  "); check its permissions");
    // Unix seconds -> this clock: the offset between the two, now.
    const double t0 = clock_->now_s();
    const double unix_s = realtime_now_s();
    unix_to_clock_s_ = (t0 + clock_->now_s()) / 2 - unix_s + options_.clock_offset_s;
    // A file's lines so far are read now, so that a malformed one fails at once.
    read_available();
    if (!error_.empty()) {
      ::close(fd_);
      throw Error(error_);
    }
    reader_ = std::thread([this] { loop(); });
  }

  ~LogMeter() override {
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    if (fd_ >= 0) ::close(fd_);
  }

  std::string name() const override { return "external"; }
  bool available() const override { return true; }
  std::string unavailable_reason() const override { return ""; }
  bool samples_power() const override { return true; }
  bool has_energy_counter() const override { return false; }

  // The latest reading while the log is fresh.
  std::optional<double> power_w() override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_.empty() || points_.empty() || clock_->now_s() - points_.back().t_s > options_.stale_s) return std::nullopt;
    return points_.back().power_w;
  }
  std::optional<double> energy_j() override { return std::nullopt; }

  DeviceState device_state() override {
    DeviceState state;
    state.name = "external meter log " + path_;
    return state;
  }

  std::map<std::string, std::string> metadata() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return {{"meter", "external"},
            {"external_log", path_},
            {"external_source", pipe_ ? "fifo" : "file"},
            {"time_base", "Unix seconds (CLOCK_REALTIME) mapped to the monotonic clock"},
            {"clock_offset_s", number_text(options_.clock_offset_s)},
            {"points", std::to_string(points_.size())}};
  }

  std::vector<PowerSample> points() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return points_;
  }

  double energy_between_j(double t0_s, double t1_s) override {
    if (!(t1_s > t0_s)) throw Error("external meter: an interval must end after it starts");
    const double give_up_s = clock_->now_s() + options_.wait_s;
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_.empty()) throw Error(error_);
        if (!points_.empty() && points_.back().t_s >= t1_s) break;
      }
      if (clock_->now_s() >= give_up_s) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (points_.empty())
          throw Error("external meter: the log '" + printable(path_) + "' has no readings after waiting " +
                      number_text(options_.wait_s) + " s; is the logger running and writing TIME,POWER_W lines?");
        throw Error("external meter: the log '" + printable(path_) + "' is stale: its last reading is " +
                    number_text(t1_s - points_.back().t_s) + " s before the end of the interval, after waiting " +
                    number_text(options_.wait_s) + " s; is the logger still running (or is --external-offset-s off)?");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (points_.front().t_s > t0_s)
      throw Error("external meter: the log '" + printable(path_) + "' starts " + number_text(points_.front().t_s - t0_s) +
                  " s after the interval begins; start the logger before nicenergy (or check --external-offset-s)");
    // The readings around and inside [t0, t1]; a gap between two of them longer
    // than stale_s is a logger that stalled.
    std::vector<PowerSample> inside;
    for (size_t i = 0; i < points_.size(); ++i) {
      const bool before_next = i + 1 < points_.size() && points_[i + 1].t_s <= t0_s;
      if (before_next) continue;
      inside.push_back(points_[i]);
      if (points_[i].t_s >= t1_s) break;
    }
    for (size_t i = 1; i < inside.size(); ++i)
      if (inside[i].t_s - inside[i - 1].t_s > options_.stale_s)
        throw Error("external meter: the log '" + printable(path_) + "' has a gap of " +
                    number_text(inside[i].t_s - inside[i - 1].t_s) + " s (more than " + number_text(options_.stale_s) +
                    " s) inside the interval; the logger stalled");
    return integrate_power_j(inside, t0_s, t1_s);
  }

 private:
  void loop() {
    while (!stop_) {
      const bool got = read_available();
      if (!got) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // Reads what is there now; true when bytes came.
  bool read_available() {
    char buffer[4096];
    bool got = false;
    for (;;) {
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) break;  // EOF (file end, FIFO without writer) or EAGAIN: later
      got = true;
      const double read_s = clock_->now_s();
      partial_.append(buffer, static_cast<size_t>(n));
      size_t newline;
      while ((newline = partial_.find('\n')) != std::string::npos) {
        const std::string line = partial_.substr(0, newline);
        partial_.erase(0, newline + 1);
        take_line(line, read_s);
      }
    }
    return got;
  }

  void take_line(const std::string& raw, double read_s) {
    ++line_number_;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_.empty()) return;  // the first malformed line is the one reported
    const std::string line = trimmed(raw);
    if (line.empty() || line[0] == '#') return;
    const std::string where = "external meter: '" + printable(path_) + "' line " + std::to_string(line_number_);
    const bool numeric = std::isdigit(static_cast<unsigned char>(line[0])) || line[0] == '-' || line[0] == '+' || line[0] == '.';
    if (!numeric) {
      if (!seen_data_ && !seen_header_) {
        seen_header_ = true;  // "time_s,power_w"
        return;
      }
      error_ = where + ": '" + printable(line) + "' is not TIME,POWER_W (Unix seconds, watts); fix the logger's output";
      return;
    }
    seen_data_ = true;
    const size_t comma = line.find(',');
    try {
      PowerSample s;
      if (comma == std::string::npos) {
        if (!pipe_) throw Error("a file's lines need a time: TIME,POWER_W");
        s.t_s = read_s;
        s.power_w = parse_double(trimmed(line), "the power");
      } else {
        const size_t second = line.find(',', comma + 1);
        s.t_s = parse_double(trimmed(line.substr(0, comma)), "the time") + unix_to_clock_s_;
        s.power_w = parse_double(trimmed(line.substr(comma + 1, second == std::string::npos ? std::string::npos
                                                                                          : second - comma - 1)),
                                 "the power");
      }
      if (s.power_w < 0) throw Error("the power " + number_text(s.power_w) + " W is negative");
      if (!points_.empty() && s.t_s < points_.back().t_s) throw Error("the time goes back");
      points_.push_back(s);
    } catch (const Error& e) {
      error_ = where + ": '" + printable(line) + "': " + e.what() + "; the log must hold TIME,POWER_W lines (Unix seconds, watts)";
    }
  }

  std::string path_;
  Clock* clock_;
  ExternalMeterOptions options_;
  bool pipe_ = false;
  int fd_ = -1;
  double unix_to_clock_s_ = 0;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  std::string partial_;  // reader thread only (and the constructor before it)
  long line_number_ = 0;

  mutable std::mutex mutex_;
  std::vector<PowerSample> points_;
  std::string error_;  // the first malformed line, reported at the next energy_between_j
  bool seen_header_ = false, seen_data_ = false;
};

}  // namespace

std::unique_ptr<ExternalMeter> make_external_meter(const std::string& path, Clock* clock, ExternalMeterOptions options) {
  return std::make_unique<LogMeter>(path, clock, options);
}

}  // namespace nicenergy
