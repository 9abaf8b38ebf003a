// Reading the run folder's CSV files back (history, sweep, range test) for the report.
import Foundation

/// A CSV file with a header row, read as columns of numbers.
struct CSVTable {
    /// The column names.
    let header: [String]
    /// The rows (NaN where a cell is empty or not a number).
    let values: [[Double]]

    /// Reads the file; nil when it cannot be read or is empty.
    init?(url: URL) {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let first = lines.first else { return nil }
        header = first
        values = lines.dropFirst().map { $0.map { Double($0) ?? .nan } }
    }

    /// Rows below the header.
    var rows: Int { values.count }

    /// The values of a column, or nil when it is absent or holds no finite number.
    func column(_ name: String) -> [Double]? {
        guard let i = header.firstIndex(of: name) else { return nil }
        let c = values.map { i < $0.count ? $0[i] : .nan }
        return c.contains(where: { $0.isFinite }) ? c : nil
    }
}
