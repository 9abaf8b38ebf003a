// Thresholds, footprints and morphology against scikit-image 0.26 (fixtures from Scripts/fixtures/image_fixtures.py).
import Foundation
import Testing
@testable import PetalImage

@Suite struct ThresholdTests {
    @Test func greyMatchesRgb2gray() throws {
        let grey = try Fixture.photo().toGrey()
        let g = Fixture["gray"]
        for s in g["samples"] as! [[Double]] {
            #expect(abs(Double(grey[Int(s[0]), Int(s[1])]) - s[2]) < 1e-6)
        }
        let mean = grey.pixels.reduce(0.0) { $0 + Double($1) } / Double(grey.pixelCount)
        #expect(abs(mean - (g["mean"] as! Double)) < 1e-6)
    }

    @Test func otsuMatchesScikitImage() throws {
        let photo = try Fixture.photo()
        let o = Fixture["otsu"]
        #expect(Int(photo.otsuThreshold(channel: 0)) == o["red_uint8"] as! Int)
        #expect(Int(photo.otsuThreshold(channel: 1)) == o["green_uint8"] as! Int)
        // rgb2gray in Float32 here, float64 in scikit-image: the threshold may move by at most one bin.
        let grey = photo.toGrey()
        let t = grey.otsuThreshold()
        #expect(abs(Double(t) - (o["gray"] as! Double)) <= (o["gray_bin_width"] as! Double) * 1.001)
        let count = grey.thresholded(above: t).trueCount
        #expect(abs(count - (o["gray_mask_true"] as! Int)) < 200, "mask size \(count)")
    }

    @Test func fixedThresholdIsStrict() throws {
        let img = try Image<UInt8>(height: 1, width: 4, channels: 1, pixels: [124, 125, 126, 255])
        #expect(img.thresholded(above: 125).pixels == [false, false, true, true])
        let constant = Image<UInt8>(height: 3, width: 3, channels: 1, repeating: 7)
        #expect(constant.otsuThreshold() == 7)
    }
}

@Suite struct FootprintTests {
    @Test func footprintsEqualScikitImage() throws {
        let f = Fixture["footprints"]
        for (r, rows) in f["disk"] as! [String: Any] { #expect(Footprint.disk(Int(r)!).rows == Fixture.footprintRows(rows), "disk(\(r))") }
        for (r, rows) in f["diamond"] as! [String: Any] { #expect(Footprint.diamond(Int(r)!).rows == Fixture.footprintRows(rows), "diamond(\(r))") }
        for (n, rows) in f["square"] as! [String: Any] { #expect(Footprint.square(Int(n)!).rows == Fixture.footprintRows(rows), "square(\(n))") }
    }

    @Test func runsCoverTheFootprint() {
        let runs = Footprint.disk(3).runs(centreY: 3, centreX: 3, mirrored: false)
        #expect(runs.map(\.length) == [1, 5, 5, 7, 5, 5, 1])
        #expect(runs[3] == MorphologyRun(dy: 0, dx: -3, length: 7))
    }
}

@Suite struct MorphologyTests {
    static let d3 = Footprint.disk(3)

    @Test func redChannelMaskMatchesFixture() throws {
        let m = Fixture["morphology"]
        let mask = try Fixture.photo().thresholded(above: UInt8(m["threshold"] as! Int), channel: 0)
        #expect(mismatches(mask, Fixture.mask(m["mask"]!)) == 0)
    }

    @Test(arguments: MorphologyOperation.allCases)
    func binaryWithDisk3OnPhoto(operation: MorphologyOperation) throws {
        let m = Fixture["morphology"]
        let mask = Fixture.mask(m["mask"]!)
        let expected = Fixture.mask(m["binary_\(operation.rawValue)"]!)
        let got = mask.morphology(operation, footprint: Self.d3)
        #expect(mismatches(got, expected) == 0, "\(operation): \(mismatches(got, expected)) pixels differ")
        #expect(got != mask, "\(operation) must change this mask")
    }

    @Test(arguments: MorphologyOperation.allCases)
    func greyWithDisk3OnRedChannel(operation: MorphologyOperation) throws {
        let red = try Fixture.photo().channel(0)
        let m = Fixture["morphology"]
        expectMatches(red.morphology(operation, footprint: Self.d3), m["grey_\(operation.rawValue)"]!, "grey \(operation)")
        expectMatches(red.morphology(operation, footprint: Self.d3, border: .ignore), m["grey_\(operation.rawValue)_ignore"]!, "grey \(operation), ignore")
        // Float images take the same path with Float buffers: integer-valued floats give the same result.
        let f = red.mapPixels { Float($0) }.morphology(operation, footprint: Self.d3)
        expectMatches(f.mapPixels { UInt8($0) }, m["grey_\(operation.rawValue)"]!, "float grey \(operation)")
    }

    @Test(arguments: ["asym", "even", "odd_asym"])
    func asymmetricFootprintsPinCentreAndMirroring(name: String) throws {
        let small = Fixture["morphology"]["small"] as! [String: Any]
        let mask = Fixture.mask(small["mask"]!)
        let grey = try Image<UInt8>(height: 20, width: 24, channels: 1, pixels: (small["grey"] as! [Int]).map(UInt8.init))
        let c = (small["cases"] as! [String: Any])[name] as! [String: Any]
        let fp = try Footprint(rows: Fixture.footprintRows(c["footprint"]!))
        for op in MorphologyOperation.allCases {
            #expect(mismatches(mask.morphology(op, footprint: fp), Fixture.mask(c["binary_\(op.rawValue)"]!)) == 0, "binary \(op) with \(name)")
            #expect(grey.morphology(op, footprint: fp).pixels == (c["grey_\(op.rawValue)"] as! [Int]).map(UInt8.init), "grey \(op) with \(name)")
            #expect(mismatches(mask.morphology(op, footprint: fp, border: .reflect), Fixture.mask(c["bool_\(op.rawValue)"]!)) == 0,
                    "skimage.morphology.\(op.rawValue) on bool with \(name)")
        }
    }

    @Test func greyBorderModesMatchScikitImage() throws {
        let small = Fixture["morphology"]["small"] as! [String: Any]
        let grey = try Image<UInt8>(height: 20, width: 24, channels: 1, pixels: (small["grey"] as! [Int]).map(UInt8.init))
        let fp = try Footprint(rows: Fixture.footprintRows(((small["cases"] as! [String: Any])["asym"] as! [String: Any])["footprint"]!))
        let cval = Float(small["grey_modes_cval"] as! Int)
        let modes = small["grey_modes"] as! [String: [Int]]
        for (name, border) in [("nearest", GreyBorder.nearest), ("mirror", .mirror), ("wrap", .wrap), ("constant", .constant(cval))] {
            for op in [MorphologyOperation.erosion, .dilation] {
                #expect(grey.morphology(op, footprint: fp, border: border).pixels == modes["\(op.rawValue)_\(name)"]!.map(UInt8.init), "\(op) \(name)")
            }
        }
    }

    @Test func longRunsUseVanHerkAndAgreeWithBruteForce() throws {
        // A 1 × 25 line and a 19 × 19 square exercise the van Herk / Gil–Werman path (runs longer than 16).
        var img = Image<UInt8>(height: 16, width: 37)
        for i in 0..<img.pixels.count { img.pixels[i] = UInt8((i * 7919) % 251) }
        for fp in [try Footprint(rows: [Array(repeating: true, count: 25)]), Footprint.square(19)] {
            for border in [GreyBorder.reflect, .mirror, .nearest, .wrap, .constant(100), .ignore] {
                for isMin in [true, false] {
                    let got = img.morphology(isMin ? .erosion : .dilation, footprint: fp, border: border)
                    #expect(got == bruteForce(img, fp, isMin: isMin, border: border), "\(fp.height)×\(fp.width) \(border) \(isMin ? "min" : "max")")
                }
            }
        }
    }

    @Test func multiChannelIsPerChannel() throws {
        let photo = try Fixture.photo()
        let eroded = photo.morphology(.erosion, footprint: .square(3))
        for c in 0..<3 { #expect(eroded.channel(c) == photo.channel(c).morphology(.erosion, footprint: .square(3))) }
    }
}

/// The definition, one footprint scan per pixel: the oracle for the run-based kernel.
func bruteForce(_ img: Image<UInt8>, _ fp: Footprint, isMin: Bool, border: GreyBorder) -> Image<UInt8> {
    var out = img
    let cy = (fp.height - 1) / 2, cx = (fp.width - 1) / 2
    let rule: PadRule<UInt8>
    switch border {
    case .reflect: rule = .reflect
    case .mirror: rule = .mirror
    case .nearest: rule = .nearest
    case .wrap: rule = .wrap
    case .constant(let v): rule = .constant(UInt8(v))
    case .ignore: rule = .constant(isMin ? 255 : 0)
    }
    for y in 0..<img.height {
        for x in 0..<img.width {
            var acc: UInt8 = isMin ? 255 : 0
            for i in 0..<fp.height {
                for j in 0..<fp.width where fp[i, j] {
                    let v: UInt8
                    if let sy = rule.sourceIndex(y + i - cy, img.height), let sx = rule.sourceIndex(x + j - cx, img.width) {
                        v = img[sy, sx]
                    } else if case .constant(let c) = rule { v = c } else { fatalError() }
                    acc = isMin ? min(acc, v) : max(acc, v)
                }
            }
            out[y, x] = acc
        }
    }
    return out
}

@Suite struct PackedBinaryMorphologyTests {
    /// The definition for masks: erosion ANDs in[p + k − c], dilation ORs in[p − (k − c)], c = size / 2.
    static func bruteForce(_ m: Image<Bool>, _ fp: Footprint, erosion: Bool, outside: Bool) -> Image<Bool> {
        var out = m
        let cy = fp.height / 2, cx = fp.width / 2
        for y in 0..<m.height {
            for x in 0..<m.width {
                var acc = erosion
                for i in 0..<fp.height {
                    for j in 0..<fp.width where fp[i, j] {
                        let yy = erosion ? y + i - cy : y - (i - cy), xx = erosion ? x + j - cx : x - (j - cx)
                        let v = yy >= 0 && yy < m.height && xx >= 0 && xx < m.width ? m[yy, xx] : outside
                        acc = erosion ? acc && v : acc || v
                    }
                }
                out[y, x] = acc
            }
        }
        return out
    }

    @Test func wideFootprintsOddWidthsAndEveryBorderMode() throws {
        // Widths around word boundaries, a footprint wider than one 64-bit word, and an asymmetric one.
        var g = SeededGenerator(seed: 11)
        let line = try Footprint(rows: [Array(repeating: true, count: 70)])
        let asym = try Footprint(rows: [[true, false, false, true], [false, true, true, true]])
        for (h, w) in [(9, 63), (7, 64), (8, 129)] {
            var m = Image<Bool>(height: h, width: w)
            for i in 0..<m.pixels.count { m.pixels[i] = g.nextUnit() < 0.7 }
            for fp in [line, asym, Footprint.disk(2)] {
                for border in [BinaryBorder.ignore, .max, .min] {
                    let eIn = border != .min, dIn = border == .max
                    let e = Self.bruteForce(m, fp, erosion: true, outside: eIn)
                    let d = Self.bruteForce(m, fp, erosion: false, outside: dIn)
                    #expect(m.morphology(.erosion, footprint: fp, border: border) == e, "erosion \(h)×\(w) \(fp.width) \(border)")
                    #expect(m.morphology(.dilation, footprint: fp, border: border) == d, "dilation \(h)×\(w) \(fp.width) \(border)")
                    #expect(m.morphology(.opening, footprint: fp, border: border) == Self.bruteForce(e, fp, erosion: false, outside: dIn))
                    #expect(m.morphology(.closing, footprint: fp, border: border) == Self.bruteForce(d, fp, erosion: true, outside: eIn))
                }
            }
        }
    }
}
