# Builds and runs tests/install/consumer the way a user would.
#   MODE=find_package:      cmake --install the build tree into a fresh prefix,
#                           then configure the consumer with CMAKE_PREFIX_PATH.
#   MODE=add_subdirectory:  configure subdir_consumer, which adds gpunn's source
#                           tree to its own build (CPU-only, to keep it quick).
#   MODE=pkg_config:        cmake --install into a fresh prefix, then compile the consumer
#                           with one compiler line from pkg-config (as a Makefile would).
#   MODE=deb:               the Debian packages from CPack (cmake/GpunnPackage.cmake): each
#                           holds its part and depends on libgpunn0 of this VERSION; unpacked
#                           together they build and run the consumer with pkg-config, and the
#                           gpunn tool runs from them. (Installing them with apt on a fresh
#                           Debian 12 is tools/check_packages.sh.)
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

# Compiles the consumer with pkg-config's flags for the gpunn.pc under `root` and runs it.
function(build_with_pkg_config root)
  file(GLOB_RECURSE pc_files "${root}/*/gpunn.pc")
  list(LENGTH pc_files n)
  if(NOT n EQUAL 1)
    message(FATAL_ERROR "expected one installed gpunn.pc, found: ${pc_files}")
  endif()
  get_filename_component(pc_dir "${pc_files}" DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
  run(${PKG_CONFIG} --cflags --libs gpunn)
  string(STRIP "${last_output}" flags)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  file(MAKE_DIRECTORY "${WORK_DIR}/build")
  # The library's folder as run path, as a user's Makefile would add (or ldconfig would do).
  run(${PKG_CONFIG} --variable=libdir gpunn)
  string(STRIP "${last_output}" libdir)
  run(${CXX} -std=c++20 "${GPUNN_SOURCE_DIR}/tests/install/consumer/main.cpp" ${flags}
      "-Wl,-rpath,${libdir}" -o "${WORK_DIR}/build/consumer")
  run("${WORK_DIR}/build/consumer")
  message(STATUS "${last_output}")
  if(NOT last_output MATCHES "consumer ok")
    message(FATAL_ERROR "the consumer did not report success:\n${last_output}")
  endif()
endfunction()

if(MODE STREQUAL "deb")
  run(${CPACK} --config "${GPUNN_BUILD_DIR}/CPackConfig.cmake" -B "${WORK_DIR}/packages")
  set(root "${WORK_DIR}/root")
  # Each package: what it must hold (globs under root) and what it must not.
  set(holds_libgpunn0 "usr/lib*/libgpunn.so.0")
  set(lacks_libgpunn0 "usr/include;usr/bin")
  set(holds_libgpunn-dev "usr/include/gpunn/gpunn.h;usr/lib*/libgpunn.so;usr/lib*/pkgconfig/gpunn.pc;usr/lib*/cmake/gpunn/gpunnConfig.cmake")
  set(lacks_libgpunn-dev "usr/bin")
  set(holds_gpunn-tools "usr/bin/gpunn;usr/libexec/gpunn/autodiff")
  set(lacks_gpunn-tools "usr/include")
  foreach(pkg libgpunn0 libgpunn-dev gpunn-tools)
    file(GLOB deb "${WORK_DIR}/packages/${pkg}_${VERSION}_*.deb")
    list(LENGTH deb n)
    if(NOT n EQUAL 1)
      message(FATAL_ERROR "expected one ${pkg}_${VERSION}_*.deb, found: ${deb}")
    endif()
    run(${DPKG_DEB} --contents "${deb}")
    set(contents "${last_output}")
    foreach(path IN LISTS holds_${pkg})
      string(REPLACE "*" "[^/]*" pattern "${path}")
      if(NOT contents MATCHES " \\./${pattern}(\n| ->)")
        message(FATAL_ERROR "${pkg} does not hold ${path}:\n${contents}")
      endif()
    endforeach()
    foreach(path IN LISTS lacks_${pkg})
      if(contents MATCHES " \\./${path}/.")
        message(FATAL_ERROR "${pkg} holds files under ${path}:\n${contents}")
      endif()
    endforeach()
    run(${DPKG_DEB} --field "${deb}" Depends)
    if(NOT pkg STREQUAL "libgpunn0" AND NOT last_output MATCHES "libgpunn0 \\(= ${VERSION}\\)")
      message(FATAL_ERROR "${pkg} must depend on libgpunn0 (= ${VERSION}), not: ${last_output}")
    endif()
    run(${DPKG_DEB} --extract "${deb}" "${root}")
  endforeach()
  build_with_pkg_config("${root}")
  # The tool finds the unpacked library by its run path ($ORIGIN/../<libdir>).
  run("${root}/usr/bin/gpunn" device)
  if(NOT last_output MATCHES "version: ${VERSION}")
    message(FATAL_ERROR "gpunn device from the package said:\n${last_output}")
  endif()
  return()
endif()

if(MODE STREQUAL "pkg_config")
  run(${CMAKE_COMMAND} --install "${GPUNN_BUILD_DIR}" --prefix "${WORK_DIR}/prefix")
  build_with_pkg_config("${WORK_DIR}/prefix")
  return()
endif()
if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} --install "${GPUNN_BUILD_DIR}" --prefix "${WORK_DIR}/prefix")
  run(${CMAKE_COMMAND} -S "${GPUNN_SOURCE_DIR}/tests/install/consumer" -B "${WORK_DIR}/build"
      -G "${GENERATOR}" -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release)
else()
  run(${CMAKE_COMMAND} -S "${GPUNN_SOURCE_DIR}/tests/install/subdir_consumer" -B "${WORK_DIR}/build"
      -G "${GENERATOR}" -DGPUNN_SOURCE_DIR=${GPUNN_SOURCE_DIR} -DCMAKE_BUILD_TYPE=Release)
endif()
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build" -j 2)
run("${WORK_DIR}/build/consumer")
message(STATUS "${last_output}")
if(NOT last_output MATCHES "consumer ok")
  message(FATAL_ERROR "the consumer did not report success:\n${last_output}")
endif()
