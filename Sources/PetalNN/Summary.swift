// A readable model summary in the manner of Keras' `model.summary()`: each layer with its output shape
// for a given input size and its parameter count, then the totals.

/// Collects each module's output shape while a summary's forward pass runs.
final class SummaryRecorder: @unchecked Sendable {
    @TaskLocal static var current: SummaryRecorder?
    var shapes: [ObjectIdentifier: [Int]] = [:]

    func record(_ module: Module, _ shape: [Int]) { shapes[ObjectIdentifier(module)] = shape }
}

extension Module {
    /// A table of every leaf layer (dotted name, description, output shape, parameters) for an input of
    /// `inputShape` (NCHW, batch included), followed by the totals. Runs one forward pass in inference mode.
    public func summary(inputShape: [Int]) throws -> String {
        let recorder = SummaryRecorder()
        let output = try SummaryRecorder.$current.withValue(recorder) {
            try inferring { try self(Tensor.zeros(inputShape)) }
        }
        var rows: [(String, String, String, String)] = [("Layer", "Type", "Output shape", "Params")]
        for (name, m) in namedModules where m.children.isEmpty {
            let own = m.namedParameters.reduce(0) { $0 + $1.tensor.count }
            let shape = recorder.shapes[ObjectIdentifier(m)].map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? "—"
            rows.append((name, m.layerDescription, shape, own.formatted()))
        }
        let widths = [0, 1, 2, 3].map { i in rows.map { [$0.0, $0.1, $0.2, $0.3][i].count }.max()! }
        func line(_ r: (String, String, String, String)) -> String {
            [r.0, r.1, r.2].enumerated().map { $1.padding(toLength: widths[$0] + 2, withPad: " ", startingAt: 0) }.joined()
                + String(repeating: " ", count: widths[3] - r.3.count) + r.3
        }
        let rule = String(repeating: "─", count: widths.reduce(0, +) + 6)
        let buffers = namedBuffers.reduce(0) { $0 + $1.tensor.count }
        return ([line(rows[0]), rule] + rows.dropFirst().map(line) + [rule,
            "Input shape: [\(inputShape.map(String.init).joined(separator: ", "))] → output shape: [\(output.shape.map(String.init).joined(separator: ", "))]",
            "Total parameters: \(parameterCount.formatted()) (trainable)",
            "Buffers: \(buffers.formatted()) values (running statistics, not trained)"]).joined(separator: "\n")
    }
}

extension Module {
    /// The values every leaf layer outputs for one input of `inputShape`, summed: about what a training step keeps per
    /// input for the backward pass. Runs one forward pass in inference mode.
    public func activationCount(inputShape: [Int]) throws -> Int {
        let recorder = SummaryRecorder()
        _ = try SummaryRecorder.$current.withValue(recorder) { try inferring { try self(Tensor.zeros(inputShape)) } }
        return namedModules.filter { $0.module.children.isEmpty }.reduce(0) { sum, m in
            sum + (recorder.shapes[ObjectIdentifier(m.module)]?.reduce(1, *) ?? 0)
        }
    }
}

extension Int {
    /// 11689512 → "11,689,512".
    func formatted() -> String {
        let digits = String(Swift.abs(self))
        var out = ""
        for (i, ch) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (self < 0 ? "-" : "") + String(out.reversed())
    }
}
