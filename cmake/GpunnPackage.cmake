# Debian packages of an installed gpunn, built by CPack from the install components
# (cmake/GpunnInstall.cmake):
#
#   libgpunn0     the shared library
#   libgpunn-dev  headers, the CMake package, gpunn.pc and the libgpunn.so link
#   gpunn-tools   the gpunn tool (/usr/bin/gpunn) and the example programs
#                 (/usr/libexec/gpunn/fashion_mnist, ...)
#
# After a build:  cpack --config build/CPackConfig.cmake -B build/packages
# (tools/package.sh does both with the install prefix /usr). The packages' dependencies on
# Debian's libraries (libdnnl2, zlib1g, libgomp1, libstdc++6, ...) come from dpkg-shlibdeps.
#
# Note [the CUDA libraries are not Debian packages]
# A CUDA build links libcudart, libcublas(Lt), libcudnn (and libnvrtc, with cudnn-frontend),
# which NVIDIA distributes as a tarball, a runfile or its own apt repository, under names
# that differ by install method and CUDA version; Debian's own nvidia-cuda-toolkit is an
# older CUDA. So the packages do not name them as dependencies: dpkg-shlibdeps is told that
# the CUDA library folders are private (no package information sought there), libgpunn
# finds the libraries through the run path it was linked with (INSTALL_RPATH_USE_LINK_PATH)
# or the dynamic linker's path, and `gpunn device` says what it found. A build without CUDA (GPUNN_WITH_CUDA=OFF) gives
# packages that depend on Debian packages only.
if(NOT GPUNN_BUILD_SHARED)
  message(STATUS "gpunn: Debian packages need the shared library (GPUNN_BUILD_SHARED=ON); "
                 "CPack is not configured")
  return()
endif()

# CPack's dependency scan (dpkg-shlibdeps) runs `file` on every packaged binary.
find_program(GPUNN_FILE_PROGRAM file)
if(NOT GPUNN_FILE_PROGRAM)
  message(STATUS "gpunn: cpack needs the program `file` (apt-get install file) for the "
                 "Debian packages")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gpunn)
set(CPACK_PACKAGE_VENDOR "gpunn")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "C++ deep-learning framework whose home is the NVIDIA GPU")
# Whoever builds packages for others names themselves here.
set(GPUNN_PACKAGE_MAINTAINER "gpunn maintainers <maintainers@gpunn.invalid>"
    CACHE STRING "The Maintainer field of the Debian packages")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${GPUNN_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # name_version_arch.deb, as dpkg names them
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev tools)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libgpunn${PROJECT_VERSION_MAJOR})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "C++ deep-learning framework whose home is the NVIDIA GPU - shared library\n"
    "libgpunn: device-resident tensors, a define-by-run autograd tape, layers, losses,\n"
    "optimizers, data loaders and checkpoints, with CUDA kernels of its own, cuDNN/cuBLAS\n"
    "and a CPU path on oneDNN.")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libgpunn-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "C++ deep-learning framework whose home is the NVIDIA GPU - development files\n"
    "Headers (C++20), the CMake package (find_package(gpunn)) and gpunn.pc for pkg-config.")
set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME gpunn-tools)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
    "C++ deep-learning framework whose home is the NVIDIA GPU - tool and examples\n"
    "The gpunn command (device information, layer-by-layer timings) and the example\n"
    "programs in /usr/libexec/gpunn: spiral, fashion_mnist, char_rnn, filters, autoencoder,\n"
    "gan, alexnet, autodiff.")

# libgpunn-dev and gpunn-tools depend on libgpunn0 of the same version.
set(CPACK_COMPONENT_DEV_DEPENDS runtime)
set(CPACK_COMPONENT_TOOLS_DEPENDS runtime)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "pkgconf | pkg-config, cmake")
set(CPACK_DEBIAN_TOOLS_PACKAGE_SUGGESTS "dataset-fashion-mnist, miscfiles")

set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libgpunn0 ships a shlibs file, so that programs built against it (gpunn-tools here, a
# user's packages later) depend on it by dpkg-shlibdeps like on any Debian library.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# Where dpkg-shlibdeps looks for libraries that belong to no package and must not become
# dependencies: libgpunn in the build tree (for gpunn-tools; its package is named above)
# and the CUDA libraries (Note [the CUDA libraries are not Debian packages]).
set(_gpunn_private_dirs ${PROJECT_BINARY_DIR})
if(GPUNN_WITH_CUDA)
  foreach(_lib CUDA::cudart CUDA::cublas CUDA::cublasLt CUDA::nvrtc)
    if(TARGET ${_lib})
      get_target_property(_location ${_lib} IMPORTED_LOCATION)
      if(_location)
        get_filename_component(_dir "${_location}" DIRECTORY)
        list(APPEND _gpunn_private_dirs "${_dir}")
      endif()
    endif()
  endforeach()
  if(GPUNN_CUDNN_LIBRARY)
    get_filename_component(_dir "${GPUNN_CUDNN_LIBRARY}" DIRECTORY)
    list(APPEND _gpunn_private_dirs "${_dir}")
  endif()
endif()
list(REMOVE_DUPLICATES _gpunn_private_dirs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${_gpunn_private_dirs})

include(CPack)
