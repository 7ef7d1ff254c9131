# cmake --install: the library, the public headers, a CMake package and a pkg-config file,
# so a user's project can do
#   find_package(gpunn REQUIRED)
#   target_link_libraries(app PRIVATE gpunn::gpunn)
# or, from Make or Meson, c++ -std=c++20 app.cpp $(pkg-config --cflags --libs gpunn).
# The gpunn tool goes to <bindir>, the example programs to <libexecdir>/gpunn.
#
# Every rule names its component, which is also its Debian package (cmake/GpunnPackage.cmake):
#   runtime  the shared library (libgpunn0)
#   dev      headers, the CMake package, gpunn.pc, the libgpunn.so link (libgpunn-dev)
#   tools    the gpunn tool and the examples (gpunn-tools)
# `cmake --install build --component dev` installs one of them.
include(CMakePackageConfigHelpers)

set(GPUNN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/gpunn)

install(TARGETS gpunn EXPORT gpunnTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/gpunn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
  FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/gpunn/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gpunn COMPONENT dev)
install(EXPORT gpunnTargets NAMESPACE gpunn:: DESTINATION ${GPUNN_INSTALL_CMAKEDIR}
  COMPONENT dev)

configure_package_config_file(cmake/gpunnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gpunnConfig.cmake
  INSTALL_DESTINATION ${GPUNN_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gpunnConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gpunnConfig.cmake ${PROJECT_BINARY_DIR}/gpunnConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/gpunnFindCUDAToolkit.cmake
  DESTINATION ${GPUNN_INSTALL_CMAKEDIR} COMPONENT dev)

# gpunn.pc in <libdir>/pkgconfig, its prefix found relative to itself (${pcfiledir}).
file(RELATIVE_PATH GPUNN_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" GPUNN_PC_TO_PREFIX "${GPUNN_PC_TO_PREFIX}")
configure_file(cmake/gpunn.pc.in ${PROJECT_BINARY_DIR}/gpunn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/gpunn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)

# A program of ours (the gpunn tool, an example) installed into `destination`, finding the
# installed libgpunn relative to itself, so an installed tree may move like gpunn.pc.
function(gpunn_install_program target destination)
  file(RELATIVE_PATH to_libdir "/${destination}" "/${CMAKE_INSTALL_LIBDIR}")
  set_target_properties(${target} PROPERTIES INSTALL_RPATH "$ORIGIN/${to_libdir}")
  install(TARGETS ${target} RUNTIME DESTINATION ${destination} COMPONENT tools)
endfunction()
