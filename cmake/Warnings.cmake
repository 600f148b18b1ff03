# Warnings are errors everywhere (STYLE.md): every target of the project calls pagelift_warnings().
function(pagelift_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
endfunction()
