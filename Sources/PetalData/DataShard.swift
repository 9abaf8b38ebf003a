// Which part of the data one process handles when several train one model together.

/// Rank `rank` of `ranks` equal parts (as numpy's `array_split`: the first `count % ranks` parts hold one more).
public struct DataShard: Sendable, Equatable {
    /// This part's index, 0..<ranks.
    public let rank: Int
    /// The number of parts.
    public let ranks: Int

    /// The whole data (one process).
    public static let whole = DataShard(checkedRank: 0, ranks: 1)

    private init(checkedRank rank: Int, ranks: Int) { (self.rank, self.ranks) = (rank, ranks) }

    /// - Throws: ``DataError/invalidConfig(parameter:reason:)`` unless 0 ≤ rank < ranks.
    public init(rank: Int, of ranks: Int) throws {
        guard ranks >= 1, (0..<ranks).contains(rank) else {
            throw DataError.invalidConfig(parameter: "shard", reason: "rank \(rank) is outside 0..<\(ranks)")
        }
        (self.rank, self.ranks) = (rank, ranks)
    }

    /// The indices of this part among `count` items.
    public func range(of count: Int) -> Range<Int> {
        let base = count / ranks, extra = count % ranks
        let start = rank * base + min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }
}
