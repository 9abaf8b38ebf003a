// The Vision Transformer (Dosovitskiy et al. 2021) as torchvision builds it, with torchvision's parameter names
// (`conv_proj.weight`, `class_token`, `encoder.pos_embedding`, `encoder.layers.encoder_layer_0.self_attention.in_proj_weight`,
// `heads.head.bias`, …) so that its published state dicts load as they are: non-overlapping patches embedded by a
// strided convolution, a class token and learned position embeddings, pre-norm encoder blocks (layer norm,
// multi-head self-attention, residual; layer norm, MLP with GELU, residual), a final layer norm and a linear head on
// the class token.
//
// Other input sizes: the position embeddings are kept for `imageSize` (torchvision's shape, so checkpoints go both
// ways) and, for any other patch grid, interpolated bicubically in the forward pass as torchvision's
// `interpolate_embeddings` does once at load (align_corners, A = −0.75). The interpolation is a fixed linear map, so
// training reaches the stored embeddings through it. An input side that is not a multiple of the patch loses its last
// pixels to the strided convolution.
import Foundation

/// ViT-B/16, B/32, L/16, L/32 and H/14, torchvision-exact.
public final class VisionTransformer: Module, ImageClassifier {
    /// The published sizes.
    public enum Variant: String, CaseIterable, Sendable, Codable {
        case b16 = "b_16", b32 = "b_32", l16 = "l_16", l32 = "l_32", h14 = "h_14"

        /// Patch side, encoder blocks, heads, token width and MLP width.
        public var settings: (patch: Int, layers: Int, heads: Int, hidden: Int, mlp: Int) {
            switch self {
            case .b16: (16, 12, 12, 768, 3072)
            case .b32: (32, 12, 12, 768, 3072)
            case .l16: (16, 24, 16, 1024, 4096)
            case .l32: (32, 24, 16, 1024, 4096)
            case .h14: (14, 32, 16, 1280, 5120)
            }
        }
    }

    public let variant: Variant
    /// Scales the token and MLP widths beyond the variant's (the heads stay; widths are rounded to a multiple of them).
    public let widthMultiplier: Double
    /// Outputs of the classifier.
    public let classes: Int
    /// The input side the stored position embeddings are for (224 for torchvision's weights).
    public let imageSize: Int
    /// Patch side, heads, token width.
    public let patch: Int, heads: Int, hidden: Int
    /// `conv_proj`: the patch embedding.
    public let patchEmbedding: Conv2D
    /// `class_token`, [1, 1, hidden].
    public let classToken: Tensor
    /// `encoder`: position embeddings, blocks and the final layer norm.
    public let encoder: TransformerEncoder
    /// `heads`: the linear classifier (`heads.head`).
    public let head: ClassifierHeads

    /// - Parameters:
    ///   - widthMultiplier: scales the token and MLP widths (1 is the published network; for reduced test networks).
    ///   - layers: encoder blocks instead of the variant's (for reduced test networks).
    ///   - imageSize: the input side the position embeddings are stored for (torchvision's 224).
    ///   - dropout: in the encoder and MLPs (torchvision's default 0).
    ///   - initializer: draws the initial weights as torchvision does (a zero head, truncated-normal patch embedding,
    ///     Xavier-uniform projections and MLPs, position embeddings with deviation 0.02); `.skip` when weights will be loaded.
    public init(_ variant: Variant, classes: Int, widthMultiplier: Double = 1, layers: Int? = nil, imageSize: Int = 224, dropout: Float = 0,
                initializer g: WeightInitializer = WeightInitializer(seed: 0)) throws {
        guard classes >= 1 else { throw ModelError.invalidConfiguration("VisionTransformer: classes must be at least 1, got \(classes)") }
        guard widthMultiplier > 0, widthMultiplier <= 8 else {
            throw ModelError.invalidConfiguration("VisionTransformer: widthMultiplier must be in (0, 8], got \(widthMultiplier)")
        }
        let s = variant.settings
        guard imageSize >= s.patch, imageSize <= 4096 else {
            throw ModelError.invalidConfiguration("VisionTransformer: imageSize must be \(s.patch)…4096, got \(imageSize)")
        }
        let depth = layers ?? s.layers
        guard (1...64).contains(depth) else { throw ModelError.invalidConfiguration("VisionTransformer: layers must be 1…64, got \(depth)") }
        (self.variant, self.widthMultiplier, self.classes, self.imageSize) = (variant, widthMultiplier, classes, imageSize)
        let (hidden, mlp) = Self.widths(variant, widthMultiplier: widthMultiplier)
        (patch, heads, self.hidden) = (s.patch, s.heads, hidden)
        patchEmbedding = try Conv2D(3, hidden, kernel: Size2D(s.patch, s.patch), stride: Size2D(s.patch, s.patch), initializer: g)
        classToken = try Tensor.zeros([1, 1, hidden]).requiringGradient()
        let grid = imageSize / s.patch
        encoder = try TransformerEncoder(tokens: 1 + grid * grid, hidden: hidden, mlp: mlp, heads: s.heads, layers: depth, dropout: dropout, initializer: g)
        head = try ClassifierHeads(hidden, classes, initializer: g)
        super.init()
        registerChild("conv_proj", patchEmbedding)
        registerParameter("class_token", classToken)
        registerChild("encoder", encoder)
        registerChild("heads", head)
        if g.isRandom {
            // torchvision: the patch embedding from a truncated normal of deviation √(1/fan-in), its bias zero; a zero head.
            try patchEmbedding.weight.assign(g.truncatedNormal(patchEmbedding.weight.shape, deviation: Float((1 / Double(3 * s.patch * s.patch)).squareRoot())))
            for t in [patchEmbedding.bias, head.head.weight, head.head.bias].compactMap({ $0 }) { t.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        }
    }

    /// The token and MLP widths of `variant` scaled by `widthMultiplier`, each rounded to a multiple of the heads.
    public static func widths(_ variant: Variant, widthMultiplier: Double = 1) -> (hidden: Int, mlp: Int) {
        let s = variant.settings
        func scaled(_ width: Int) -> Int { max(s.heads, Int((Double(width) * widthMultiplier / Double(s.heads)).rounded()) * s.heads) }
        return (scaled(s.hidden), scaled(s.mlp))
    }

    public var classifierHead: [Module] { [head] }

    /// The encoder's output tokens [N, 1 + h·w, hidden], the class token first.
    public func features(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[1] == 3, x.shape[2] >= patch, x.shape[3] >= patch else {
            throw TensorError.shapeMismatch(op: layerDescription, message: "expects NCHW input with 3 channels and sides of at least \(patch), got \(x.shape)")
        }
        let patches = try patchEmbedding(x)
        let grid = (patches.shape[2], patches.shape[3])
        return try encoder(patches.patchTokens(classToken: classToken, positions: encoder.positions(grid: grid)))
    }

    /// The head applied to the class token's output.
    public func logits(fromFeatures features: Tensor) throws -> Tensor { try head(features.firstToken()) }

    /// Grad-CAM weighs the patch tokens: the class token dropped, the rest laid out as their patch grid.
    public func spatialMap(of features: Tensor, inputShape: [Int]) throws -> Tensor {
        guard features.rank == 3, inputShape.count == 4 else {
            throw TensorError.shapeMismatch(op: "spatialMap", message: "needs tokens [N, T, D] and an NCHW input shape, got \(features.shape) and \(inputShape)")
        }
        let (n, t, d) = (features.shape[0], features.shape[1], features.shape[2])
        let (h, w) = (inputShape[2] / patch, inputShape[3] / patch)
        guard t == 1 + h * w else { throw TensorError.shapeMismatch(op: "spatialMap", message: "\(t) tokens for a \(h)×\(w) patch grid") }
        return try features.permuted([1, 0, 2]).slice(batch: 1..<t).permuted([1, 2, 0]).reshaped([n, d, h, w])
    }

    /// Logits [N, classes] for images [N, 3, H, W].
    public override func forward(_ x: Tensor) throws -> Tensor { try logits(fromFeatures: features(x)) }

    /// "ViT-B/16 (width 0.25)" and so on.
    public override var layerDescription: String {
        "ViT-\(variant.rawValue.uppercased().replacingOccurrences(of: "_", with: "/"))" + (widthMultiplier == 1 ? "" : " (width \(widthMultiplier))")
    }
}

/// torchvision's `heads`: a container whose one child is the linear classifier `head`.
public final class ClassifierHeads: Module {
    public let head: Dense

    public init(_ inputs: Int, _ classes: Int, initializer g: WeightInitializer) throws {
        head = try Dense(inputs, classes, initializer: g)
        super.init()
        registerChild("head", head)
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try head(x) }
}

/// torchvision's ViT `encoder`: position embeddings (`pos_embedding`), the blocks (`layers.encoder_layer_K`) and the
/// final layer norm (`ln`).
public final class TransformerEncoder: Module {
    /// [1, tokens, hidden] for the stored patch grid.
    public let positionEmbedding: Tensor
    public let blocks: [EncoderBlock]
    public let norm: LayerNorm
    private let dropout: Dropout

    public init(tokens: Int, hidden: Int, mlp: Int, heads: Int, layers: Int, dropout: Float, initializer g: WeightInitializer) throws {
        positionEmbedding = try (g.isRandom ? g.truncatedNormal([1, tokens, hidden], deviation: 0.02) : Tensor.zeros([1, tokens, hidden])).requiringGradient()
        self.dropout = try Dropout(probability: dropout)
        blocks = try (0..<layers).map { try EncoderBlock(hidden: hidden, mlp: mlp, heads: heads, dropout: dropout, seed: UInt64($0), initializer: g) }
        norm = try LayerNorm(hidden, epsilon: 1e-6)
        super.init()
        registerParameter("pos_embedding", positionEmbedding)
        registerChild("dropout", self.dropout)
        let list = Module()
        for (k, block) in blocks.enumerated() { list.registerChild("encoder_layer_\(k)", block) }
        registerChild("layers", list)
        registerChild("ln", norm)
    }

    /// The position embeddings for a patch grid of `grid` rows and columns: the stored ones, or those bicubically
    /// interpolated from the stored square grid (the class token's own embedding unchanged).
    public func positions(grid: (Int, Int)) throws -> Tensor {
        let (tokens, hidden) = (positionEmbedding.shape[1], positionEmbedding.shape[2])
        let side = Int(Double(tokens - 1).squareRoot().rounded())
        guard side * side == tokens - 1 else { throw ModelError.invalidConfiguration("pos_embedding has \(tokens) tokens, not 1 + a square grid") }
        if grid == (side, side) { return positionEmbedding }
        let map = try Tensor(shape: [grid.0 * grid.1, side * side], scalars: Bicubic.gridMap(from: side, to: grid))
        let stored = try positionEmbedding.reshaped([tokens, hidden])
        let patches = try map.matmul(stored.slice(batch: 1..<tokens))
        return try Tensor.concatenate([stored.slice(batch: 0..<1), patches], alongAxis: 0).reshaped([1, 1 + grid.0 * grid.1, hidden])
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        var y = try dropout(x)
        for block in blocks { y = try block(y) }
        return try norm(y)
    }
}

/// torchvision's ViT `EncoderBlock`: x + attention(ln_1(x)), then y + mlp(ln_2(y)).
public final class EncoderBlock: Module {
    public let norm1: LayerNorm, attention: MultiheadAttention, norm2: LayerNorm, mlp: Sequential
    private let dropout: Dropout

    public init(hidden: Int, mlp width: Int, heads: Int, dropout: Float, seed: UInt64, initializer g: WeightInitializer) throws {
        norm1 = try LayerNorm(hidden, epsilon: 1e-6)
        attention = try MultiheadAttention(hidden, heads: heads, initializer: g)
        self.dropout = try Dropout(probability: dropout, seed: seed)
        norm2 = try LayerNorm(hidden, epsilon: 1e-6)
        let (first, second) = (try Dense(hidden, width, initializer: g), try Dense(width, hidden, initializer: g))
        mlp = Sequential(first, ActivationLayer(.gelu), try Dropout(probability: dropout, seed: seed &+ 1000), second,
                         try Dropout(probability: dropout, seed: seed &+ 2000))
        super.init()
        registerChild("ln_1", norm1)
        registerChild("self_attention", attention)
        registerChild("dropout", self.dropout)
        registerChild("ln_2", norm2)
        registerChild("mlp", mlp)
        if g.isRandom {
            // torchvision's MLPBlock: Xavier-uniform weights, biases with deviation 10⁻⁶.
            for layer in [first, second] {
                try layer.weight.assign(g.uniform(layer.weight.shape, bound: Float((6 / Double(layer.inFeatures + layer.outFeatures)).squareRoot())))
                if let bias = layer.bias { try bias.assign(g.truncatedNormal(bias.shape, deviation: 1e-6)) }
            }
        }
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let y = try dropout(attention(norm1(x))) + x
        return try mlp(norm2(y)) + y
    }
}

/// PyTorch's `nn.MultiheadAttention` used as self-attention, with its names: `in_proj_weight` [3D, D],
/// `in_proj_bias` [3D] and `out_proj` (a linear layer).
public final class MultiheadAttention: Module {
    public let heads: Int
    public let inWeight: Tensor, inBias: Tensor
    public let outProjection: Dense

    public init(_ channels: Int, heads: Int, initializer g: WeightInitializer) throws {
        guard heads > 0, channels % heads == 0 else {
            throw ModelError.invalidConfiguration("MultiheadAttention: \(heads) heads must divide \(channels) channels")
        }
        self.heads = heads
        // PyTorch: Xavier-uniform stacked projections, zero biases; the output projection as a Linear layer's weight.
        inWeight = try g.uniform([3 * channels, channels], bound: Float((6 / Double(4 * channels)).squareRoot())).requiringGradient()
        inBias = try Tensor.zeros([3 * channels]).requiringGradient()
        outProjection = try Dense(channels, channels, initializer: g)
        super.init()
        registerParameter("in_proj_weight", inWeight)
        registerParameter("in_proj_bias", inBias)
        registerChild("out_proj", outProjection)
        outProjection.bias?.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Self-attention over tokens [N, T, D].
    public override func forward(_ x: Tensor) throws -> Tensor {
        try x.selfAttention(inWeight: inWeight, inBias: inBias, outWeight: outProjection.weight, outBias: outProjection.bias ?? Tensor.zeros([inBias.count / 3]), heads: heads)
    }
}

/// PyTorch's bicubic interpolation with `align_corners=True` (cubic convolution, A = −0.75, indices clamped at the
/// borders) as a matrix.
enum Bicubic {
    /// Weights [m, n] that interpolate n samples at m positions.
    static func weights(from n: Int, to m: Int) -> [[Double]] {
        func cubic(_ x: Double) -> Double {
            let a = -0.75, x = abs(x)
            return x <= 1 ? ((a + 2) * x - (a + 3)) * x * x + 1 : x < 2 ? ((a * x - 5 * a) * x + 8 * a) * x - 4 * a : 0
        }
        return (0..<m).map { i in
            let source = m > 1 ? Double(i) * Double(n - 1) / Double(m - 1) : 0
            let base = Int(source.rounded(.down)), t = source - Double(base)
            var row = [Double](repeating: 0, count: n)
            for k in -1...2 { row[min(max(base + k, 0), n - 1)] += cubic(Double(k) - t) }
            return row
        }
    }

    /// The map [rows·columns, side²] from a square grid's values (row-major) to a rows × columns grid's.
    static func gridMap(from side: Int, to grid: (Int, Int)) -> [Float] {
        let (ry, rx) = (weights(from: side, to: grid.0), weights(from: side, to: grid.1))
        var map: [Float] = []
        map.reserveCapacity(grid.0 * grid.1 * side * side)
        for y in 0..<grid.0 { for x in 0..<grid.1 { for sy in 0..<side { for sx in 0..<side { map.append(Float(ry[y][sy] * rx[x][sx])) } } } }
        return map
    }
}
