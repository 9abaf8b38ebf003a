/// Adds the exact ROC AUC of the model on another data set (the training set, say) to each epoch's logs under `key`.
/// Validation AUC, which the tutorial's `roc_callback` computes, is always logged as `val_auc`.
public final class ROCAUC: Callback {
    /// The data scored every epoch and the log key of its AUC.
    public let source: BatchSource, key: String

    /// - Parameters:
    ///   - source: the data to score (the training set, say).
    ///   - key: the log key (`auc`).
    public init(on source: BatchSource, key: String = "auc") {
        self.source = source
        self.key = key
    }

    /// `key`.
    public var addedLogKeys: [String] { [key] }

    /// Scores the model on `source` and logs its AUC under `key`.
    public func epochEnd(_ state: TrainingState, logs: inout Logs) throws {
        if let auc = try evaluate(state.model, on: source).auc { logs[key] = auc }
    }
}
