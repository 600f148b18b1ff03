# Warnings are errors everywhere (STYLE.md): every target of the project calls pagelift_warnings().
# Off for g++ 12 only, both false positives at -O2: -Wrestrict in libstdc++'s std::string inlining (GCC PR105329), and
# -Wmismatched-new-delete on Boost.Asio's coroutine frames (their class-specific operator new/delete pair), and the
# -Warray-bounds / -Wstringop-overflow / -Wstringop-overread family on inlined std::string copies (GCC PR105545).
function(pagelift_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict -Wno-mismatched-new-delete -Wno-array-bounds
                                              -Wno-stringop-overflow -Wno-stringop-overread)
  endif()
endfunction()
