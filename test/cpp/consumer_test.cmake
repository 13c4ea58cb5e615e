# CTest driver: installs napix into a scratch prefix, builds test/cpp/consumer against it
# (MODE=find_package) or against the source tree (MODE=add_subdirectory), then loads the addon in
# node and calls it. Variables: SRC, BIN, MODE, NODE, NODE_INCLUDE_DIR, NODE_ADDON_API_DIR.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

file(REMOVE_RECURSE "${BIN}")
set(consumer_args "")
if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} -S "${SRC}" -B "${BIN}/napix" -DNAPIX_BUILD_TESTS=OFF)
  run(${CMAKE_COMMAND} --install "${BIN}/napix" --prefix "${BIN}/prefix")
  if(NOT EXISTS "${BIN}/prefix/include/napix.h" OR NOT EXISTS "${BIN}/prefix/share/cmake/napix/napixConfig.cmake")
    message(FATAL_ERROR "the install is missing napix.h or napixConfig.cmake")
  endif()
  set(consumer_args "-DCMAKE_PREFIX_PATH=${BIN}/prefix")
endif()
run(${CMAKE_COMMAND} -S "${SRC}/test/cpp/consumer" -B "${BIN}/consumer"
  -DNAPIX_CONSUMER_MODE=${MODE} -DNAPIX_SOURCE_DIR=${SRC}
  -DNODE_INCLUDE_DIR=${NODE_INCLUDE_DIR} -DNODE_ADDON_API_DIR=${NODE_ADDON_API_DIR} ${consumer_args})
run(${CMAKE_COMMAND} --build "${BIN}/consumer")
run(${NODE} "${SRC}/test/cpp/consumer/check.js" "${BIN}/consumer/consumer.node")
