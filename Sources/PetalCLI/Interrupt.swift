// Ctrl-C and SIGTERM during training: the first asks the run to stop after the current batch (its last completed
// epoch is already saved); a second exits at once.
import Foundation
import Petal

let runStop = StopSignal()

func installStopHandlers() {
    for s in [SIGINT, SIGTERM] {
        signal(s) { code in
            if runStop.requested != nil { _exit(128 + code) }
            runStop.request(code: code)
        }
    }
}
