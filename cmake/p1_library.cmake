# p1_library(NAME SOURCES a.cc b.cc DEPS x y): one component's static
# library, the project root as include root, dependencies public so the
# layering (config <- gateway core <- proxy/exporters <- app/main) stays
# visible in each folder's CMakeLists.txt.
function(p1_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()
