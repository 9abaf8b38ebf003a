// Exact ROC AUC, equal to scikit-learn's `roc_auc_score` including ties: the Mann–Whitney statistic with
// tied scores sharing their average rank, which equals the trapezoidal area under the full ROC curve.

/// Receiver-operating-characteristic computations for binary and one-vs-rest multi-class scores.
public enum ROC {
    /// Area under the ROC curve of `scores` for `positives` (true = positive class); nil when only one class
    /// is present (the AUC is undefined then, as scikit-learn says).
    public static func auc(scores: [Float], positives: [Bool]) -> Double? { auc(scores: scores.map(Double.init), positives: positives) }

    /// Area under the ROC curve for Double scores (the core computation; Float scores convert exactly).
    public static func auc(scores: [Double], positives: [Bool]) -> Double? {
        precondition(scores.count == positives.count, "ROC.auc: \(scores.count) scores for \(positives.count) labels")
        let nPos = positives.filter { $0 }.count, nNeg = positives.count - nPos
        guard nPos > 0 && nNeg > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPositive = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1  // ranks are 1-based
            for k in i...j where positives[order[k]] { rankSumPositive += averageRank }
            i = j + 1
        }
        return (rankSumPositive - Double(nPos) * Double(nPos + 1) / 2) / (Double(nPos) * Double(nNeg))
    }

    /// One-vs-rest AUC per class for probabilities [N, C] (row-major) and labels; nil for absent classes.
    public static func perClassAUC(probabilities: [Float], classCount: Int, labels: [Int]) -> [Double?] {
        perClassAUC(probabilities: probabilities.map(Double.init), classCount: classCount, labels: labels)
    }

    /// One-vs-rest AUC of each class from probabilities [count, classCount]; nil for a class that is absent or alone.
    public static func perClassAUC(probabilities: [Double], classCount: Int, labels: [Int]) -> [Double?] {
        (0..<classCount).map { c in
            auc(scores: labels.indices.map { probabilities[$0 * classCount + c] }, positives: labels.map { $0 == c })
        }
    }

    /// The AUC Petal reports: binary AUC of the positive class (index 1) for two classes, else the macro
    /// average of one-vs-rest AUCs (scikit-learn's `multi_class="ovr", average="macro"`). Nil when undefined.
    public static func auc(probabilities: [Float], classCount: Int, labels: [Int]) -> Double? {
        auc(probabilities: probabilities.map(Double.init), classCount: classCount, labels: labels)
    }

    /// Binary AUC (class 1 positive) for two classes, else the macro mean of the one-vs-rest AUCs; nil when undefined.
    public static func auc(probabilities: [Double], classCount: Int, labels: [Int]) -> Double? {
        if classCount == 2 {
            return auc(scores: labels.indices.map { probabilities[$0 * 2 + 1] }, positives: labels.map { $0 == 1 })
        }
        let each = perClassAUC(probabilities: probabilities, classCount: classCount, labels: labels)
        guard each.allSatisfy({ $0 != nil }) else { return nil }
        return each.reduce(0) { $0 + $1! } / Double(classCount)
    }

    /// ROC curve points (false-positive rate, true-positive rate, threshold), one per distinct score from the
    /// highest down, starting at (0, 0) with threshold +∞ — scikit-learn's `roc_curve(drop_intermediate=False)`.
    public static func curve(scores: [Float], positives: [Bool]) -> [(fpr: Double, tpr: Double, threshold: Float)] {
        let nPos = Double(positives.filter { $0 }.count), nNeg = Double(positives.count) - nPos
        // NaN scores (a model with non-finite weights) rank last, as one threshold; they must not break the ordering
        // or the grouping below, which would never end.
        let key = scores.map { $0.isNaN ? -Float.infinity : $0 }
        let order = scores.indices.sorted { key[$0] > key[$1] || (key[$0] == key[$1] && !scores[$0].isNaN && scores[$1].isNaN) }
        var points: [(Double, Double, Float)] = [(0, 0, .infinity)]
        var tp = 0.0, fp = 0.0, i = 0
        while i < order.count {
            let s = scores[order[i]]
            while i < order.count && (scores[order[i]] == s || (s.isNaN && scores[order[i]].isNaN)) {
                if positives[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            points.append((nNeg > 0 ? fp / nNeg : .nan, nPos > 0 ? tp / nPos : .nan, s))
        }
        return points.map { (fpr: $0.0, tpr: $0.1, threshold: $0.2) }
    }
}
