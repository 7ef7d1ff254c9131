// Readers for the standard data files: IDX (MNIST, Fashion-MNIST), CIFAR-10
// binary batches, and plain text. Formats are described in docs/data.md.
//
// Every reader takes the file plain or gzip-compressed (".gz", or any file that
// starts with the gzip magic bytes) when gpunn is built with zlib
// (GPUNN_WITH_ZLIB, on where zlib is found); without it a compressed file gets
// an error saying so. Headers and sizes are validated before any large
// allocation: a truncated, oversized, corrupt or mislabelled file throws
// gpunn::Error naming the file and what was wrong, never crashes.
#pragma once

#include <gpunn/data/dataset.h>
#include <gpunn/export.h>
#include <gpunn/tensor.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

GPUNN_API_BEGIN

namespace gpunn::data {

enum class Split { Train, Test };

// True when this build reads .gz files.
bool has_zlib();

// The whole content of a file, decompressed when it is gzip data.
std::string read_file_bytes(const std::string& path);

// ---- IDX ------------------------------------------------------------------------

// The header of an IDX file: element type code (0x08 uint8, 0x09 int8, 0x0B
// int16, 0x0C int32, 0x0D float32, 0x0E float64) and dims.
struct IdxHeader {
  uint8_t type_code = 0;
  Shape dims;
};

// Reads an IDX file into a tensor of shape `dims` and dtype `dtype`, converting
// each element (stored big-endian) to it and multiplying float results by
// `scale` (1/255.0 turns image bytes into [0, 1]). Integer dtypes take integer
// IDX types only. Checks: the magic (two zero bytes, a known type code, rank
// 1..8), that the element count fits in memory, and that the file holds exactly
// the bytes the header announces.
Tensor read_idx(const std::string& path, DType dtype = kFloat32, double scale = 1.0);
IdxHeader read_idx_header(const std::string& path);
// read_idx on a file's content already in memory (a network buffer, an archive member,
// a fuzzer's input): plain IDX bytes, or gzip data (which is decompressed first; a
// `name` ending in ".gz" must hold gzip data). The same checks and errors; `name` stands
// for the file in messages.
Tensor parse_idx(const std::string& bytes, DType dtype = kFloat32, double scale = 1.0,
                 const std::string& name = "<memory>");

// ---- MNIST and Fashion-MNIST ------------------------------------------------------

// Images [N, 1, 28, 28] float32 in [0, 1] (byte / 255) and labels [N] int64 in
// 0..9, from the four standard files in `dir`: {train,t10k}-{images-idx3,
// labels-idx1}-ubyte, each plain or with ".gz" (the dotted "images.idx3-ubyte"
// spelling is accepted too). Checks that images are 28x28, that the counts
// agree and that labels are < 10.
TensorDataset load_mnist(const std::string& dir, Split split);
// Fashion-MNIST has MNIST's format and file names; 10 clothing classes.
TensorDataset load_fashion_mnist(const std::string& dir, Split split);
// "T-shirt/top", "Trouser", ..., "Ankle boot": label i is class name i.
const std::vector<std::string>& fashion_mnist_classes();
// The folder holding Fashion-MNIST: $GPUNN_FASHION_MNIST_DIR when set, else
// Debian's dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist),
// if it holds the training images in a form this build reads (.gz needs zlib);
// nullopt otherwise. A GPUNN_FASHION_MNIST_DIR that holds no training images is a
// gpunn::Error naming it (it is not skipped in favour of the Debian folder).
std::optional<std::string> find_fashion_mnist();

// ---- CIFAR-10 ------------------------------------------------------------------

// One binary batch file: records of 1 label byte (< 10) and 3072 pixel bytes
// (1024 red, 1024 green, 1024 blue, rows of 32). Images [N, 3, 32, 32] float32
// in [0, 1]; labels [N] int64. The size must be a whole number of records.
TensorDataset read_cifar10_batch(const std::string& path);
// read_cifar10_batch on a batch file's content in memory (plain or gzip data).
TensorDataset parse_cifar10_batch(const std::string& bytes, const std::string& name = "<memory>");
// data_batch_1..5.bin (Train, 50000 images) or test_batch.bin (Test), in `dir`
// or in dir/cifar-10-batches-bin; each plain or with ".gz".
TensorDataset load_cifar10(const std::string& dir, Split split);
const std::vector<std::string>& cifar10_classes();

// ---- text ------------------------------------------------------------------------

// A text file's bytes (plain or gzip).
std::string read_text_file(const std::string& path);
// Debian's list of proper names (miscfiles: /usr/share/dict/propernames[.gz]),
// one name per line; nullopt when not installed (or only the .gz is there and
// this build has no zlib).
std::optional<std::string> find_propernames();

}  // namespace gpunn::data

GPUNN_API_END
