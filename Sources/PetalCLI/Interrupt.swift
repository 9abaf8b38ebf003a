// Ctrl-C and SIGTERM during training: the first asks the run to stop after the current batch (its last completed
// epoch is already saved); a second exits at once.
import Foundation
import Petal

let runStop = StopSignal()

func installStopHandlers() {
    // A parent may have blocked these signals for its children (Foundation's Process does): unblock them here, or a
    // stop request would never arrive.
    var signals = sigset_t()
    sigemptyset(&signals)
    for s in [SIGINT, SIGTERM] { sigaddset(&signals, s) }
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    for s in [SIGINT, SIGTERM] {
        signal(s) { code in
            if runStop.requested != nil { _exit(128 + code) }
            runStop.request(code: code)
        }
    }
}
