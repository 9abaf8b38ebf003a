/// Every epoch's logs (the tutorial's `LossHistory`); `Trainer.fit` returns it.
public final class History: Callback {
    /// One entry per finished epoch, in order.
    public private(set) var epochs: [Logs] = []
    /// Why training ended early, if it did.
    public internal(set) var stopReason: String?

    /// An empty history; `Trainer.fit` makes and returns one.
    public init() {}

    /// A history of these epochs' logs (one saved earlier, say).
    public init(epochs: [Logs]) { self.epochs = epochs }

    /// Keeps the epoch's logs.
    public func epochEnd(_ state: TrainingState, logs: inout Logs) throws { epochs.append(logs) }

    /// The values of one log key over the epochs (NaN where an epoch lacks it).
    public func values(_ key: String) -> [Double] { epochs.map { $0[key] ?? .nan } }

    /// Every key that appears in any epoch, sorted.
    public var keys: [String] { Array(Set(epochs.flatMap(\.keys))).sorted() }
}
