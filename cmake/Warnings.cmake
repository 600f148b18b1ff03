# Warnings are errors everywhere (STYLE.md): every target of the project calls pagelift_warnings().
# -Wrestrict is off for g++ 12 only: its std::string inlining raises false positives at -O2/-O3 (GCC PR105329).
function(pagelift_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
endfunction()
