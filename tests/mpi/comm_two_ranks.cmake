# `mpirun -np 2 trainbench comm --backend mpi`: both ranks run every collective on host
# memory, rank 0 writes one results file, and that file must hold both ranks' metadata and
# verified, two-rank results with nccl-tests' busbw. Run by CTest (tests/CMakeLists.txt) with
# -DTRAINBENCH=... -DMPIEXEC=... -DWORK_DIR=...
#
# Loopback only: the shared-memory (vader) and self transports, no network interface. As root
# (CI containers), OpenMPI needs --allow-run-as-root; --oversubscribe lets 2 ranks share fewer
# cores; vader's single-copy mechanism (CMA) is off because containers often forbid ptrace.
cmake_minimum_required(VERSION 3.25)
foreach(var TRAINBENCH MPIEXEC WORK_DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "comm_two_ranks.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(OUT ${WORK_DIR}/comm-2ranks.json)
set(ENV{OMPI_MCA_btl} "self,vader")
set(ENV{OMPI_MCA_btl_vader_single_copy_mechanism} "none")
set(ENV{OMPI_MCA_pml} "ob1")
set(ENV{OMPI_MCA_rmaps_base_oversubscribe} "1")
execute_process(
  COMMAND ${MPIEXEC} --allow-run-as-root --oversubscribe -np 2
          ${TRAINBENCH} comm --backend mpi --op all --sizes 1K,256K -n 2 -w 1
          --min-samples 3 --max-samples 20 --min-time 0 --max-time 5 --out ${OUT}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 240)
message(STATUS "trainbench comm output:\n${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mpirun -np 2 trainbench comm exited ${rc}")
endif()
if(NOT EXISTS ${OUT})
  message(FATAL_ERROR "rank 0 wrote no results file at ${OUT}")
endif()
file(READ ${OUT} json)

macro(expect_eq actual expected what)
  if(NOT "${actual}" STREQUAL "${expected}")
    message(FATAL_ERROR "${what}: got '${actual}', expected '${expected}'")
  endif()
endmacro()

string(JSON status GET "${json}" status)
expect_eq("${status}" "complete" "status")
string(JSON command GET "${json}" workload command)
expect_eq("${command}" "comm" "workload.command")
# Every rank's metadata, in rank order.
string(JSON nranks LENGTH "${json}" ranks)
expect_eq("${nranks}" "2" "ranks[] length")
foreach(i 0 1)
  string(JSON rank GET "${json}" ranks ${i} rank)
  expect_eq("${rank}" "${i}" "ranks[${i}].rank")
  string(JSON host GET "${json}" ranks ${i} host)
  if(host STREQUAL "")
    message(FATAL_ERROR "ranks[${i}].host is empty")
  endif()
  string(JSON backend GET "${json}" ranks ${i} backend)
  expect_eq("${backend}" "mpi" "ranks[${i}].backend")
  string(JSON local GET "${json}" ranks ${i} local_rank)
  expect_eq("${local}" "${i}" "ranks[${i}].local_rank (both ranks share this host)")
endforeach()
# 7 collectives x 2 sizes, each out of place and then in place (MPI runs all seven in place:
# MPI_IN_PLACE, MPI_Sendrecv_replace), each over 2 ranks, checked, with busbw = algbw x
# nccl-tests' factor.
string(JSON nkernels LENGTH "${json}" kernels)
expect_eq("${nkernels}" "28" "kernels[] length")
foreach(i RANGE 1 27 2)
  string(JSON placed GET "${json}" kernels ${i} dims in_place)
  expect_eq("${placed}" "1" "kernels[${i}].dims.in_place (every second entry is the in-place one)")
endforeach()
# The table prints both as nccl-tests does: an out-of-place and an in-place group of columns.
string(FIND "${out}" "out-of-place" oop_at)
string(FIND "${out}" "in-place" ip_at)
if(oop_at EQUAL -1 OR ip_at EQUAL -1)
  message(FATAL_ERROR "the table has no out-of-place and in-place column groups:\n${out}")
endif()
math(EXPR last "${nkernels} - 1")
set(kinds "")
foreach(i RANGE ${last})
  string(JSON kind GET "${json}" kernels ${i} kind)
  list(APPEND kinds ${kind})
  string(JSON ranks GET "${json}" kernels ${i} dims ranks)
  expect_eq("${ranks}" "2" "kernels[${i}] (${kind}).dims.ranks")
  string(JSON verified GET "${json}" kernels ${i} verified)
  expect_eq("${verified}" "ON" "kernels[${i}] (${kind}).verified")
  string(JSON wrong GET "${json}" kernels ${i} wrong_elements)
  expect_eq("${wrong}" "0" "kernels[${i}] (${kind}).wrong_elements")
  string(JSON algbw GET "${json}" kernels ${i} algbw_gb_s)
  string(JSON busbw GET "${json}" kernels ${i} busbw_gb_s)
  # n = 2: all-reduce 2(n-1)/n = 1, all-gather/reduce-scatter/all-to-all (n-1)/n = 0.5, sendrecv,
  # broadcast and reduce 1.
  if(kind STREQUAL "allgather" OR kind STREQUAL "reducescatter" OR kind STREQUAL "alltoall")
    set(factor 0.5)
  else()
    set(factor 1)
  endif()
  if(algbw LESS_EQUAL 0)  # if() compares valid numbers as floating point
    message(FATAL_ERROR "kernels[${i}] (${kind}).algbw_gb_s is ${algbw}")
  endif()
  # The exact factors are unit-tested (CommBandwidth.*); here: the same double for factor 1,
  # strictly less for factor 1/2.
  if(factor STREQUAL "1")
    expect_eq("${busbw}" "${algbw}" "kernels[${i}] (${kind}) busbw = algbw x 1")
  else()
    if(NOT busbw LESS algbw OR busbw LESS_EQUAL 0)
      message(FATAL_ERROR "kernels[${i}] (${kind}) busbw ${busbw} must be half of algbw ${algbw}")
    endif()
  endif()
endforeach()
# Broadcast and reduce (root 0): rank 1 checked holding rank 0's data, and an untouched buffer
# after the reduce.
foreach(expected broadcast reduce)
  list(FIND kinds ${expected} at)
  if(at EQUAL -1)
    message(FATAL_ERROR "--op all ran no ${expected}: kinds ${kinds}")
  endif()
endforeach()
# That file's busbw is the host's shared memory, no GPU link: an estimate for an H100 refuses it
# (exit 2), naming the file, its backend and what it takes.
execute_process(
  COMMAND ${TRAINBENCH} estimate --gpu h100-sxm --mfu 0.4 --gpus 1024 --tp 8 --pp 8 --comm-results ${OUT}
  RESULT_VARIABLE est_rc OUTPUT_VARIABLE est_out ERROR_VARIABLE est_err TIMEOUT 60)
expect_eq("${est_rc}" "2" "estimate --gpu h100-sxm --comm-results <MPI file> exit code (${est_out}${est_err})")
string(FIND "${est_err}" "--comm-results ${OUT}: measured by the mpi backend on host memory (CPU)" at)
if(at EQUAL -1)
  message(FATAL_ERROR "estimate's refusal does not name the file and its backend: ${est_err}")
endif()
# Another writer holds the lock on a second file (flock(1) standing for it): rank 0 refuses before
# any collective is measured, naming the file, and rank 1 ends with it instead of waiting in a
# collective for a rank that left; no file is written (cli/output_lock_flag.hpp).
find_program(FLOCK flock)
if(FLOCK)
  set(LOCKED ${WORK_DIR}/comm-locked.json)
  execute_process(
    COMMAND ${FLOCK} ${LOCKED}.lock ${MPIEXEC} --allow-run-as-root --oversubscribe -np 2
            ${TRAINBENCH} comm --backend mpi --op allreduce --sizes 1K -n 2 -w 1
            --min-samples 3 --max-samples 20 --min-time 0 --max-time 5 --out ${LOCKED}
    RESULT_VARIABLE locked_rc OUTPUT_VARIABLE locked_out ERROR_VARIABLE locked_err TIMEOUT 120)
  expect_eq("${locked_rc}" "1" "mpirun -np 2 trainbench comm over a locked --out, exit code (${locked_out}${locked_err})")
  string(FIND "${locked_err}" "--out ${LOCKED} is being written by another run" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the refusal does not name the locked file: ${locked_out}${locked_err}")
  endif()
  if(EXISTS ${LOCKED})
    message(FATAL_ERROR "a refused comm job wrote ${LOCKED}")
  endif()
else()
  message(STATUS "no flock(1): the two-rank locked case is not run")
endif()
message(STATUS "mpirun -np 2 trainbench comm: results file ${OUT} holds 2 ranks and 14 verified collectives, each out of place and in place")
