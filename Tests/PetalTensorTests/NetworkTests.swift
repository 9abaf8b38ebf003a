import Foundation
import PetalTestSupport
import Testing
@testable import PetalTensor

/// A golden fixture: named tensors written by a reference implementation (see its `generated_by` script).
struct Fixture: Decodable {
    struct Entry: Decodable { let shape: [Int]; let data: [Double] }
    let generated_by: String
    let versions: [String: String]
    let tensors: [String: Entry]
    let labels: [Int]

    static func load(_ name: String) throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"), "missing fixture \(name).json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func tensor(_ name: String) throws -> Tensor {
        let e = try #require(tensors[name], "fixture has no tensor \(name)")
        return try Tensor(shape: e.shape, scalars: e.data.map(Float.init))
    }

    func expected(_ name: String) throws -> [Double] { try #require(tensors[name], "fixture has no tensor \(name)").data }
}

@Suite struct NetworkTests {
    /// The network of Scripts/fixtures/small_net.py, written with Petal ops.
    func smallNet(_ x: Tensor, _ p: [String: Tensor], rm: Tensor, rv: Tensor, training: Bool) throws -> Tensor {
        let c1 = try x.conv2d(weight: p["conv1.weight"]!, bias: p["conv1.bias"]!, padding: 1)
        let a = try c1.batchNorm2d(scale: p["bn1.weight"]!, shift: p["bn1.bias"]!, runningMean: rm, runningVariance: rv,
                                   training: training, momentum: 0.1, fusedReLU: true)
        let pooled = try a.maxPool2d(kernel: 2)
        let h = try pooled + pooled.conv2d(weight: p["conv_res.weight"]!)
        let c2 = try h.conv2d(weight: p["conv2.weight"]!, bias: p["conv2.bias"]!, stride: 2, padding: 1, groups: 2).relu()
        return try c2.globalAvgPool2d().linear(weight: p["fc.weight"]!, bias: p["fc.bias"]!)
    }

    @Test func matchesPyTorchForwardLossGradientsAndRunningStatistics() throws {
        let f = try Fixture.load("small_net")
        #expect(f.versions["torch"]?.hasPrefix("2.") == true)
        let names = ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "conv_res.weight", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"]
        var params: [String: Tensor] = [:]
        for n in names { params[n] = try f.tensor(n).requiringGradient() }
        let x = try f.tensor("input").requiringGradient()
        let rm = try Tensor.zeros([4]), rv = try Tensor.ones([4])

        let logits = try smallNet(x, params, rm: rm, rv: rv, training: true)
        let loss = try logits.softmaxCrossEntropy(labels: f.labels)
        try loss.backward()

        expectClose(logits.scalars, try f.expected("logits"), rtol: 1e-4, atol: 1e-6, "logits")
        expectClose([try loss.item()], try f.expected("loss"), rtol: 1e-4, atol: 0, "loss")
        expectClose(try #require(x.grad).scalars, try f.expected("grad.input"), rtol: 1e-4, atol: 1e-6, "grad.input")
        for n in names {
            expectClose(try #require(params[n]!.grad, "no gradient for \(n)").scalars, try f.expected("grad." + n), rtol: 1e-4, atol: 1e-6, "grad.\(n)")
        }
        expectClose(rm.scalars, try f.expected("bn1.running_mean"), rtol: 1e-4, atol: 1e-6, "running mean")
        expectClose(rv.scalars, try f.expected("bn1.running_var"), rtol: 1e-4, atol: 1e-6, "running variance")

        let evalLogits = try withoutGradients { try smallNet(x, params, rm: rm, rv: rv, training: false) }
        expectClose(evalLogits.scalars, try f.expected("eval.logits"), rtol: 1e-4, atol: 1e-6, "eval logits")
    }

    @Test func convBatchNormReluPoolDenseNetworkPassesFiniteDifferenceCheck() throws {
        let xs = [2, 2, 6, 6]
        let x = try randomTensor(xs, seed: 61)
        let w = try randomTensor([3, 2, 3, 3], seed: 62, scale: 0.5), b = try randomTensor([3], seed: 63)
        let gamma = try randomTensor([3], seed: 64, scale: 0.2) + 1, beta = try randomTensor([3], seed: 65, scale: 0.2)
        let fw = try randomTensor([2, 27], seed: 66, scale: 0.3), fb = try randomTensor([2], seed: 67)
        try checkGradients([x, w, b, gamma, beta, fw, fb]) { t in
            let a = try t[0].conv2d(weight: t[1], bias: t[2], padding: 1)
                .batchNorm2d(scale: t[3], shift: t[4], runningMean: Tensor.zeros([3]), runningVariance: Tensor.ones([3]), training: true)
                .relu().maxPool2d(kernel: 2)
            return try a.flattened().linear(weight: t[5], bias: t[6]).softmaxCrossEntropy(labels: [1, 0])
        } reference: { v in
            let conv = Naive.conv2d(v[0], xs, v[1], [3, 2, 3, 3], v[2], stride: 1, padding: 1, dilation: 1, groups: 1)
            let bn = Naive.batchNorm2d(conv.values, conv.shape, scale: v[3], shift: v[4], epsilon: 1e-5, relu: true)
            let pooled = try! Naive.pool2d(bn, conv.shape, kernel: 2, stride: 2, padding: 0, ceilMode: false, max: true)
            var loss = 0.0
            for (i, label) in [1, 0].enumerated() {
                let logits = (0..<2).map { o in v[6][o] + total(27) { k in pooled[i * 27 + k] * v[5][o * 27 + k] } }
                let m = logits.max()!
                loss -= logits[label] - m - Foundation.log(logits.reduce(0) { $0 + Foundation.exp($1 - m) })
            }
            return [loss / 2]
        }
    }
}
