# ctest driver: installs the build tree into a fresh prefix, then configures, builds and
# runs tests/install/consumer against it (find_package(pjd), pjd::Stack).
# -D BUILD_DIR=... -D WORK=... -D STACK=... -D EXPECT=... [-D LINK_FLAGS=...]
file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
foreach(f include/pjd/stack.hpp lib/cmake/pjd/pjdConfig.cmake bin/pjd share/pjd/styles/seams.qml)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${CMAKE_CURRENT_LIST_DIR}/consumer -B ${WORK}/build
                        -DCMAKE_PREFIX_PATH=${prefix} "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configuring the consumer failed:\n${out}\n${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK}/build RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "building the consumer failed:\n${out}\n${err}")
endif()
execute_process(COMMAND ${WORK}/build/pjd_consumer ${STACK} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "${EXPECT}")
  message(FATAL_ERROR "the consumer gave ${rc}: ${out}${err} (expected ${EXPECT})")
endif()
# The installed pjd runs from its prefix (RPATH $ORIGIN/../lib), not from the build tree.
execute_process(COMMAND ${prefix}/bin/pjd --version RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the installed pjd does not run (${rc})")
endif()
message(STATUS "installed libpjd works: ${out}")
file(REMOVE_RECURSE ${WORK})
