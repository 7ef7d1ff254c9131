// --profile FILE for gpunn's programs (the training examples and `gpunn time`): the run
// under gpunn::profiler::Profiler (gpunn/profiler.h). When it ends, the per-op table goes
// to stderr and Chrome's trace-event JSON to FILE (open it in Perfetto, ui.perfetto.dev).
//
//   add_profile_option(app, path);
//   ... parse ...
//   cli::ProfileRun profile(path);
//   profile.start();                       // before the part to profile
//   for (...) { profiler::Range step("step"); ... }
//   profile.finish();                      // writes FILE (nothing without --profile)
#pragma once

#include <gpunn/gpunn.h>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

namespace gpunn::cli {

inline CLI::Option* add_profile_option(CLI::App& app, std::string& path) {
  return app
      .add_option("--profile", path,
                  "profile the run: each op's host and GPU time and the data, step and "
                  "optimizer ranges; prints a table per op and writes Chrome's trace JSON to "
                  "this file (open it in Perfetto)")
      ->check([](const std::string& p) -> std::string {
        if (p.empty() || std::filesystem::is_directory(p))
          return "--profile wants a file name, got '" + p + "'";
        return "";
      });
}

class ProfileRun {
 public:
  explicit ProfileRun(std::string path) : path_(std::move(path)) {}
  bool enabled() const { return !path_.empty(); }
  // Creates FILE's folder (it may be the --out folder the program creates too), so that a
  // path that cannot be written fails here and not after the run.
  void start() {
    if (!enabled() || profiler_) return;
    const std::filesystem::path dir = std::filesystem::path(path_).parent_path();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (ec || (!dir.empty() && !std::filesystem::is_directory(dir)))
      throw Error("--profile " + path_ + ": cannot create the folder " + dir.string() +
                  (ec ? " (" + ec.message() + ")" : std::string()));
    profiler_ = std::make_unique<profiler::Profiler>();
  }
  // Stops, prints the table (the 25 costliest ops and the ranges) and writes the trace.
  void finish(std::ostream& out = std::cerr) {
    if (!profiler_) return;
    profiler_->stop();
    out << "profile (" << profiler_->ops().size() << " launches):\n" << profiler_->table(25);
    profiler_->export_chrome_trace(path_);
    out << "wrote the trace to " << path_ << " (open it in Perfetto: ui.perfetto.dev)\n";
    profiler_.reset();
  }

 private:
  std::string path_;
  std::unique_ptr<profiler::Profiler> profiler_;
};

}  // namespace gpunn::cli
