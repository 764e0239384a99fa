#pragma once
// Ctrl-C during a long run: the first SIGINT/SIGTERM sets a flag that measure_op and the step
// runner poll, so the kernel being measured ends as "interrupted" and the results measured so
// far are written; a second signal terminates at once (the default action).
namespace tb::runner {

void install_interrupt_handler();  // idempotent
bool interrupted();
void reset_interrupted();          // tests
void request_interrupt();          // tests, and callers that want to stop a run

}  // namespace tb::runner
