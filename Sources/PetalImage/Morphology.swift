// Erosion, dilation, opening and closing with scikit-image 0.26's conventions (`skimage.morphology`):
// - Binary (`binary_erosion` …): the footprint is padded to odd size at its end; erosion uses
//   offsets k − c, dilation the mirrored footprint (c − k), as scipy.ndimage's binary operators do.
//   Border mode 'ignore' (default): outside is true for erosion and false for dilation.
// - Grey (`erosion` …): padded at the front; erosion and dilation both use offsets k − c (skimage mirrors
//   once more before scipy's grey_dilation mirrors), opening/closing use the mirrored footprint for their
//   second step. Border mode 'reflect' by default (scipy's reflect, i.e. numpy's 'symmetric').
// Multi-channel images are processed channel by channel. Both kernels decompose the footprint into
// horizontal runs (van Herk / Gil–Werman style line extrema, see MorphologyKernel.swift); masks run
// bit-packed, 64 pixels per word (BinaryMorphologyKernel.swift), 8-bit and Float images on bytes/floats.

/// The four basic morphology operations.
public enum MorphologyOperation: String, Sendable, CaseIterable {
    case erosion, dilation, opening, closing
}

/// Border handling for binary morphology (scikit-image's `mode` for `binary_*`).
public enum BinaryBorder: Sendable, Equatable {
    /// Pixels outside never change the result: true for erosion, false for dilation (the default).
    case ignore
    /// Outside pixels are true.
    case max
    /// Outside pixels are false.
    case min
}

/// Border handling for grey morphology (scikit-image's `mode` for `erosion` …).
public enum GreyBorder: Sendable, Equatable {
    /// Reflection about the edge, repeating the edge pixel (d c b a | a b c d): scikit-image's default.
    case reflect
    /// Reflection about the edge pixel (d c b | a b c d).
    case mirror
    /// Edge pixel repeated.
    case nearest
    /// Periodic.
    case wrap
    /// A constant value outside.
    case constant(Float)
    /// Outside pixels never change the result (the dtype's max for erosion, min for dilation).
    case ignore
}

extension Image where Pixel == Bool {
    /// Binary morphology, equal to scikit-image's `binary_erosion`, `binary_dilation`, `binary_opening`, `binary_closing`.
    /// - Parameters:
    ///   - operation: erosion, dilation, opening or closing.
    ///   - footprint: the structuring element, e.g. `.disk(3)`.
    ///   - border: how pixels outside the image count (`.ignore` by default).
    public func morphology(_ operation: MorphologyOperation, footprint: Footprint, border: BinaryBorder = .ignore) -> Image<Bool> {
        let cy = footprint.height / 2, cx = footprint.width / 2
        let erosionRuns = footprint.runs(centreY: cy, centreX: cx, mirrored: false)
        let dilationRuns = footprint.runs(centreY: cy, centreX: cx, mirrored: true)
        let reach = max(footprint.width, 1)
        let margin = (reach + 63) / 64
        let erosionBorder = border != .min, dilationBorder = border == .max
        // Bool is one byte holding 0 or 1, so the mask's memory is read and written as bytes.
        return mapPlanes { src, dst in
            src.withMemoryRebound(to: UInt8.self) { s in
                dst.withMemoryRebound(to: UInt8.self) { d in
                    var packed = PackedMask(bytes: s.baseAddress!, height: height, width: width, margin: margin)
                    func erode() { packed = packed.filtered(runs: erosionRuns, isAnd: true, border: erosionBorder) }
                    func dilate() { packed = packed.filtered(runs: dilationRuns, isAnd: false, border: dilationBorder) }
                    switch operation {
                    case .erosion: erode()
                    case .dilation: dilate()
                    case .opening: erode(); dilate()
                    case .closing: dilate(); erode()
                    }
                    packed.unpack(into: d.baseAddress!)
                }
            }
        }
    }

    /// Mask morphology with scikit-image 0.26's non-deprecated functions (`erosion`, `dilation`, `opening`,
    /// `closing` on a bool array): grey conventions for footprint centre and mirroring, and a grey border mode
    /// (`.reflect` is their default). For symmetric odd footprints away from the border, this equals the
    /// binary overload; it differs for asymmetric or even-sized footprints and at the image edge.
    /// - Parameters:
    ///   - operation: erosion, dilation, opening or closing.
    ///   - footprint: the structuring element.
    ///   - border: a grey border rule; a constant counts as true when non-zero.
    public func morphology(_ operation: MorphologyOperation, footprint: Footprint, border: GreyBorder) -> Image<Bool> {
        let bytes = Image<UInt8>(unchecked: pixels.map { $0 ? 1 : 0 }, height: height, width: width, channels: channels)
        let mapped: GreyBorder
        if case .constant(let v) = border { mapped = .constant(v != 0 ? 1 : 0) } else { mapped = border }
        return bytes.morphology(operation, footprint: footprint, border: mapped).toMask()
    }

    /// Binary erosion (scikit-image's `binary_erosion`).
    public func eroded(by footprint: Footprint, border: BinaryBorder = .ignore) -> Image<Bool> { morphology(.erosion, footprint: footprint, border: border) }
    /// Binary dilation (scikit-image's `binary_dilation`).
    public func dilated(by footprint: Footprint, border: BinaryBorder = .ignore) -> Image<Bool> { morphology(.dilation, footprint: footprint, border: border) }
    /// Binary opening: erosion then dilation (scikit-image's `binary_opening`).
    public func opened(by footprint: Footprint, border: BinaryBorder = .ignore) -> Image<Bool> { morphology(.opening, footprint: footprint, border: border) }
    /// Binary closing: dilation then erosion (scikit-image's `binary_closing`).
    public func closed(by footprint: Footprint, border: BinaryBorder = .ignore) -> Image<Bool> { morphology(.closing, footprint: footprint, border: border) }

}

/// Runs for a grey operation: the footprint centre is (n − 1) / 2 (padding at the front for even sizes).
private func greyRuns(_ footprint: Footprint, mirrored: Bool) -> [MorphologyRun] {
    footprint.runs(centreY: (footprint.height - 1) / 2, centreX: (footprint.width - 1) / 2, mirrored: mirrored)
}

private func padRule<T>(_ border: GreyBorder, isMin: Bool, lowest: T, highest: T, convert: (Float) -> T) -> PadRule<T> {
    switch border {
    case .reflect: return .reflect
    case .mirror: return .mirror
    case .nearest: return .nearest
    case .wrap: return .wrap
    case .constant(let v): return .constant(convert(v))
    case .ignore: return .constant(isMin ? highest : lowest)
    }
}

extension Image where Pixel == UInt8 {
    /// Grey morphology, equal to scikit-image's `erosion`, `dilation`, `opening`, `closing` on uint8 arrays
    /// (channel by channel for colour images).
    /// - Parameters:
    ///   - operation: erosion, dilation, opening or closing.
    ///   - footprint: the structuring element.
    ///   - border: `.reflect` by default, as in scikit-image; constants are clipped to 0…255.
    public func morphology(_ operation: MorphologyOperation, footprint: Footprint, border: GreyBorder = .reflect) -> Image<UInt8> {
        func filter(_ img: Image<UInt8>, mirrored: Bool, isMin: Bool) -> Image<UInt8> {
            let runs = greyRuns(footprint, mirrored: mirrored)
            let pad: PadRule<UInt8> = padRule(border, isMin: isMin, lowest: 0, highest: 255) { UInt8(Swift.min(Swift.max($0.rounded(), 0), 255)) }
            return img.mapPlanes { src, dst in runFilter(src.baseAddress!, height: img.height, width: img.width, runs: runs, isMin: isMin, pad: pad, into: dst.baseAddress!) }
        }
        switch operation {
        case .erosion: return filter(self, mirrored: false, isMin: true)
        case .dilation: return filter(self, mirrored: false, isMin: false)
        case .opening: return filter(filter(self, mirrored: false, isMin: true), mirrored: true, isMin: false)
        case .closing: return filter(filter(self, mirrored: false, isMin: false), mirrored: true, isMin: true)
        }
    }
}

extension Image where Pixel == Float {
    /// Grey morphology on Float images, equal to scikit-image's `erosion` … on float arrays.
    /// - Parameters:
    ///   - operation: erosion, dilation, opening or closing.
    ///   - footprint: the structuring element.
    ///   - border: `.reflect` by default; `.ignore` pads with ±infinity.
    public func morphology(_ operation: MorphologyOperation, footprint: Footprint, border: GreyBorder = .reflect) -> Image<Float> {
        func filter(_ img: Image<Float>, mirrored: Bool, isMin: Bool) -> Image<Float> {
            let runs = greyRuns(footprint, mirrored: mirrored)
            let pad: PadRule<Float> = padRule(border, isMin: isMin, lowest: -.infinity, highest: .infinity) { $0 }
            return img.mapPlanes { src, dst in runFilter(src.baseAddress!, height: img.height, width: img.width, runs: runs, isMin: isMin, pad: pad, into: dst.baseAddress!) }
        }
        switch operation {
        case .erosion: return filter(self, mirrored: false, isMin: true)
        case .dilation: return filter(self, mirrored: false, isMin: false)
        case .opening: return filter(filter(self, mirrored: false, isMin: true), mirrored: true, isMin: false)
        case .closing: return filter(filter(self, mirrored: false, isMin: false), mirrored: true, isMin: true)
        }
    }
}

extension Image {
    /// Applies a plane-to-plane kernel to every channel.
    func mapPlanes(_ body: (UnsafeBufferPointer<Pixel>, UnsafeMutableBufferPointer<Pixel>) -> Void) -> Image<Pixel> {
        let planes = channels == 1 ? [self] : splitChannels()
        let results = planes.map { plane in
            let out = [Pixel](unsafeUninitializedCapacity: pixelCount) { d, count in
                plane.pixels.withUnsafeBufferPointer { s in body(s, d) }
                count = pixelCount
            }
            return Image(unchecked: out, height: height, width: width, channels: 1)
        }
        return channels == 1 ? results[0] : try! Image.merging(results)
    }
}
