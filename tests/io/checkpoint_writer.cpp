// A child process for Checkpoint.SurvivesSigkillDuringSaves: saves checkpoint
// versions first, first + 1, ... to `path` until it is killed. It writes one
// byte to stdout when it is loaded and about to save, so the test's random
// delays count from there and not from process start-up (loading a CUDA build's
// libraries alone can take longer than the longest delay).
//
//   checkpoint_writer PATH FIRST
//
// Version v is checkpoint_writer_version(v) (tests/io/checkpoint_versions.h), so
// the test can tell whether a file on disk is exactly one complete version.
#include <gpunn/io/checkpoint.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "io/checkpoint_versions.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: checkpoint_writer PATH FIRST\n");
    return 2;
  }
  std::fputc('r', stdout);
  std::fflush(stdout);
  try {
    for (int64_t v = std::atoll(argv[2]);; ++v) {
      gpunn::io::save_checkpoint(argv[1], gpunn::test::checkpoint_version(v));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checkpoint_writer: %s\n", e.what());
    return 1;
  }
}
