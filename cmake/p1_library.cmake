# p1_library(NAME [SOURCES a.cc ...] [PUBLIC x ...] [PRIVATE y ...]): one
# subfolder's library, the project root as include root. PUBLIC: what the
# folder's headers include; PRIVATE: what only its .cc files use. Without
# SOURCES it is a header-only INTERFACE library. Which folder may include
# which is checked by .ci/check_layers.py (see README.md, Architecture).
function(p1_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  if(ARG_SOURCES)
    add_library(${name} STATIC ${ARG_SOURCES})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${ARG_PUBLIC})
  endif()
endfunction()
