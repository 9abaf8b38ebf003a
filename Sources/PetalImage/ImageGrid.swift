// A grid of images written as one picture: the tutorial's `plot_image` (RGB photos, their channels,
// masks and morphology results side by side) without matplotlib. Each cell is drawn into an RGB canvas
// with a colour map; cells are as large as the largest image, images centred, on a background colour.
import Foundation

/// How a cell's values become colours.
public enum ColourMap: Sendable, Equatable {
    /// RGB images as they are; single channels and masks in grey.
    case natural
    /// Value → grey (the first channel of a multi-channel image).
    case grey
    /// Value → shades of red (v, 0, 0): a red channel shown as red.
    case red
    /// Value → shades of green (0, v, 0).
    case green
    /// Value → shades of blue (0, 0, v).
    case blue
}

/// A grid of images rendered into one 8-bit RGB image or PNG file.
public struct ImageGrid: Sendable {
    /// Images per row.
    public let columns: Int
    /// Pixels between cells and around the grid.
    public let spacing: Int
    /// Background colour (R, G, B).
    public let background: (UInt8, UInt8, UInt8)
    private var cells: [Image<UInt8>] = []

    /// - Parameters:
    ///   - columns: images per row (≥ 1).
    ///   - spacing: gap between cells in pixels.
    ///   - background: colour of the gaps, white by default.
    public init(columns: Int, spacing: Int = 4, background: (UInt8, UInt8, UInt8) = (255, 255, 255)) {
        precondition(columns >= 1, "an image grid needs at least one column")
        self.columns = columns
        self.spacing = max(0, spacing)
        self.background = background
    }

    /// Number of cells added so far.
    public var count: Int { cells.count }

    /// Adds an 8-bit image (1 channel: grey; 3 or 4: RGB, alpha ignored) with a colour map.
    public mutating func add(_ image: Image<UInt8>, colourMap: ColourMap = .natural) {
        cells.append(Self.colourised(image, colourMap))
    }

    /// Adds a Float image with values in [0, 1] (clipped).
    public mutating func add(_ image: Image<Float>, colourMap: ColourMap = .natural) {
        cells.append(Self.colourised(image.toBytes(), colourMap))
    }

    /// Adds a mask: white where set, black elsewhere (or tinted by the colour map).
    public mutating func add(_ mask: Image<Bool>, colourMap: ColourMap = .natural) {
        cells.append(Self.colourised(mask.toBytes(), colourMap))
    }

    static func colourised(_ image: Image<UInt8>, _ map: ColourMap) -> Image<UInt8> {
        if map == .natural && image.channels >= 3 { return image.replicatedToRGB() }
        let v = image.channel(0)
        var out = [UInt8](repeating: 0, count: v.pixelCount * 3)
        for i in 0..<v.pixelCount {
            let x = v.pixels[i]
            switch map {
            case .natural, .grey: out[3 * i] = x; out[3 * i + 1] = x; out[3 * i + 2] = x
            case .red: out[3 * i] = x
            case .green: out[3 * i + 1] = x
            case .blue: out[3 * i + 2] = x
            }
        }
        return Image(unchecked: out, height: v.height, width: v.width, channels: 3)
    }

    /// The grid as one RGB image.
    /// - Throws: ``ImageError/invalidParameter(name:reason:)`` when the grid is empty.
    public func render() throws -> Image<UInt8> {
        guard !cells.isEmpty else { throw ImageError.invalidParameter(name: "ImageGrid", reason: "has no images to render") }
        let cellH = cells.map(\.height).max()!, cellW = cells.map(\.width).max()!
        let rows = (cells.count + columns - 1) / columns, cols = min(columns, cells.count)
        let h = rows * cellH + (rows + 1) * spacing, w = cols * cellW + (cols + 1) * spacing
        var canvas = [UInt8](repeating: 0, count: h * w * 3)
        for i in 0..<(h * w) { canvas[3 * i] = background.0; canvas[3 * i + 1] = background.1; canvas[3 * i + 2] = background.2 }
        for (k, cell) in cells.enumerated() {
            let top = spacing + (k / columns) * (cellH + spacing) + (cellH - cell.height) / 2
            let left = spacing + (k % columns) * (cellW + spacing) + (cellW - cell.width) / 2
            for y in 0..<cell.height {
                let d = ((top + y) * w + left) * 3
                canvas.replaceSubrange(d..<d + cell.width * 3, with: cell.pixels[y * cell.width * 3..<(y + 1) * cell.width * 3])
            }
        }
        return Image(unchecked: canvas, height: h, width: w, channels: 3)
    }

    /// Renders the grid and writes it as a PNG file.
    public func writePNG(to url: URL) throws {
        try render().write(to: url, format: .png)
    }
}
