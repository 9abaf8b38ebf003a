// The numbers `evaluation.json` holds, and `petal evaluate --json` prints.
import Foundation
import PetalTrain

/// A model's scores on a data set: loss, accuracy, ROC AUC, confusion matrix, per-class scores and ROC curves.
public struct EvaluationSummary: Codable, Sendable {
    /// One ROC curve (false- and true-positive rates) and its area.
    public struct Curve: Codable, Sendable { public var name: String; public var fpr: [Double]; public var tpr: [Double]; public var auc: Double? }
    /// Class names in label order.
    public var classes: [String]
    /// Images evaluated.
    public var count: Int
    /// Mean cross-entropy.
    public var loss: Double
    /// Share of images whose most probable class is the true one.
    public var accuracy: Double
    /// Binary or one-vs-rest macro ROC AUC; nil when a class is missing.
    public var auc: Double?
    /// Rows: true class; columns: predicted class.
    public var confusionMatrix: [[Int]]
    /// Per-class precision, recall and F1 (scikit-learn's definitions).
    public var precision: [Double], recall: [Double], f1: [Double]
    /// Images of each class.
    public var support: [Int]
    /// ROC curves: the positive class's for two classes, one-vs-rest per class otherwise.
    public var rocCurves: [Curve]

    /// The scores as `petal evaluate` prints them: a summary line, per-class precision, recall, F1 and support, and
    /// the confusion matrix.
    public var details: String {
        let w = max(classes.map(\.count).max() ?? 5, 9)
        var lines = ["\(count) images · loss \(String(format: "%.4f", loss)) · accuracy \(String(format: "%.4f", accuracy)) · AUC \(auc.map { String(format: "%.4f", $0) } ?? "undefined (one class only)")",
                     "\("class".padding(toLength: w, withPad: " ", startingAt: 0))  precision  recall  f1      support"]
        for (i, name) in classes.enumerated() {
            lines.append(name.padding(toLength: w, withPad: " ", startingAt: 0) + String(format: "  %.4f     %.4f  %.4f  %d", precision[i], recall[i], f1[i], support[i]))
        }
        lines.append("confusion matrix (rows: true, columns: predicted): \(confusionMatrix)")
        return lines.joined(separator: "\n")
    }

    /// Summarises an evaluation whose class indices name `classes`.
    public init(_ e: Evaluation, classes: [String]) {
        let r = e.report
        (self.classes, count, loss, accuracy, auc, confusionMatrix, precision, recall, f1, support)
            = (classes, e.count, e.loss, e.accuracy, e.auc, r.matrix, r.precision, r.recall, r.f1, r.support)
        let c = e.classCount
        let shown = c == 2 ? [1] : Array(0..<c)
        rocCurves = shown.map { k in
            let scores = (0..<e.count).map { e.probabilities[$0 * c + k] }, positives = e.labels.map { $0 == k }
            let points = ROC.curve(scores: scores, positives: positives)
            return Curve(name: c == 2 ? "\(classes[k]) vs \(classes[1 - k])" : "\(classes[k]) vs rest",
                         fpr: points.map(\.fpr), tpr: points.map(\.tpr), auc: ROC.auc(scores: scores, positives: positives))
        }
    }
}
