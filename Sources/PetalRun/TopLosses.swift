// fastai's top losses: the images with the highest cross-entropy of their true class. The most confidently wrong come
// first; when few are wrong, the least confident right answers follow.
import Foundation
import PetalTrain

/// Ranks an evaluation's samples by loss.
public enum TopLosses {
    /// One ranked sample: its index in the evaluation, its loss, and the class the model predicted with its probability.
    public struct Entry: Sendable, Equatable {
        /// The sample's index in the evaluation.
        public let index: Int
        /// Its cross-entropy loss.
        public let loss: Double
        /// The class the model predicted.
        public let predicted: Int
        /// The probability of the predicted class.
        public let probability: Double
    }

    /// The `count` samples with the highest cross-entropy of their true class, highest first.
    public static func rank(_ e: Evaluation, count: Int) -> [Entry] {
        let c = e.classCount
        let losses = (0..<e.count).map { -Foundation.log(Double(max(e.probabilities[$0 * c + e.labels[$0]], 1e-12))) }
        let predictions = e.predictions
        return losses.indices.sorted { losses[$0] > losses[$1] }.prefix(max(count, 0)).map { i in
            Entry(index: i, loss: losses[i], predicted: predictions[i], probability: Double(e.probabilities[i * c + predictions[i]]))
        }
    }
}
