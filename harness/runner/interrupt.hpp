#pragma once
// Ctrl-C during a long run: the first SIGINT/SIGTERM sets a flag that measure_op, the step
// runner and the waits on the device (kernels/common/bounded_poll.hpp) poll, so the kernel being
// measured ends as "interrupted", hung or not, and the results measured so far are written; a second signal a second or more later terminates at once (the default
// action). One closer to the first is that same interrupt delivered twice (coreutils `timeout`
// signals the child and its process group; a terminal's Ctrl-C reaches the whole group).
namespace tb::runner {

void install_interrupt_handler();  // idempotent; the device waits watch its flag from then on
bool interrupted();
void reset_interrupted();          // tests
void request_interrupt();          // tests, and callers that want to stop a run
// What an interrupted command exits with: 128 + the first signal, as a shell reports a process
// that signal killed (130 for SIGINT, 143 for SIGTERM), so that a batch scheduler's kill reads
// apart from a user's Ctrl-C; 130 where no signal came (request_interrupt).
int interrupted_exit_code();

}  // namespace tb::runner
