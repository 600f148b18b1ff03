# The asan preset sets PAGELIFT_SANITIZE=ON: AddressSanitizer + UndefinedBehaviorSanitizer for every target.
option(PAGELIFT_SANITIZE "Build with ASan and UBSan" OFF)
if(PAGELIFT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
