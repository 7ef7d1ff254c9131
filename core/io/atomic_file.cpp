// Atomic file writes (core/io/atomic_file.h), POSIX.
#include "core/io/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <gpunn/error.h>

namespace gpunn::io {
namespace {

std::atomic<testing::FaultHook> g_fault_hook{nullptr};
std::atomic<unsigned> g_counter{0};

bool inject(const char* step) {
  const testing::FaultHook hook = g_fault_hook.load();
  if (hook != nullptr && hook(step)) {
    errno = EIO;
    return true;
  }
  return false;
}

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Closes the descriptor and removes the temporary file unless released.
class TempFile {
 public:
  TempFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  int release_fd() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void keep() { path_.clear(); }

 private:
  std::string path_;
  int fd_;
};

[[noreturn]] void fail(const std::string& path, const char* step, const std::string& detail_path,
                       int err) {
  detail::throw_error("cannot save '", path, "': ", step, " of temporary file '", detail_path,
                      "' failed: ", std::strerror(err),
                      " (the previous file, if any, is unchanged)");
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Parses "<digits>.<digits>" (the pid and counter of a temporary file name);
// returns the pid, or -1 when `rest` is not of that form.
long temp_owner(const std::string& rest) {
  const size_t dot = rest.find('.');
  if (dot == 0 || dot == std::string::npos || dot + 1 == rest.size() || dot > 9) return -1;
  long pid = 0;
  for (size_t i = 0; i < dot; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return -1;
    pid = pid * 10 + (rest[i] - '0');
  }
  for (size_t i = dot + 1; i < rest.size(); ++i)
    if (rest[i] < '0' || rest[i] > '9') return -1;
  return pid;
}

// Removes "<path>.tmp.<pid>.<n>" files left by saves that were killed before
// their rename (SIGKILL, power loss): those whose process no longer exists.
// A live process's temporary file (a save in progress) is left alone, and so is
// anything whose owner cannot be told. Best effort: failures are ignored.
void remove_stale_temporaries(const std::string& path) {
  const std::string dir = directory_of(path);
  const std::string prefix = base_name(path) + ".tmp.";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const long pid = temp_owner(name.substr(prefix.size()));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive or unknown
    ::unlinkat(::dirfd(d), name.c_str(), 0);
  }
  ::closedir(d);
}

}  // namespace

void write_file_atomically(const std::string& path, const std::vector<Chunk>& chunks) {
  GPUNN_CHECK(!path.empty(), "save: empty file path");
  remove_stale_temporaries(path);
  const std::string tmp_path =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(g_counter.fetch_add(1));
  int fd =
      inject("open") ? -1 : ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "open", tmp_path, errno);
  TempFile tmp(tmp_path, fd);

  for (const Chunk& c : chunks) {
    const char* p = static_cast<const char*>(c.data);
    size_t left = c.size;
    while (left > 0) {
      const ssize_t n = inject("write") ? -1 : ::write(tmp.fd(), p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail(path, "write", tmp_path, errno);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  if (inject("fsync") || ::fsync(tmp.fd()) != 0) fail(path, "fsync", tmp_path, errno);
  const int raw_fd = tmp.release_fd();
  const bool close_fault = inject("close");
  if (::close(raw_fd) != 0 || close_fault) fail(path, "close", tmp_path, close_fault ? EIO : errno);
  if (inject("rename") || ::rename(tmp_path.c_str(), path.c_str()) != 0)
    fail(path, "rename", tmp_path, errno);
  tmp.keep();  // it is the target now

  // Make the rename itself durable. The new file is complete either way, so a
  // failure here is reported but nothing is undone.
  const std::string dir = directory_of(path);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    const bool synced = ::fsync(dfd) == 0 || errno == EINVAL;  // some file systems refuse
    const int err = errno;
    ::close(dfd);
    if (!synced)
      detail::throw_error("save '", path, "': written, but fsync of directory '", dir,
                          "' failed: ", std::strerror(err));
  }
}

namespace testing {
void set_atomic_write_fault_hook(FaultHook hook) { g_fault_hook.store(hook); }
}  // namespace testing

}  // namespace gpunn::io
