// `petal` under `mpirun`: each process finds its rank, its share of the machine's cores and the other ranks.
import Foundation
import Petal
import PetalMPI

/// This process's place in an `mpirun` job; nil when it runs alone.
struct MPIJob {
    let communicator: MPICommunicator

    /// The job this process belongs to, starting MPI; nil outside `mpirun`.
    static func current() throws -> MPIJob? {
        guard MPICommunicator.isLaunchedByMPI else { return nil }
        return MPIJob(communicator: try MPICommunicator.world())
    }

    var rank: Int { communicator.rank }

    /// Compute threads per rank: `requested`, else the machine's cores shared among the ranks on it.
    func threads(requested: Int?) -> Int {
        requested ?? max(1, ProcessInfo.processInfo.activeProcessorCount / max(communicator.localSize, 1))
    }

    /// Warnings of ranks other than 0, one line each, named by rank and host.
    func workerLog() -> @Sendable (String) -> Void {
        let prefix = "petal: rank \(communicator.rank) (\(communicator.hostName)): "
        return { FileHandle.standardError.write(Data((prefix + $0 + "\n").utf8)) }
    }
}
