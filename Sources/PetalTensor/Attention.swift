// The Vision Transformer's own steps (Dosovitskiy et al. 2021), each one traced op computed from differentiable ones:
// an image's patch embeddings turned into tokens with a class token and position embeddings, multi-head
// self-attention as PyTorch's `nn.MultiheadAttention` computes it, and the class token's output.
import Foundation

extension Tensor {
    /// Patch embeddings [N, D, h, w] as tokens [N, 1 + h·w, D]: the class token first, then the patches row by row,
    /// each plus its position embedding.
    /// - Parameters:
    ///   - classToken: [1, 1, D].
    ///   - positions: [1, 1 + h·w, D].
    public func patchTokens(classToken: Tensor, positions: Tensor) throws -> Tensor {
        let op = "patchTokens"
        guard rank == 4 else { throw TensorError.shapeMismatch(op: op, message: "needs patch embeddings [N, D, h, w], got \(describe(shape))") }
        let (n, d, patches) = (shape[0], shape[1], shape[2] * shape[3])
        guard classToken.shape == [1, 1, d], positions.shape == [1, 1 + patches, d] else {
            throw TensorError.shapeMismatch(op: op, message: "class token \(describe(classToken.shape)) and positions \(describe(positions.shape)) must be [1, 1, \(d)] and [1, \(1 + patches), \(d)]")
        }
        return try traced([.patchTokens(classToken: classToken, positions: positions)], [self]) {
            let tokens = try reshaped([n, d, patches]).permuted([0, 2, 1])
            return try Tensor.concatenate([classToken.broadcast(to: [n, 1, d]), tokens], alongAxis: 1) + positions
        }
    }

    /// Multi-head self-attention over tokens [N, T, D] as `nn.MultiheadAttention(D, heads)(x, x, x)` computes it:
    /// queries, keys and values from one projection, softmax(q·kᵀ/√(D/heads))·v per head, the heads joined and
    /// projected.
    /// - Parameters:
    ///   - inWeight, inBias: [3D, D] and [3D], the query, key and value projections stacked (`in_proj_weight`).
    ///   - outWeight, outBias: [D, D] and [D] (`out_proj`).
    public func selfAttention(inWeight: Tensor, inBias: Tensor, outWeight: Tensor, outBias: Tensor, heads: Int) throws -> Tensor {
        let op = "selfAttention"
        guard rank == 3 else { throw TensorError.shapeMismatch(op: op, message: "needs tokens [N, T, D], got \(describe(shape))") }
        let (n, t, d) = (shape[0], shape[1], shape[2])
        guard heads > 0, d % heads == 0 else { throw TensorError.invalidArgument(op: op, message: "\(heads) heads do not divide \(d) channels") }
        guard inWeight.shape == [3 * d, d], inBias.shape == [3 * d], outWeight.shape == [d, d], outBias.shape == [d] else {
            throw TensorError.shapeMismatch(op: op, message: "projections \(describe(inWeight.shape)), \(describe(inBias.shape)), \(describe(outWeight.shape)), \(describe(outBias.shape)) must be [\(3 * d), \(d)], [\(3 * d)], [\(d), \(d)], [\(d)]")
        }
        let operation = GraphOperation.selfAttention(inWeight: inWeight, inBias: inBias, outWeight: outWeight, outBias: outBias, heads: heads)
        return try traced([operation], [self]) {
            let width = d / heads
            // [N·T, 3D] → [3, N, heads, T, width]: queries, keys and values, each a batch of N·heads matrices.
            let qkv = try reshaped([n * t, d]).linear(weight: inWeight, bias: inBias).reshaped([n, t, 3, heads, width]).permuted([2, 0, 3, 1, 4])
            let (q, k, v) = try (qkv.slice(batch: 0..<1).reshaped([n * heads, t, width]), qkv.slice(batch: 1..<2).reshaped([n * heads, t, width]),
                                 qkv.slice(batch: 2..<3).reshaped([n * heads, t, width]))
            let weights = try (q.batchedMatmul(k, transposingOther: true) * Float(1 / Double(width).squareRoot())).softmax()
            let joined = try weights.batchedMatmul(v).reshaped([n, heads, t, width]).permuted([0, 2, 1, 3]).reshaped([n * t, d])
            return try joined.linear(weight: outWeight, bias: outBias).reshaped([n, t, d])
        }
    }

    /// The first token of each item, [N, T, D] → [N, D] (the class token a ViT classifies from).
    public func firstToken() throws -> Tensor {
        guard rank == 3, shape[1] >= 1 else { throw TensorError.shapeMismatch(op: "firstToken", message: "needs tokens [N, T, D], got \(describe(shape))") }
        return try traced([.firstToken], [self]) { try permuted([1, 0, 2]).slice(batch: 0..<1).reshaped([shape[0], shape[2]]) }
    }
}
