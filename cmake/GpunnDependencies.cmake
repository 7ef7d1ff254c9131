# Optional dependencies: the CUDA toolkit, cuDNN, oneDNN and zlib. Each can be
# switched off and the library still builds (the reference loops serve; without
# zlib the data readers take uncompressed files only).
#
# cuDNN is looked for next to the toolkit first, then under GPUNN_CUDNN_ROOT or
# $CUDNN_ROOT (for example the folder of PyTorch's nvidia-cudnn wheel on a
# machine whose toolkit lacks it).

if(GPUNN_WITH_CUDA)
  enable_language(CUDA)
  include(gpunnFindCUDAToolkit)
  gpunn_find_cuda_toolkit(REQUIRED)
  # nvcc 13 with CMake 3.25 knows C++17 for CUDA sources; host code stays C++20.
  set(CMAKE_CUDA_STANDARD 17)
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

# The cudnn-frontend headers (header-only; Debian lacks them, PyPI's nvidia-cudnn-frontend
# wheel ships them and tools/fetch_cudnn_frontend.sh puts them in .devdeps/): attention's
# cuDNN path. Looked for under GPUNN_CUDNN_FRONTEND_ROOT, $CUDNN_FRONTEND_ROOT and
# .devdeps/cudnn_frontend; where they are missing the build goes on without that path (the
# option stays ON in the cache, so a later configure finds headers fetched since).
if(GPUNN_WITH_CUDNN_FRONTEND)
  set(GPUNN_CUDNN_FRONTEND_ROOT "" CACHE PATH "Folder holding cudnn-frontend's include/")
  find_path(GPUNN_CUDNN_FRONTEND_INCLUDE_DIR cudnn_frontend.h
    HINTS ${GPUNN_CUDNN_FRONTEND_ROOT} $ENV{CUDNN_FRONTEND_ROOT}
          ${PROJECT_SOURCE_DIR}/.devdeps/cudnn_frontend
    PATH_SUFFIXES include NO_DEFAULT_PATH)
  if(GPUNN_CUDNN_FRONTEND_INCLUDE_DIR AND NOT TARGET CUDA::nvrtc)
    message(STATUS "gpunn: the CUDA toolkit has no NVRTC, which cudnn-frontend needs: "
                   "attention's cuDNN path is left out")
    set(GPUNN_WITH_CUDNN_FRONTEND OFF)
  elseif(GPUNN_CUDNN_FRONTEND_INCLUDE_DIR)
    message(STATUS "gpunn: cudnn-frontend found (${GPUNN_CUDNN_FRONTEND_INCLUDE_DIR}): "
                   "attention's cuDNN path is built")
  else()
    message(STATUS "gpunn: cudnn-frontend headers not found: attention's cuDNN path is left "
                   "out (tools/fetch_cudnn_frontend.sh fetches them)")
    set(GPUNN_WITH_CUDNN_FRONTEND OFF)
  endif()
endif()

# oneDNN (Debian's libdnnl-dev) is the vendor path on the CPU: on by default
# wherever its header and library are found. It is looked up directly rather
# than through its CMake package, which on Debian also demands the OpenCL
# development files (its GPU runtime), unused here.
find_path(GPUNN_ONEDNN_INCLUDE_DIR oneapi/dnnl/dnnl.hpp HINTS $ENV{DNNLROOT} PATH_SUFFIXES include)
find_library(GPUNN_ONEDNN_LIBRARY dnnl HINTS $ENV{DNNLROOT} PATH_SUFFIXES lib lib64)
set(_gpunn_onednn_found OFF)
if(GPUNN_ONEDNN_INCLUDE_DIR AND GPUNN_ONEDNN_LIBRARY)
  set(_gpunn_onednn_found ON)
endif()
option(GPUNN_WITH_ONEDNN "Use oneDNN for the vendor path on the CPU" ${_gpunn_onednn_found})
if(GPUNN_WITH_ONEDNN AND NOT _gpunn_onednn_found)
  message(FATAL_ERROR "gpunn: GPUNN_WITH_ONEDNN=ON but oneDNN was not found. Install "
                      "libdnnl-dev (or set DNNLROOT), or configure with -DGPUNN_WITH_ONEDNN=OFF.")
endif()
if(GPUNN_WITH_ONEDNN)
  # Debian's oneDNN runs its threads with OpenMP (libgomp); gpunn asks OpenMP
  # for the thread count it reports.
  find_package(OpenMP REQUIRED COMPONENTS CXX)
  message(STATUS "gpunn: oneDNN found (${GPUNN_ONEDNN_LIBRARY}): the CPU vendor path is built")
else()
  message(STATUS "gpunn: building without oneDNN (install libdnnl-dev for the CPU vendor "
                 "path); the reference loops serve every op on the CPU")
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

# Every build option a source may test, for every part of gpunn.
function(gpunn_option_definitions target)
  foreach(option CUDA CUDNN CUDNN_FRONTEND ONEDNN ZLIB)
    if(GPUNN_WITH_${option})
      target_compile_definitions(${target} PRIVATE GPUNN_WITH_${option}=1)
    endif()
  endforeach()
endfunction()

# The headers of the libraries a layer may use (gpunn_add_layer's USES), when built in.
function(gpunn_layer_dependencies target)
  gpunn_option_definitions(${target})
  foreach(use IN LISTS ARGN)
    if(use STREQUAL "CUDA" AND GPUNN_WITH_CUDA)
      target_include_directories(${target} SYSTEM PRIVATE ${CUDAToolkit_INCLUDE_DIRS})
    elseif(use STREQUAL "CUDNN" AND GPUNN_WITH_CUDNN)
      target_include_directories(${target} SYSTEM PRIVATE ${GPUNN_CUDNN_INCLUDE_DIR})
    elseif(use STREQUAL "CUDNN_FRONTEND" AND GPUNN_WITH_CUDNN_FRONTEND)
      target_include_directories(${target} SYSTEM PRIVATE ${GPUNN_CUDNN_FRONTEND_INCLUDE_DIR})
    elseif(use STREQUAL "ONEDNN" AND GPUNN_WITH_ONEDNN)
      target_include_directories(${target} SYSTEM PRIVATE ${GPUNN_ONEDNN_INCLUDE_DIR})
      target_link_libraries(${target} PRIVATE OpenMP::OpenMP_CXX)
    elseif(use STREQUAL "ZLIB" AND GPUNN_WITH_ZLIB)
      target_include_directories(${target} SYSTEM PRIVATE ${ZLIB_INCLUDE_DIRS})
    endif()
  endforeach()
endfunction()

# Links `target` (libgpunn, and the static twin the internal tests use) against what
# the options enabled.
function(gpunn_link_dependencies target scope)
  if(GPUNN_WITH_CUDA)
    target_link_libraries(${target} ${scope} CUDA::cudart CUDA::cublas)
  endif()
  if(GPUNN_WITH_CUDNN)
    target_link_libraries(${target} ${scope} ${GPUNN_CUDNN_LIBRARY})
  endif()
  if(GPUNN_WITH_CUDNN_FRONTEND)
    # The headers hold an engine that compiles its kernels at run time with NVRTC.
    target_link_libraries(${target} ${scope} CUDA::nvrtc)
  endif()
  if(GPUNN_WITH_ONEDNN)
    target_link_libraries(${target} ${scope} ${GPUNN_ONEDNN_LIBRARY} OpenMP::OpenMP_CXX)
  endif()
  if(GPUNN_WITH_ZLIB)
    target_link_libraries(${target} ${scope} ZLIB::ZLIB)
  endif()
endfunction()
