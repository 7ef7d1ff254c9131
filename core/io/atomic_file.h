// Writing a file atomically: temporary file in the same directory, fsync,
// rename over the target, fsync of the directory. Private to libgpunn.
//
// A crash or an error at any point leaves either the old file or the complete
// new one at `path`, never a mixture; on error the temporary file is removed
// and gpunn::Error names `path`, the step that failed and the system's reason.
//
// The temporary file is "<path>.tmp.<pid>.<n>". A process killed between its
// creation and the rename (SIGKILL, power loss) leaves it behind; the next save
// to the same path removes every such file whose process no longer exists, so
// at most one killed save's leftover is ever there.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace gpunn::io {

struct Chunk {
  const void* data;
  size_t size;
};

void write_file_atomically(const std::string& path, const std::vector<Chunk>& chunks);

namespace testing {
// A fault injector for tests: when set, it is called with each step's name
// ("open", "write", "fsync", "close", "rename") before the step runs, and the
// step fails as if the system call had failed with EIO when it returns true.
using FaultHook = bool (*)(const char* step);
void set_atomic_write_fault_hook(FaultHook hook);
}  // namespace testing

}  // namespace gpunn::io
