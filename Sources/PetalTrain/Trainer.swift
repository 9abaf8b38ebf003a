// The training loop: epochs over a batch source, an optimizer step per batch, a validation pass per epoch,
// and events to callbacks. With seeded loaders, two runs on one machine give identical losses.
import Foundation

/// What training does with a batch whose loss is NaN or infinite.
public enum NonFiniteLossPolicy: Sendable {
    /// Stop training after that batch with a message naming the epoch and batch (the default: a diverged model's
    /// further updates are garbage).
    case stop
    /// Skip the batch's update and go on; each epoch's logs count the skipped batches under `skipped_batches`.
    case skipBatch
}

/// Fits models, Keras-style.
public enum Trainer {
    /// Trains `model` for `epochs` epochs and returns the history of epoch logs.
    /// - Parameters:
    ///   - validation: evaluated after every epoch into `val_loss`, `val_accuracy` and `val_auc`.
    ///   - initialEpoch: the first epoch to run (0-based), when resuming a run.
    ///   - callbacks: receive events in order; the returned `History` sees each epoch's logs after them.
    ///   - nonFiniteLoss: what to do with a batch whose loss is NaN or infinite (stop by default).
    ///   - dataParallel: train together with the other ranks of a communicator. Every rank calls `fit` with the same
    ///     model, optimizer state and settings; `train` yields this rank's part of each global batch and `validation`
    ///     this rank's part of the validation set (`DataLoader.sharded(rank:of:)`). Rank 0's weights are copied to
    ///     all ranks first, gradients are combined before every step, and the logs (losses, accuracy, AUC) are those
    ///     of the global batches and the whole validation set, the same on every rank.
    @discardableResult
    public static func fit(_ model: Module, train: BatchSource, validation: BatchSource? = nil, epochs: Int,
                           optimizer: Optimizer, loss: Loss = .crossEntropy, callbacks: [Callback] = [],
                           initialEpoch: Int = 0, nonFiniteLoss: NonFiniteLossPolicy = .stop,
                           dataParallel: DataParallel? = nil) throws -> History {
        guard epochs >= 1 else { throw TrainingError.invalidSetting("epochs must be at least 1, got \(epochs)") }
        guard (0..<epochs).contains(initialEpoch) else {
            throw TrainingError.invalidSetting("initial epoch \(initialEpoch) is outside 0..<\(epochs)")
        }
        guard train.batchesPerEpoch > 0 else { throw TrainingError.invalidSetting("the training data yields no batches (too few images for the batch size?)") }
        if let dataParallel {
            try dataParallel.checkAgreement(train.batchesPerEpoch, what: "the number of batches per epoch")
            try dataParallel.broadcastState(of: model)
        }
        let history = History()
        let all = callbacks + [history]
        let state = TrainingState(model: model, optimizer: optimizer, epochs: epochs, batchesPerEpoch: train.batchesPerEpoch)
        state.step = initialEpoch * train.batchesPerEpoch
        state.epoch = initialEpoch
        state.logKeys = Set(["loss", "accuracy", "lr"] + (validation == nil ? [] : ["val_loss", "val_accuracy", "val_auc"]) + all.flatMap(\.addedLogKeys))
        for c in all { try c.trainBegin(state) }
        for epoch in initialEpoch..<epochs {
            state.epoch = epoch
            model.restartRandomDraws(epoch: epoch)  // dropout's masks depend on the epoch, so a resumed epoch repeats them
            for c in all { try c.epochBegin(state) }
            var logs = try trainEpoch(model, train, optimizer, loss, state, all, nonFiniteLoss, dataParallel)
            logs["lr"] = Double(optimizer.learningRate)
            // An epoch whose training pass ran to its end is validated even when a stop was asked for on its last batch,
            // so that it is complete (resumable past) like any other.
            if let validation, !state.epochInterrupted {
                try dataParallel?.broadcastBuffers(of: model)
                var v = try evaluate(model, on: validation, loss: loss)
                if let dataParallel { v = try dataParallel.gather(v) }
                state.validation = v
                logs.merge(v.logs(prefix: "val_")) { _, new in new }
                // Keras' validation loss includes the regularisation losses too.
                if let penalty = try model.regularizationLoss(), let loss = logs["val_loss"] { logs["val_loss"] = loss + Double(try penalty.item()) }
            }
            for c in all { try c.epochEnd(state, logs: &logs) }
            try agreeOnStop(state, dataParallel)
            if state.stopReason != nil { break }
        }
        history.stopReason = state.stopReason
        for c in all { try c.trainEnd(state) }
        return history
    }

    /// One pass over the training batches; returns the epoch's mean loss and accuracy, and marks the state when
    /// a stop request cut the pass short.
    static func trainEpoch(_ model: Module, _ train: BatchSource, _ optimizer: Optimizer, _ loss: Loss,
                           _ state: TrainingState, _ callbacks: [Callback], _ policy: NonFiniteLossPolicy,
                           _ dataParallel: DataParallel?) throws -> Logs {
        model.train()
        var seen = 0, correct = 0, skipped = 0, lossSeen = 0  // skipped batches count in accuracy, not in the loss
        var lossSum = 0.0
        let batches = try train.batches(epoch: state.epoch)
        var index = 0
        while let batch = batches.next() {
            for c in callbacks { try c.batchBegin(state, batch: index) }
            optimizer.zeroGrad()
            var value = Double.nan, batchCorrect = 0, count = batch.count
            if batch.count > 0 {  // a rank's part of a small last batch can be empty
                let logits = try model(batch.images)
                var l = try loss(logits, labels: batch.labels)
                // Keras reports and differentiates the data loss plus its layers' regularisation losses.
                if let penalty = try model.regularizationLoss() { l = try l + penalty }
                value = Double(try l.item())
                // Every rank takes part in combining gradients, so a rank backpropagates even a non-finite loss;
                // the global loss then decides, on every rank alike, whether the step is applied.
                if value.isFinite || dataParallel != nil { try l.backward() }
                batchCorrect = zip(argmaxRows(logits.scalars, columns: logits.shape[1]), batch.labels).filter { $0 == $1 }.count
            }
            if let dataParallel {
                let normaliser = loss.normaliser(labels: batch.labels)
                try dataParallel.combineGradients(optimizer.parameters, normaliser: normaliser)
                let sums = try dataParallel.sum([normaliser > 0 ? value * normaliser : 0, normaliser, Double(batchCorrect), Double(batch.count)])
                (value, batchCorrect, count) = (sums[0] / sums[1], Int(sums[2]), Int(sums[3]))
            }
            if value.isFinite {
                for c in callbacks { try c.beforeOptimizerStep(state, batch: index) }
                try optimizer.step()
                (lossSum, lossSeen) = (lossSum + value * Double(count), lossSeen + count)
            } else if policy == .stop {
                state.stop(TrainingError.nonFiniteLoss(epoch: state.epoch, batch: index, value: Float(value)).description)
                (lossSum, lossSeen) = (lossSum + value * Double(count), lossSeen + count)
            } else {
                skipped += 1
            }
            correct += batchCorrect
            seen += count
            state.step += 1
            let running: Logs = ["batch_loss": value, "batch_size": Double(count), "loss": lossSeen > 0 ? lossSum / Double(lossSeen) : .nan, "accuracy": Double(correct) / Double(seen)]
            for c in callbacks { try c.batchEnd(state, batch: index, logs: running) }
            index += 1
            try agreeOnStop(state, dataParallel)
            if state.stopReason != nil { break }
        }
        state.epochInterrupted = state.stopReason != nil && index < train.batchesPerEpoch
        var logs: Logs = ["loss": lossSeen > 0 ? lossSum / Double(lossSeen) : .nan, "accuracy": seen > 0 ? Double(correct) / Double(seen) : .nan]
        if skipped > 0 { logs["skipped_batches"] = Double(skipped) }
        return logs
    }

    /// With several ranks, a stop asked for on one rank (a callback, a signal) stops every rank at the same step, so
    /// no rank waits for a reduction the others never join.
    static func agreeOnStop(_ state: TrainingState, _ dataParallel: DataParallel?) throws {
        guard let dataParallel, try dataParallel.communicator.any(state.stopReason != nil), state.stopReason == nil else { return }
        state.stop("stopped by another rank")
    }
}
