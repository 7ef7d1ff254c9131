# cmake --install: the library, the public headers, a CMake package and a pkg-config file,
# so a user's project can do
#   find_package(gpunn REQUIRED)
#   target_link_libraries(app PRIVATE gpunn::gpunn)
# or, from Make or Meson, c++ -std=c++20 app.cpp $(pkg-config --cflags --libs gpunn).
include(CMakePackageConfigHelpers)

set(GPUNN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/gpunn)

install(TARGETS gpunn EXPORT gpunnTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/gpunn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/gpunn/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gpunn)
install(EXPORT gpunnTargets NAMESPACE gpunn:: DESTINATION ${GPUNN_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/gpunnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gpunnConfig.cmake
  INSTALL_DESTINATION ${GPUNN_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gpunnConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gpunnConfig.cmake ${PROJECT_BINARY_DIR}/gpunnConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/gpunnFindCUDAToolkit.cmake
  DESTINATION ${GPUNN_INSTALL_CMAKEDIR})

# gpunn.pc in <libdir>/pkgconfig, its prefix found relative to itself (${pcfiledir}).
file(RELATIVE_PATH GPUNN_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" GPUNN_PC_TO_PREFIX "${GPUNN_PC_TO_PREFIX}")
configure_file(cmake/gpunn.pc.in ${PROJECT_BINARY_DIR}/gpunn.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/gpunn.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
