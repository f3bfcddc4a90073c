# sy_warnings(target): the project's warning set, applied to our own targets only.
function(sy_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wno-missing-field-initializers
                                           -Wno-mismatched-new-delete)  # GCC 12 false positive on Asio coroutine frames
endfunction()
