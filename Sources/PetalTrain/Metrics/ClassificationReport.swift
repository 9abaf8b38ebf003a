// Confusion matrix and the scores derived from it, with scikit-learn's definitions (zero_division = 0).

/// Counts of (true class, predicted class) pairs and the per-class scores derived from them.
public struct ClassificationReport: Sendable, Equatable, Codable {
    /// `matrix[t][p]`: samples of true class t predicted as p.
    public let matrix: [[Int]]

    /// Counts each (label, prediction) pair; pairs outside `0..<classCount` are not counted.
    public init(labels: [Int], predictions: [Int], classCount: Int) {
        var m = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
        for (t, p) in zip(labels, predictions) where t >= 0 && t < classCount && p >= 0 && p < classCount { m[t][p] += 1 }
        matrix = m
    }

    /// The report of a classifier's probabilities (row-major [count, classCount]): each row's most probable class
    /// (the first on ties) is its prediction.
    public init(probabilities: [Float], classCount: Int, labels: [Int]) {
        self.init(labels: labels, predictions: argmaxRows(probabilities, columns: classCount), classCount: classCount)
    }

    /// Number of classes.
    public var classCount: Int { matrix.count }
    /// Samples counted.
    public var total: Int { matrix.reduce(0) { $0 + $1.reduce(0, +) } }
    /// Share of samples on the diagonal.
    public var accuracy: Double { total == 0 ? 0 : Double((0..<classCount).reduce(0) { $0 + matrix[$1][$1] }) / Double(total) }
    /// Samples of each true class.
    public var support: [Int] { matrix.map { $0.reduce(0, +) } }

    /// TP / (TP + FP) per class, 0 when nothing was predicted as that class.
    public var precision: [Double] {
        (0..<classCount).map { c in
            let predicted = matrix.reduce(0) { $0 + $1[c] }
            return predicted == 0 ? 0 : Double(matrix[c][c]) / Double(predicted)
        }
    }

    /// TP / (TP + FN) per class, 0 for an absent class.
    public var recall: [Double] { (0..<classCount).map { support[$0] == 0 ? 0 : Double(matrix[$0][$0]) / Double(support[$0]) } }

    /// Harmonic mean of precision and recall per class.
    public var f1: [Double] { zip(precision, recall).map { p, r in p + r == 0 ? 0 : 2 * p * r / (p + r) } }

    /// The unweighted mean over classes (scikit-learn's `average="macro"`).
    public static func macro(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
}
