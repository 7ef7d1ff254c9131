# Builds and runs tests/install/consumer the way a user would.
#   MODE=find_package:      cmake --install the build tree into a fresh prefix,
#                           then configure the consumer with CMAKE_PREFIX_PATH.
#   MODE=add_subdirectory:  configure subdir_consumer, which adds gpunn's source
#                           tree to its own build (CPU-only, to keep it quick).
#   MODE=pkg_config:        cmake --install into a fresh prefix, then compile the consumer
#                           with one compiler line from pkg-config (as a Makefile would).
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "pkg_config")
  run(${CMAKE_COMMAND} --install "${GPUNN_BUILD_DIR}" --prefix "${WORK_DIR}/prefix")
  file(GLOB_RECURSE pc_files "${WORK_DIR}/prefix/*/gpunn.pc")
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
