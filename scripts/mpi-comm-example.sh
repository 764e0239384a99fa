#!/bin/bash
# `trainbench comm` under OpenMPI (Debian's openmpi-bin): one process per GPU, across nodes
# listed in a hostfile. Each process takes GPU local_rank mod GPUs-per-node; rank 0 writes one
# results file with every rank's host and device.
#
# A hostfile for 2 nodes of 8 GPUs (slots = processes per node):
#   node01 slots=8
#   node02 slots=8
#
# Usage: scripts/mpi-comm-example.sh HOSTFILE [trainbench comm flags...]
#   mkdir -p results && scripts/mpi-comm-example.sh hosts.txt --op allreduce -b 8 -e 8G -f 2 --out results/comm.json
# (trainbench creates no folder for an output: a missing one is refused before any work.)
# Without a GPU, the same launch runs host-memory collectives: add --backend mpi. On one machine
# (as CI does): mpirun --allow-run-as-root --oversubscribe -np 2 trainbench comm --backend mpi
set -euo pipefail

HOSTFILE=${1:?usage: $0 HOSTFILE [trainbench comm flags...]}
shift
TRAINBENCH=${TRAINBENCH:-$(dirname "$0")/../build/cli/trainbench}
NP=${NP:-$(awk '/slots=/ { split($2, s, "="); n += s[2] } END { print n }' "$HOSTFILE")}

# -x forwards environment to remote ranks; --bind-to numa keeps each rank near its GPU and NIC.
# Between nodes NCCL picks InfiniBand when present; name the interface for TCP otherwise.
exec mpirun -np "$NP" --hostfile "$HOSTFILE" --bind-to numa \
    -x NCCL_DEBUG=${NCCL_DEBUG:-WARN} -x NCCL_SOCKET_IFNAME=${NCCL_SOCKET_IFNAME:-^lo,docker} \
    -x LD_LIBRARY_PATH \
    "$TRAINBENCH" comm "$@"
