# Global sanitizer flags: every target, including the Asio separate-compilation unit, must agree.
if(SY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
if(SY_TSAN)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
# The fuzz build: every library carries libFuzzer's coverage hooks (fuzzer-no-link) plus ASan and
# UBSan; only the fuzz executables link libFuzzer itself (-fsanitize=fuzzer, tests/fuzz/), so any
# other executable of this build still has its own main().
if(SY_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SY_FUZZ needs clang (libFuzzer); use the `fuzz` preset")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
