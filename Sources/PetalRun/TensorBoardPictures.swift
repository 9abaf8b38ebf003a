// The pictures a run adds to its TensorBoard logs: its first training batch as the network sees it, and
// the best model's confusion matrix as a heat map (rows: true class, columns: predicted; darker blue: a larger share
// of the row).
import PetalData
import PetalImage
import PetalTensor

enum TensorBoardPictures {
    /// Up to 32 images of `batch` in a grid of 8 columns; a doubled batch (originals, then their augmented copies)
    /// shows 16 originals over their 16 copies, column by column.
    static func batchGrid(_ batch: Batch, doubled: Bool) throws -> Image<UInt8> {
        let half = batch.count / 2
        let indices = doubled ? Array(0..<min(half, 16)) + (0..<min(half, 16)).map { half + $0 } : Array(0..<min(batch.count, 32))
        var grid = ImageGrid(columns: 8, spacing: 2)
        for i in indices { grid.add(try InputPicture.image(of: batch.images.slice(batch: i..<(i + 1)))) }
        return try grid.render()
    }

    /// The matrix as cells of `cell` pixels, each shaded by its share of its row.
    static func confusionMatrix(_ matrix: [[Int]], cell: Int = 48) throws -> Image<UInt8> {
        let n = matrix.count
        var pixels = [UInt8](repeating: 255, count: n * cell * n * cell * 3)
        for (r, row) in matrix.enumerated() {
            let total = max(row.reduce(0, +), 1)
            for (c, count) in row.enumerated() {
                let share = Double(count) / Double(total)
                let colour = [255 - 200 * share, 255 - 130 * share, 255 - 40 * share].map { UInt8($0.rounded()) }
                for y in (r * cell + 1)..<((r + 1) * cell - 1) {
                    for x in (c * cell + 1)..<((c + 1) * cell - 1) {
                        for k in 0..<3 { pixels[(y * n * cell + x) * 3 + k] = colour[k] }
                    }
                }
            }
        }
        return try Image(height: n * cell, width: n * cell, channels: 3, pixels: pixels)
    }
}
