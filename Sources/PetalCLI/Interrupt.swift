// Ctrl-C during training: the first press asks the trainer to stop after the current batch (a resumable
// checkpoint is then saved); a second press exits at once.
import Foundation
import Petal
import Synchronization

let interruptRequested = Atomic<Bool>(false)

func installInterruptHandler() {
    signal(SIGINT) { _ in
        if interruptRequested.load(ordering: .relaxed) { _exit(130) }
        interruptRequested.store(true, ordering: .relaxed)
    }
}

/// Stops training when Ctrl-C was pressed.
final class InterruptCallback: Callback {
    func batchEnd(_ state: TrainingState, batch: Int, logs: Logs) throws {
        if interruptRequested.load(ordering: .relaxed) { state.stop("interrupted by Ctrl-C") }
    }
}
