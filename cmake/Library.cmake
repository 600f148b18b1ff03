# pagelift_library(<name> <deps...>): one capability folder = one static library of every .cpp in it, with src/ on
# the include path and warnings as errors.
function(pagelift_library name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARGN})
  pagelift_warnings(${name})
endfunction()
