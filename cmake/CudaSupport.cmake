# CUDA is optional: the project configures, builds and tests without it (CPU backend only).
set(TB_HAVE_CUDA OFF)
if(TB_ENABLE_CUDA)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_ARCHITECTURES ${TB_CUDA_ARCHS})
    enable_language(CUDA)
    # CMake 3.25 (Debian 12) knows no C++20 flag for nvcc (added in 3.26); nvcc 12+ takes -std=c++20.
    if(NOT CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    endif()
    set(CMAKE_CUDA_STANDARD 20)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(TB_HAVE_CUDA ON)
    # NCCL: only its header is needed to build; libnccl.so.2 is loaded at run time (from the
    # toolkit image here, or PyTorch's wheels on the device).
    find_path(TB_NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} ENV NCCL_INCLUDE_DIR)
    if(TB_NCCL_INCLUDE_DIR)
      message(STATUS "trainbench: CUDA backend ON (archs ${TB_CUDA_ARCHS}), NCCL header: ${TB_NCCL_INCLUDE_DIR}")
    else()
      # Not fatal (the kernels and `run` need no NCCL), but said loudly: a GPU build without it
      # cannot run `trainbench comm --backend nccl`.
      message(WARNING "trainbench: CUDA backend ON (archs ${TB_CUDA_ARCHS}) WITHOUT NCCL: nccl.h was found "
                      "neither in the CUDA toolkit (${CUDAToolkit_INCLUDE_DIRS}) nor in $NCCL_INCLUDE_DIR, so "
                      "`trainbench comm` has only its MPI host-memory backend. Install libnccl-dev (NVIDIA's CUDA "
                      "apt repository; scripts/install-deps.sh does where it is configured) or set NCCL_INCLUDE_DIR "
                      "to a folder holding nccl.h, then reconfigure.")
    endif()
  else()
    message(STATUS "trainbench: no CUDA compiler found; CPU backend only")
  endif()
endif()
