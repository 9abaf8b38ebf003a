// What the distributed tests run under `mpirun` (and alone, for the single-process reference):
//   petal-mpi-scenarios collectives
//   petal-mpi-scenarios train --batch-norm none|local|sync --out FILE.safetensors
// `train` fits a tiny CNN for 12 steps on fixed synthetic images with a global batch of 7 (parts of 4 and 3 on two
// ranks, so unequal parts are weighted), SGD with momentum, and writes the final weights and the last epoch's logs.
import Foundation
import PetalMPI
import PetalTrain

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("petal-mpi-scenarios: \(message)\n".utf8))
    exit(1)
}

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fail(message()) }
}

let arguments = Array(CommandLine.arguments.dropFirst())
let communicator: Communicator? = MPICommunicator.isLaunchedByMPI ? try MPICommunicator.world() : nil

func collectives(_ c: Communicator) throws {
    let (rank, size) = (c.rank, c.size)
    // Float sums: rank r contributes (r + 1)·(i + 1) at i, so the sum is (i + 1)·size(size + 1)/2.
    var floats = (0..<1000).map { Float(rank + 1) * Float($0 + 1) }
    try floats.withUnsafeMutableBufferPointer { try c.allReduceSum($0) }
    let triangle = Float(size * (size + 1) / 2)
    check(floats.enumerated().allSatisfy { $0.element == triangle * Float($0.offset + 1) }, "float all-reduce gave \(floats.prefix(4))")
    // Buckets of several sizes reduce independently.
    var a = [Float](repeating: Float(rank), count: 7), b = [Float](repeating: 1, count: 300_000)
    try a.withUnsafeMutableBufferPointer { pa in try b.withUnsafeMutableBufferPointer { pb in try c.allReduceSum(buckets: [pa, pb]) } }
    check(a.allSatisfy { $0 == Float(size * (size - 1) / 2) } && b.allSatisfy { $0 == Float(size) }, "bucketed all-reduce gave \(a.prefix(2)), \(b.prefix(2))")
    let doubles = try c.allReduceSum([0.1 * Double(rank), 1e300])
    check(abs(doubles[0] - 0.1 * Double(size * (size - 1) / 2)) < 1e-15 && doubles[1] == 1e300 * Double(size), "double all-reduce gave \(doubles)")
    // Broadcast: bytes of rank 0 (rank-dependent before), then a Codable value.
    let bytes = try c.broadcast(rank == 0 ? Array("hello from rank 0".utf8) : [])
    check(String(decoding: bytes, as: UTF8.self) == "hello from rank 0", "broadcast gave \(bytes)")
    let value: [String: Int] = try c.broadcast(rank == 0 ? ["epochs": 3] : nil)
    check(value == ["epochs": 3], "Codable broadcast gave \(value)")
    // Gather of unequal sizes: rank r sends r + 1 bytes of value r.
    let gathered = try c.allGather([UInt8](repeating: UInt8(rank), count: rank + 1))
    check(gathered == (0..<size).map { [UInt8](repeating: UInt8($0), count: $0 + 1) }, "all-gather gave \(gathered)")
    print("collectives ok on rank \(rank) of \(size)")
}

/// Deterministic images in [−1, 1] and labels cycling over three classes.
func syntheticData(count: Int) throws -> (Tensor, [Int]) {
    var g = SeededGenerator(seed: 7)
    let values = (0..<(count * 3 * 8 * 8)).map { _ in Float(Double(g.next() >> 11) / Double(1 << 53)) * 2 - 1 }
    return (try Tensor(shape: [count, 3, 8, 8], scalars: values), (0..<count).map { $0 % 3 })
}

func train(batchNorm: String, out: String) throws {
    let g = WeightInitializer(seed: 3)
    var layers: [Module] = [try Conv2D(3, 6, kernel: 3, padding: 1, bias: batchNorm == "none", initializer: g)]
    if batchNorm != "none" { layers.append(try BatchNorm2D(6)) }
    layers += [ReLU(), GlobalAvgPool(), try Dense(6, 3, initializer: g)]
    let model = Sequential(layers)
    let (images, labels) = try syntheticData(count: 28)
    let (valImages, valLabels) = try syntheticData(count: 9)
    var train = try ArrayBatchSource(images: images, labels: labels, classCount: 3, batchSize: 7, shuffleSeed: 5)
    var validation = try ArrayBatchSource(images: valImages, labels: valLabels, classCount: 3, batchSize: 4)
    var dataParallel: DataParallel?
    if let communicator {
        dataParallel = try DataParallel(communicator, bucketMegabytes: 1)
        train = try train.sharded(rank: communicator.rank, of: communicator.size)
        // Validation is split into contiguous parts (whole batches of 4 here) and gathered.
        let part = try DataShard(rank: communicator.rank, of: communicator.size).range(of: valLabels.count)
        validation = try ArrayBatchSource(images: Tensor(shape: [part.count, 3, 8, 8], scalars: Array(valImages.scalars[(part.lowerBound * 192)..<(part.upperBound * 192)])),
                                          labels: Array(valLabels[part]), classCount: 3, batchSize: 4)
        if batchNorm == "sync" { model.synchronizeBatchNorm(communicator) }
    }
    let optimizer = try SGD(parameters: model.parameters, learningRate: 0.2, momentum: 0.9)
    let history = try Trainer.fit(model, train: train, validation: validation, epochs: 3, optimizer: optimizer, dataParallel: dataParallel)
    guard communicator?.rank ?? 0 == 0 else { return }
    let logs = history.epochs.last ?? [:]
    let metadata = Dictionary(uniqueKeysWithValues: logs.map { ($0.key, String($0.value)) })
    try SafeTensors(tensors: model.stateDict, metadata: metadata).encoded().write(to: URL(fileURLWithPath: out))
}

do {
    switch arguments.first {
    case "collectives":
        guard let communicator else { fail("collectives runs under mpirun") }
        try collectives(communicator)
    case "train":
        guard arguments.count == 5, arguments[1] == "--batch-norm", ["none", "local", "sync"].contains(arguments[2]), arguments[3] == "--out" else {
            fail("usage: train --batch-norm none|local|sync --out FILE")
        }
        try train(batchNorm: arguments[2], out: arguments[4])
    default:
        fail("usage: collectives | train --batch-norm none|local|sync --out FILE")
    }
} catch {
    fail("rank \(communicator?.rank ?? 0): \(error)")
}
