# Writes the version source (cmake -P script, run on every build by the shardgate_version_source
# target, and once at configure time). configure_file rewrites OUT only when its text changes,
# so a build at the same revision recompiles nothing.
# Inputs: -DSOURCE_DIR= -DIN= -DOUT= -DSHARDGATE_VERSION= [-DREVISION_OVERRIDE=]
set(SHARDGATE_GIT_REVISION unknown)
find_package(Git QUIET)
if(REVISION_OVERRIDE)
  set(SHARDGATE_GIT_REVISION ${REVISION_OVERRIDE})
elseif(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty
                  WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE _rev OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _rc ERROR_QUIET)
  if(_rc EQUAL 0 AND _rev)
    set(SHARDGATE_GIT_REVISION ${_rev})
  endif()
endif()
configure_file(${IN} ${OUT} @ONLY)
