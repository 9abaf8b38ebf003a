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

/// The line rank 0 writes when a signal ends a distributed run, made before it is needed: a signal handler may only
/// write bytes that already exist.
nonisolated(unsafe) private var distributedStopLine: UnsafeMutableBufferPointer<UInt8>?

/// Under mpirun a signal (Ctrl-C, or the SIGTERM mpirun forwards) ends every rank at once, since the ranks must stop
/// at the same step; rank 0 first says how to resume (`resume` is that command, nil on the other ranks). The last
/// completed epoch is saved either way: rank 0's writes are atomic.
func installDistributedStopHandlers(resume: String?) {
    if let resume {
        let bytes = Array("\nStopped; the last completed epoch is kept and the cut one reruns on resume: \(resume)\n".utf8)
        let line = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
        _ = line.initialize(from: bytes)
        distributedStopLine = line
    }
    var signals = sigset_t()
    sigemptyset(&signals)
    for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, s) }
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    for s in [SIGINT, SIGTERM, SIGHUP] {
        signal(s) { code in
            if let line = distributedStopLine { _ = write(STDERR_FILENO, line.baseAddress, line.count) }
            _exit(128 + code)
        }
    }
}
