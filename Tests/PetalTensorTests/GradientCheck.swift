// Shared test helpers: closeness checks and the finite-difference gradient check.
// Central differences are taken in Double on a naive reference, so Float32 rounding in Petal's fast
// kernels cannot hide (or fake) an error in a backward rule.
import PetalTestSupport
import Testing
@testable import PetalTensor

/// Compares Petal's forward values and gradients with a Double reference and its central differences.
/// - Parameters:
///   - inputs: the points at which to check (all get gradients).
///   - petal: the function under test, built from Petal ops.
///   - reference: the same function in Double (a naive twin), returning values in Petal's output order.
func checkGradients(_ inputs: [Tensor], rtol: Double = 2e-3, atol: Double = 2e-4, seed: UInt64 = 7,
                    sourceLocation: SourceLocation = #_sourceLocation,
                    petal: ([Tensor]) throws -> Tensor, reference: ([[Double]]) -> [Double]) throws {
    let leaves = inputs.map { $0.requiringGradient() }
    let y = try petal(leaves)
    var gen = SeededGenerator(seed: seed)
    let r = try Tensor.randomNormal(y.shape, generator: &gen)
    try (y * r).sum().backward()

    var point = inputs.map { $0.scalars.map(Double.init) }
    expectClose(y.scalars, reference(point), rtol: 1e-4, atol: 1e-5, "forward", sourceLocation: sourceLocation)
    let weights = r.scalars.map(Double.init)
    func objective() -> Double { zip(reference(point), weights).reduce(0) { $0 + $1.0 * $1.1 } }
    for (k, leaf) in leaves.enumerated() {
        let grad = try #require(leaf.grad, "input \(k) got no gradient", sourceLocation: sourceLocation)
        #expect(grad.shape == leaf.shape, sourceLocation: sourceLocation)
        var numeric = [Double](repeating: 0, count: point[k].count)
        for j in numeric.indices {
            let h = 1e-6 * max(1, abs(point[k][j])), saved = point[k][j]
            point[k][j] = saved + h; let up = objective()
            point[k][j] = saved - h; let down = objective()
            point[k][j] = saved
            numeric[j] = (up - down) / (2 * h)
        }
        expectClose(grad.scalars, numeric, rtol: rtol, atol: atol, "gradient of input \(k)", sourceLocation: sourceLocation)
    }
}

/// A reproducible random tensor for tests.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) throws -> Tensor {
    var g = SeededGenerator(seed: seed)
    return try Tensor.randomNormal(shape, standardDeviation: scale, generator: &g)
}

/// Values of `f` over every index of a row-major grid with the given dimensions.
func grid(_ dims: Int..., f: ([Int]) -> Double) -> [Double] {
    var out: [Double] = []
    var index = Array(repeating: 0, count: dims.count)
    for _ in 0..<dims.reduce(1, *) {
        out.append(f(index))
        var axis = dims.count - 1
        while axis >= 0 { index[axis] += 1; if index[axis] < dims[axis] { break }; index[axis] = 0; axis -= 1 }
    }
    return out
}

/// Σ_{i < n} f(i).
func total(_ n: Int, _ f: (Int) -> Double) -> Double {
    var s = 0.0
    for i in 0..<n { s += f(i) }
    return s
}
