#pragma once
// Ctrl-C during a long run: the first SIGINT/SIGTERM sets a flag that measure_op and the step
// runner poll, so the kernel being measured ends as "interrupted" and the results measured so
// far are written; a second signal a second or more later terminates at once (the default
// action). One closer to the first is that same interrupt delivered twice (coreutils `timeout`
// signals the child and its process group; a terminal's Ctrl-C reaches the whole group).
namespace tb::runner {

void install_interrupt_handler();  // idempotent
bool interrupted();
void reset_interrupted();          // tests
void request_interrupt();          // tests, and callers that want to stop a run

}  // namespace tb::runner
