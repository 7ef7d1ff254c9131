# gpunn_find_cuda_toolkit([REQUIRED|QUIET]): find_package(CUDAToolkit) that also works with
# the CMake that Debian 12 ships (3.25.1) and the CUDA 13 toolkit. Used by gpunn's own build
# and by the installed package (gpunnConfig.cmake), so it is installed with it.
#
# Note [stock FindCUDAToolkit and CUDA 13]
# CMake 3.25's FindCUDAToolkit marks the target CUDA::nvToolsExt as deprecated whenever the
# project requires CMake 3.25 or newer, without checking that the target exists. CUDA 13 no
# longer ships the old nvToolsExt library, so the target is never created and configure stops
# at "set_property could not find TARGET CUDA::nvToolsExt". The module reads
# CMAKE_MINIMUM_REQUIRED_VERSION for that one message only, so it is lowered around the call
# (gpunn links no NVTX library, and every other result of the search is unchanged).
# tools/check_stock_cmake.sh keeps a configure against the unpatched module in CI.
macro(gpunn_find_cuda_toolkit)
  set(_gpunn_saved_minimum "${CMAKE_MINIMUM_REQUIRED_VERSION}")
  set(CMAKE_MINIMUM_REQUIRED_VERSION 3.24)
  find_package(CUDAToolkit ${ARGN})
  set(CMAKE_MINIMUM_REQUIRED_VERSION "${_gpunn_saved_minimum}")
  unset(_gpunn_saved_minimum)
endmacro()
