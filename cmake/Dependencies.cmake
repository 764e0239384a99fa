# Every dependency comes from a Debian package (scripts/install-deps.sh installs them).
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(benchmark REQUIRED)
find_package(Threads REQUIRED)

# toml++ ships a CMake package on Debian; fall back to pkg-config for other layouts.
find_package(tomlplusplus QUIET)
if(NOT TARGET tomlplusplus::tomlplusplus)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
  add_library(tomlplusplus::tomlplusplus ALIAS PkgConfig::TOMLPP)
endif()

# OpenBLAS for the CPU backend: Debian's package provides both a CMake config and cblas.h.
if(TB_WITH_OPENBLAS)
  find_package(BLAS REQUIRED)
  find_path(TB_CBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES openblas x86_64-linux-gnu/openblas-pthread
            x86_64-linux-gnu REQUIRED)
endif()

if(TB_ENABLE_MPI)
  find_package(MPI COMPONENTS CXX QUIET)
endif()
if(TB_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
