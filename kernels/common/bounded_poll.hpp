#pragma once
// The polling behind the CUDA backend's bounded waits (kernels/cuda/bounded_wait.*), apart from
// CUDA so that host tests drive it with a fake "is it done?". A wait ends when the work is done,
// at its deadline, or soon after the run is interrupted: a SIGTERM from gpu-check's `timeout` at
// a step's cap (or Ctrl-C) must reach a wait on a hung kernel, else the hang is recorded by no one
// before the SIGKILL that follows takes the process and its results.
#include <atomic>
#include <chrono>
#include <functional>

namespace tb::kernels {

enum class PollOutcome { done, timed_out, interrupted };

// Work that ends within this of the interrupt is done, not interrupted: Ctrl-C during a healthy
// sample keeps that sample, and the measurement loop stops at its next check as it always has.
// Short beside gpu-check's 2 s between SIGTERM and SIGKILL, which must also hold writing the results.
inline constexpr std::chrono::milliseconds kInterruptGrace{500};

// Calls is_done() until it returns true (done), `timeout` passes (timed_out), or `interrupt_grace`
// passes after an interrupt is first seen (interrupted). is_done throws on a device error; the
// error propagates.
PollOutcome poll_until_done(const std::function<bool()>& is_done, std::chrono::milliseconds timeout,
                            std::chrono::milliseconds interrupt_grace = kInterruptGrace);

// The interrupt the waits watch. The runner owns it (harness/runner/interrupt.cpp: its signal
// handler sets it) and hands it down here, as kernels/ cannot see the runner. nullptr: none.
// Returns the flag watched before, for tests that watch one of their own for a while.
const std::atomic<bool>* watch_interrupt_flag(const std::atomic<bool>* flag);
bool wait_interrupt_requested();

}  // namespace tb::kernels
