// Petal's collectives on Open MPI: the world communicator of a job started by `mpirun`. Errors come back as
// `CommunicationError`s (MPI_ERRORS_RETURN) instead of aborting inside the library, so the rank can say what
// failed; `mpirun` then ends the job, as it does when a rank dies.
import CMPI
import Foundation
import PetalTensor

/// The ranks of an `mpirun` job, over Open MPI.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// This rank's index among the ranks on its machine, and how many share the machine.
    public let localRank: Int, localSize: Int
    /// The machine's name as MPI reports it.
    public let hostName: String
    private let comm: MPI_Comm?

    /// Whether this process was started by `mpirun` (Open MPI's or a PMIx launcher's environment is present).
    public static var isLaunchedByMPI: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil
    }

    nonisolated(unsafe) private static var shared: MPICommunicator?
    private static let lock = NSLock()

    /// The job's world communicator; MPI is initialised on first use (once per process) and finalised at exit.
    /// - Throws: ``CommunicationError`` when MPI cannot start.
    public static func world() throws -> MPICommunicator {
        lock.lock()
        defer { lock.unlock() }
        if let shared { return shared }
        var provided: Int32 = 0
        let rc = MPI_Init_thread(nil, nil, petal_mpi_thread_serialized(), &provided)
        guard rc == petal_mpi_success() else { throw CommunicationError.failed(operation: "MPI_Init", rank: -1, reason: "error code \(rc)") }
        let comm = petal_mpi_comm_world()
        MPI_Comm_set_errhandler(comm, petal_mpi_errors_return())
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(comm, &rank)
        MPI_Comm_size(comm, &size)
        var name = [CChar](repeating: 0, count: Int(petal_mpi_max_processor_name()) + 1), length: Int32 = 0
        MPI_Get_processor_name(&name, &length)
        let env = ProcessInfo.processInfo.environment
        let localRank = env["OMPI_COMM_WORLD_LOCAL_RANK"].flatMap(Int.init) ?? 0
        let localSize = env["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? 1
        let world = MPICommunicator(comm: comm, rank: Int(rank), size: Int(size), localRank: localRank, localSize: localSize,
                                    hostName: String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        shared = world
        atexit { MPICommunicator.finalize() }
        return world
    }

    /// The world communicator when MPI has been started in this process, else nil.
    public static var started: MPICommunicator? {
        lock.lock()
        defer { lock.unlock() }
        return shared
    }

    /// Ends every rank of the job at once with `code` (`MPI_Abort`): what a rank that cannot go on must do, since an
    /// ordinary exit would wait in `MPI_Finalize` for ranks that wait for it in a collective.
    public func abort(code: Int32) -> Never {
        MPI_Abort(comm, code)
        exit(code)
    }

    /// Ends MPI for this process (called at exit; a later `world()` cannot start it again).
    public static func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    private init(comm: MPI_Comm?, rank: Int, size: Int, localRank: Int, localSize: Int, hostName: String) {
        (self.comm, self.rank, self.size, self.localRank, self.localSize, self.hostName) = (comm, rank, size, localRank, localSize, hostName)
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        try check("all-reduce", MPI_Allreduce(petal_mpi_in_place(), values.baseAddress, Int32(values.count), petal_mpi_float(), petal_mpi_sum(), comm))
    }

    public func allReduceSum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        try check("all-reduce", MPI_Allreduce(petal_mpi_in_place(), values.baseAddress, Int32(values.count), petal_mpi_double(), petal_mpi_sum(), comm))
    }

    /// Starts every bucket's reduction at once (non-blocking) and waits for all, so transfers of later buckets
    /// overlap the reduction arithmetic of earlier ones.
    public func allReduceSum(buckets: [UnsafeMutableBufferPointer<Float>]) throws {
        var requests = [MPI_Request?](repeating: petal_mpi_request_null(), count: buckets.count)
        for (i, b) in buckets.enumerated() {
            try check("all-reduce", MPI_Iallreduce(petal_mpi_in_place(), b.baseAddress, Int32(b.count), petal_mpi_float(), petal_mpi_sum(), comm, &requests[i]))
        }
        for i in requests.indices { try check("all-reduce", MPI_Wait(&requests[i], petal_mpi_status_ignore())) }
    }

    public func broadcast(_ bytes: UnsafeMutableRawBufferPointer, root: Int) throws {
        // MPI counts are Int32: send in pieces below 1 GiB.
        let piece = 1 << 30
        var offset = 0
        repeat {
            let n = min(piece, bytes.count - offset)
            try check("broadcast", MPI_Bcast(bytes.baseAddress.map { $0 + offset }, Int32(n), petal_mpi_byte(), Int32(root), comm))
            offset += n
        } while offset < bytes.count
    }

    public func allGather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var counts = [Int32](repeating: 0, count: size)
        var mine = Int32(bytes.count)
        try check("all-gather", MPI_Allgather(&mine, 1, petal_mpi_int(), &counts, 1, petal_mpi_int(), comm))
        var offsets = [Int32](repeating: 0, count: size)
        for i in 1..<max(size, 1) { offsets[i] = offsets[i - 1] + counts[i - 1] }
        var all = [UInt8](repeating: 0, count: Int(counts.reduce(0, +)))
        var send = bytes
        try check("all-gather", MPI_Allgatherv(&send, mine, petal_mpi_byte(), &all, &counts, &offsets, petal_mpi_byte(), comm))
        return (0..<size).map { Array(all[Int(offsets[$0])..<Int(offsets[$0] + counts[$0])]) }
    }

    private func check(_ operation: String, _ code: Int32) throws {
        guard code != petal_mpi_success() else { return }
        var text = [CChar](repeating: 0, count: Int(petal_mpi_max_error_string()) + 1), length: Int32 = 0
        MPI_Error_string(code, &text, &length)
        throw CommunicationError.failed(operation: operation, rank: rank, reason: String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
