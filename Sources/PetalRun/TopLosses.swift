// fastai's top losses: the images a model got most confidently wrong, ranked by the cross-entropy of their true class.
import Foundation
import PetalTrain

/// Ranks an evaluation's samples by loss.
public enum TopLosses {
    /// The `count` samples with the highest cross-entropy of their true class, highest first.
    public static func rank(_ e: Evaluation, count: Int) -> [(index: Int, loss: Double)] {
        let c = e.classCount
        let losses = (0..<e.count).map { -Foundation.log(Double(max(e.probabilities[$0 * c + e.labels[$0]], 1e-12))) }
        return losses.indices.sorted { losses[$0] > losses[$1] }.prefix(max(count, 0)).map { ($0, losses[$0]) }
    }
}
