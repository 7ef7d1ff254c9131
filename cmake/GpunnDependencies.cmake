# Optional dependencies: the CUDA toolkit, cuDNN and zlib. Each can be switched
# off and the library still builds (the CPU path serves; without zlib the data
# readers take uncompressed files only).
#
# cuDNN is looked for next to the toolkit first, then under GPUNN_CUDNN_ROOT or
# $CUDNN_ROOT (for example the folder of PyTorch's nvidia-cudnn wheel on a
# machine whose toolkit lacks it).

if(GPUNN_WITH_CUDA)
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  set(CMAKE_CUDA_STANDARD 20)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
endif()

if(GPUNN_WITH_CUDNN)
  set(GPUNN_CUDNN_ROOT "" CACHE PATH "Folder holding cuDNN's include/ and lib/")
  find_path(GPUNN_CUDNN_INCLUDE_DIR cudnn.h
    HINTS ${GPUNN_CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_INCLUDE_DIRS}
    PATH_SUFFIXES include)
  find_library(GPUNN_CUDNN_LIBRARY cudnn
    HINTS ${GPUNN_CUDNN_ROOT} $ENV{CUDNN_ROOT} ${CUDAToolkit_LIBRARY_DIR}
    PATH_SUFFIXES lib lib64)
  if(NOT GPUNN_CUDNN_INCLUDE_DIR OR NOT GPUNN_CUDNN_LIBRARY)
    message(WARNING "gpunn: cuDNN not found (set GPUNN_CUDNN_ROOT); building without it")
    set(GPUNN_WITH_CUDNN OFF CACHE BOOL "Use cuDNN for the vendor path" FORCE)
  endif()
endif()

# zlib reads gzip-compressed data files (.gz) in data/. On by default where found.
find_package(ZLIB QUIET)
set(_gpunn_zlib_default OFF)
if(ZLIB_FOUND)
  set(_gpunn_zlib_default ON)
endif()
option(GPUNN_WITH_ZLIB "Read gzip-compressed data files with zlib" ${_gpunn_zlib_default})
if(GPUNN_WITH_ZLIB AND NOT ZLIB_FOUND)
  message(FATAL_ERROR "gpunn: GPUNN_WITH_ZLIB is ON but zlib was not found "
                      "(install zlib1g-dev, or configure with -DGPUNN_WITH_ZLIB=OFF)")
endif()

# Links `target` against what the options enabled and tells the sources.
function(gpunn_link_dependencies target)
  if(GPUNN_WITH_CUDA)
    target_compile_definitions(${target} PRIVATE GPUNN_WITH_CUDA=1)
    target_link_libraries(${target} PRIVATE CUDA::cudart)
  endif()
  if(GPUNN_WITH_CUDNN)
    target_compile_definitions(${target} PRIVATE GPUNN_WITH_CUDNN=1)
    target_include_directories(${target} PRIVATE ${GPUNN_CUDNN_INCLUDE_DIR})
    target_link_libraries(${target} PRIVATE ${GPUNN_CUDNN_LIBRARY})
  endif()
  if(GPUNN_WITH_ZLIB)
    target_compile_definitions(${target} PRIVATE GPUNN_WITH_ZLIB=1)
    target_link_libraries(${target} PRIVATE ZLIB::ZLIB)
  endif()
endfunction()
