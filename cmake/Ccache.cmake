# Use ccache when it is installed: rebuilds after a branch switch or a clean clone stay cheap.
find_program(SY_CCACHE ccache)
if(SY_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${SY_CCACHE})
endif()
