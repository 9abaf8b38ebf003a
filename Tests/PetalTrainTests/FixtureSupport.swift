import Foundation
import Testing
@testable import PetalTrain

/// A JSON fixture from Scripts/fixtures/, read as nested dictionaries.
func loadFixture(_ name: String) throws -> [String: Any] {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"), "missing fixture \(name).json")
    return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
}

/// Numbers of a JSON array (or of a {"shape", "data"} entry's data).
func numbers(_ any: Any?) -> [Double] {
    if let d = any as? [String: Any] { return numbers(d["data"]) }
    return (any as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue } ?? []
}

func tensor(_ any: Any?) throws -> Tensor {
    let d = try #require(any as? [String: Any])
    return try Tensor(shape: (d["shape"] as? [Int]) ?? [], scalars: numbers(d).map(Float.init))
}

/// Sets a leaf's gradient to `g` (a backward pass from the leaf itself, seeded with g).
func setGradient(_ p: Tensor, _ g: Tensor) throws {
    p.zeroGradient()
    try p.backward(seed: g)
}

/// Fashion-MNIST from Debian's dataset-fashion-mnist (gzip'd IDX files), as [N, 1, 28, 28] in [0, 1].
enum FashionMNIST {
    static let folder = "/usr/share/datasets/fashion-mnist"

    static func gunzip(_ path: String) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc", path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return data
    }

    /// The first `perClass` images of each of `classes` (original label numbers) from the train or test split,
    /// relabelled 0, 1, … in the order given.
    static func load(train: Bool, classes: [Int], perClass: Int) throws -> (Tensor, [Int]) {
        let prefix = train ? "train" : "t10k"
        let imagesPath = "\(folder)/\(prefix)-images-idx3-ubyte.gz", labelsPath = "\(folder)/\(prefix)-labels-idx1-ubyte.gz"
        try #require(FileManager.default.fileExists(atPath: imagesPath), "Fashion-MNIST is missing: run `make deps` (Debian package dataset-fashion-mnist)")
        let images = try gunzip(imagesPath), labels = try gunzip(labelsPath)
        var taken = Array(repeating: 0, count: classes.count)
        var pixels: [Float] = [], out: [Int] = []
        for i in 0..<(labels.count - 8) {
            let original = Int(labels[8 + i])
            guard let c = classes.firstIndex(of: original), taken[c] < perClass else { continue }
            taken[c] += 1
            out.append(c)
            let start = 16 + i * 784
            pixels += images[start..<(start + 784)].map { Float($0) / 255 }
            if taken.allSatisfy({ $0 == perClass }) { break }
        }
        return (try Tensor(shape: [out.count, 1, 28, 28], scalars: pixels), out)
    }
}

/// A small CNN for 28×28 grey images: two conv–BN–ReLU–pool stages (`width` and 2·`width` channels), global
/// pooling, dense.
final class SmallCNN: Module {
    init(classes: Int, seed: UInt64, width: Int = 8) throws {
        super.init()
        let g = WeightInitializer(seed: seed)
        registerChild("features", Sequential(
            try Conv2D(1, width, kernel: 3, padding: 1, bias: false, initializer: g), try BatchNorm2D(width), ReLU(), MaxPool2D(kernel: 2),
            try Conv2D(width, 2 * width, kernel: 3, padding: 1, bias: false, initializer: g), try BatchNorm2D(2 * width), ReLU(),
            MaxPool2D(kernel: 2), GlobalAvgPool()))
        registerChild("fc", try Dense(2 * width, classes, initializer: g))
    }

    override func forward(_ x: Tensor) throws -> Tensor {
        try children[1].module(children[0].module(x))
    }
}
