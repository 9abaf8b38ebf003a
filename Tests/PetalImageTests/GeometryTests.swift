// Normalisation, flips, crops, resize, AffineTransform2D and warp against scikit-image 0.26 / numpy.
import Foundation
import Testing
@testable import PetalImage

@Suite struct NormalisationTests {
    func check(_ img: Image<Float>, _ entryAny: Any, _ label: String) {
        let entry = entryAny as! [String: Any]
        for s in entry["samples"] as! [[Double]] {
            for c in 0..<3 {
                #expect(abs(Double(img[Int(s[0]), Int(s[1]), c]) - s[2 + c]) < 1e-5, "\(label) at \(s[0]),\(s[1]),\(c)")
            }
        }
        let n = Double(img.pixels.count)
        let mean = img.pixels.reduce(0.0) { $0 + Double($1) } / n
        let std = (img.pixels.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
        #expect(abs(mean - (entry["mean"] as! Double)) < 1e-5, "\(label) mean")
        #expect(abs(std - (entry["std"] as! Double)) < 1e-5, "\(label) std")
    }

    @Test func matchesNumpy() throws {
        let photo = try Fixture.photo()
        let n = Fixture["normalisation"]
        check(photo.normalised(.minMax), n["minmax"]!, "min–max")
        check(photo.normalised(.percentile5to95), n["percentile"]!, "p5–p95")
        check(photo.normalised(.minMax, per: .channel), n["minmax_per_channel"]!, "min–max per channel")
        check(photo.normalised(.percentile5to95, per: .channel), n["percentile_per_channel"]!, "p5–p95 per channel")
        let f = photo
        #expect(abs(f.percentile(5) - ((n["percentile"] as! [String: Any])["p5"] as! Double)) < 1e-9)
        #expect(abs(f.percentile(95) - ((n["percentile"] as! [String: Any])["p95"] as! Double)) < 1e-9)
        let perChannel = n["percentile_per_channel"] as! [String: Any]
        for c in 0..<3 {
            #expect(abs(f.percentile(95, channel: c) - (perChannel["p95"] as! [Double])[c]) < 1e-9)
        }
        let clipped = photo.normalised(.percentile5to95)
        #expect(clipped.pixels.min() == 0 && clipped.pixels.max() == 1)
        #expect(photo.normalisedBy255().pixels[0] == Float(photo.pixels[0]) / 255)
        // The Float path (sorting) agrees with the 8-bit path (histogram).
        let small = try photo.cropped(y: 0, x: 0, height: 40, width: 50)
        let viaFloat = small.mapPixels { Float($0) }.normalised(.percentile(low: 3, high: 97.5), per: .channel)
        #expect(maxAbsDifference(viaFloat, small.normalised(.percentile(low: 3, high: 97.5), per: .channel)) < 1e-6)
    }

    @Test func constantImageDoesNotDivideByZero() {
        let flat = Image<Float>(height: 2, width: 2, channels: 1, repeating: 0.3)
        #expect(flat.normalised(.minMax).pixels == [0, 0, 0, 0])
    }

    @Test func byteConversionsRoundAndClip() throws {
        let f = try Image<Float>(height: 1, width: 5, channels: 1, pixels: [-0.2, 0.5 / 255, 1.5 / 255, 0.5, 1.7])
        #expect(f.toBytes().pixels == [0, 0, 2, 128, 255])   // rint: 0.5 → 0, 1.5 → 2, 127.5 → 128
        let b = try Image<UInt8>(height: 1, width: 3, channels: 1, pixels: [0, 128, 255])
        #expect(b.toFloat().toBytes() == b)
        #expect(b.toMask().toBytes().pixels == [0, 255, 255])
    }
}

@Suite struct FlipCropTests {
    let img = try! Image<UInt8>(height: 2, width: 3, channels: 2, pixels: Array(0..<12))

    @Test func flips() {
        #expect(img.flippedHorizontally().pixels == [4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7])
        #expect(img.flippedVertically().pixels == [6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5])
        #expect(img.flippedHorizontally().flippedHorizontally() == img)
    }

    @Test func crops() throws {
        #expect(try img.cropped(y: 1, x: 1, height: 1, width: 2).pixels == [8, 9, 10, 11])
        #expect(try img.centreCropped(height: 2, width: 1).pixels == [2, 3, 8, 9])
        #expect(throws: ImageError.self) { try img.cropped(y: 1, x: 0, height: 2, width: 1) }
        #expect(throws: ImageError.self) { try img.centreCropped(height: 3, width: 3) }
        let photo = try Fixture.photo()
        let centre = try photo.centreCropped(height: 100, width: 100)
        #expect(centre[0, 0, 0] == photo[70, 110, 0] && centre[99, 99, 2] == photo[169, 209, 2])
    }
}

@Suite struct AffineAndWarpTests {
    static func affine(_ entry: Any) -> AffineTransform2D {
        let e = entry as! [String: Any]
        let scale = e["scale"] as! [Double], shear = e["shear"] as! [Double], t = e["translation"] as! [Double]
        return AffineTransform2D(scaleX: scale[0], scaleY: scale[1], rotation: e["rotation"] as! Double,
                               shearX: shear[0], shearY: shear[1], translationX: t[0], translationY: t[1])
    }

    static func expectClose(_ t: AffineTransform2D, _ rows: Any, _ label: String) {
        let r = rows as! [[Double]]
        for i in 0..<3 { for j in 0..<3 { #expect(abs(t.matrix[i][j] - r[i][j]) < 1e-12, "\(label)[\(i)][\(j)]: \(t.matrix[i][j]) vs \(r[i][j])") } }
    }

    @Test func parametersInverseAndComposition() throws {
        let f = Fixture["affine"]
        let a = Self.affine(f["A"]!), b = Self.affine(f["B"]!)
        Self.expectClose(a, (f["A"] as! [String: Any])["matrix"]!, "A")
        Self.expectClose(b, (f["B"] as! [String: Any])["matrix"]!, "B")
        Self.expectClose(a.inverse, f["A_inverse"]!, "A.inverse")
        Self.expectClose(a + b, f["A_plus_B"]!, "A + B")
        let p = (a + b).apply(x: 5, y: 7), q = f["A_plus_B_apply"] as! [Double]
        #expect(abs(p.x - q[0]) < 1e-12 && abs(p.y - q[1]) < 1e-12)
        Self.expectClose(a + a.inverse, [[1.0, 0, 0], [0, 1, 0], [0, 0, 1]], "A + A.inverse")
    }

    @Test func tutorialWarpsMatchScikitImage() throws {
        let w = Fixture["warp"]
        let photoCrop = try Fixture.photo().cropped(y: 60, x: 120, height: 64, width: 64).toFloat()
        let ops: [String: AffineTransform2D] = [
            "rotate45": AffineTransform2D(rotation: .pi / 4).aboutCentre(height: 64, width: 64),
            "zoom2": AffineTransform2D(scale: 2).aboutCentre(height: 64, width: 64),
            "zoom0.5": AffineTransform2D(scale: 0.5).aboutCentre(height: 64, width: 64),
            "translate50": .translation(x: 50, y: 50),
            "shear45": AffineTransform2D(shearX: .pi / 4).aboutCentre(height: 64, width: 64),
        ]
        var seen = 0
        for case let c as [String: Any] in w["cases"] as! [Any] {
            guard let op = ops[c["name"] as! String] else { continue }
            seen += 1
            Self.expectClose(op, c["forward_matrix"]!, c["name"] as! String)
            let expected = Fixture.warpImage(c)
            let got = photoCrop.warped(by: op)
            let err = maxAbsDifference(got, expected)
            #expect(err < 1e-4, "\(c["name"]!): max error \(err)")
        }
        #expect(seen == 5)
    }

    /// The tutorial's own pictures: its matrices about its centre (shape[0]/2, shape[1]/2 as x, y) given to
    /// `tf.warp` as the inverse map, on a non-square crop; `AffineTransform2D.tutorialCases` rebuilds the same.
    @Test func theTutorialsAffinePicturesMatchItsCode() throws {
        let url = Fixture.url("image_tutorial_warps.json")
        let fixture = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let crop = try Fixture.photo().cropped(y: 60, x: 120, height: 64, width: 48).toFloat()
        let ours = Dictionary(uniqueKeysWithValues: AffineTransform2D.tutorialCases(height: 64, width: 48).map { ($0.name, $0.inverseMap) })
        var seen = 0
        for case let c as [String: Any] in fixture["cases"] as! [Any] {
            let name = c["name"] as! String
            let map = try #require(ours[name], "no tutorial case named \(name)")
            Self.expectClose(map, c["inverse_matrix"]!, name)
            let err = maxAbsDifference(crop.warped(inverseMap: map), Fixture.warpImage(c))
            #expect(err < 1e-4, "\(name): max error \(err)")
            seen += 1
        }
        #expect(seen == 5 && ours.count == 5)
    }

    @Test func everyBorderModeAndOrderMatchesScikitImage() throws {
        let w = Fixture["warp"]
        let mi = w["modes_input"] as! [String: Any]
        let input = Fixture.warpImage(mi)
        let inverse = try AffineTransform2D(rows: mi["inverse_matrix"] as! [[Double]])
        var seen = 0
        for case let c as [String: Any] in w["cases"] as! [Any] {
            guard let mode = c["mode"] as? String else { continue }
            seen += 1
            let border: WarpBorder = ["constant": .constant(Float(c["cval"] as! Double)), "edge": .edge, "symmetric": .symmetric,
                                      "reflect": .reflect, "wrap": .wrap][mode]!
            let shape = c["shape"] as! [Int]
            let got = input.warped(inverseMap: inverse, outputHeight: shape[0], outputWidth: shape[1],
                                   interpolation: c["order"] as! Int == 0 ? .nearest : .bilinear, border: border)
            let err = maxAbsDifference(got, Fixture.warpImage(c))
            #expect(err < 1e-4, "\(c["name"]!): max error \(err)")
        }
        #expect(seen == 10)
    }

    @Test func planarDestinationHoldsTheSameValues() throws {
        let crop = try Fixture.photo().cropped(y: 0, x: 0, height: 40, width: 50).toFloat()
        let t = AffineTransform2D(rotation: 0.4, shearX: 0.1).aboutCentre(height: 40, width: 50)
        let hwc = crop.warped(by: t, outputHeight: 30, outputWidth: 35, border: .wrap)
        var chw = [Float](repeating: -1, count: 30 * 35 * 3)
        chw.withUnsafeMutableBufferPointer { crop.warp(inverseMap: t.inverse, into: $0, outputHeight: 30, outputWidth: 35, layout: .planar, border: .wrap) }
        for c in 0..<3 { for y in 0..<30 { for x in 0..<35 { #expect(chw[(c * 30 + y) * 35 + x] == hwc[y, x, c]) } } }
    }

    @Test func resizeMatchesScikitImage() throws {
        let photoCrop = try Fixture.photo().cropped(y: 60, x: 120, height: 64, width: 64).toFloat()
        for case let c as [String: Any] in Fixture["warp"]["cases"] as! [Any] {
            let name = c["name"] as! String, shape = c["shape"] as! [Int]
            let method: ResizeMethod
            switch name {
            case "resize_down", "resize_up": method = .bilinear
            case "area_4x2": method = .area
            default: continue
            }
            let got = photoCrop.resized(height: shape[0], width: shape[1], method: method)
            let err = maxAbsDifference(got, Fixture.warpImage(c))
            #expect(err < 1e-4, "\(name): max error \(err)")
        }
    }
}

@Suite struct KerasTransformTests {
    @Test func matchesKerasApplyAffineTransform() throws {
        let photoCrop = try Fixture.photo().cropped(y: 60, x: 120, height: 64, width: 64).toFloat()
        let cases = Fixture.json["keras"] as! [[String: Any]]
        #expect(cases.count == 4)
        for c in cases {
            let p = c["params"] as! [String: Double]
            let params = KerasTransformParameters(rotationDegrees: p["theta"]!, rowShift: p["tx"]!, columnShift: p["ty"]!,
                                                  shearDegrees: p["shear"]!, rowZoom: p["zx"]!, columnZoom: p["zy"]!)
            let t = AffineTransform2D.keras(params, height: 64, width: 64)
            let rc = c["matrix_rc"] as! [[Double]]
            // Same matrix with rows and columns swapped.
            for (got, want) in [(t.a0, rc[1][1]), (t.a1, rc[1][0]), (t.a2, rc[1][2]), (t.b0, rc[0][1]), (t.b1, rc[0][0]), (t.b2, rc[0][2])] {
                #expect(abs(got - want) < 1e-12)
            }
            let cval = Float(c["cval"] as! Double)
            let border: WarpBorder = ["nearest": .edge, "reflect": .symmetric, "constant": .constantOutside(cval)][c["fill_mode"] as! String]!
            let interpolation: Interpolation = c["order"] as! Int == 0 ? .nearest : .bilinear
            let err = maxAbsDifference(photoCrop.warped(inverseMap: t, interpolation: interpolation, border: border), Fixture.warpImage(c))
            #expect(err < 1e-4, "\(p) \(c["fill_mode"]!) order \(c["order"]!): max error \(err)")
        }
    }
}

@Suite struct AugmentationPolicyTests {
    @Test func flipsHappenAfterTheAffinePart() throws {
        let img = try Fixture.photo().cropped(y: 20, x: 30, height: 40, width: 52).toFloat()
        var p = KerasTransformParameters(rotationDegrees: 17, rowShift: 3, columnShift: -5, shearDegrees: 8, rowZoom: 1.1, columnZoom: 0.95)
        let plain = img.warped(inverseMap: .keras(p, height: 40, width: 52), border: .edge)
        p.flipHorizontal = true
        #expect(maxAbsDifference(img.warped(inverseMap: .keras(p, height: 40, width: 52), border: .edge), plain.flippedHorizontally()) < 1e-5)
        p.flipVertical = true
        #expect(maxAbsDifference(img.warped(inverseMap: .keras(p, height: 40, width: 52), border: .edge),
                                 plain.flippedHorizontally().flippedVertically()) < 1e-5)
    }

    @Test func samplingIsSeededAndStaysInRange() {
        let aug = AugmentationPolicy(rotationRange: 20, widthShiftRange: 0.1, heightShiftRange: 6, zoomRange: 0.8...1.2,
                                     shearRange: 10, horizontalFlip: true, brightnessRange: 0.7...1.3)
        var g1 = SeededGenerator(seed: 5), g2 = SeededGenerator(seed: 5)
        var flips = 0
        for _ in 0..<2000 {
            let p = aug.sample(height: 100, width: 120, using: &g1)
            #expect(p == aug.sample(height: 100, width: 120, using: &g2))
            #expect(abs(p.rotationDegrees) <= 20 && abs(p.columnShift) <= 12 && abs(p.rowShift) <= 6 && abs(p.shearDegrees) <= 10)
            #expect((0.8...1.2).contains(p.rowZoom) && (0.8...1.2).contains(p.columnZoom) && (0.7...1.3).contains(p.brightness))
            #expect(!p.flipVertical)
            if p.flipHorizontal { flips += 1 }
        }
        #expect(abs(flips - 1000) < 120, "\(flips) horizontal flips in 2000 draws")
        var g3 = SeededGenerator(seed: 5)
        #expect(AugmentationPolicy().sample(height: 10, width: 10, using: &g3) == KerasTransformParameters())
    }
}

@Suite struct WarpConvenienceTests {
    @Test func flipsAsTransformsEqualFlips() throws {
        let img = try Fixture.photo().cropped(y: 10, x: 20, height: 31, width: 47).toFloat()
        #expect(img.warped(by: .horizontalFlip(width: 47)) == img.flippedHorizontally())
        #expect(img.warped(by: .verticalFlip(height: 31), interpolation: .nearest) == img.flippedVertically())
        let both = AffineTransform2D.horizontalFlip(width: 47) + .verticalFlip(height: 31)
        #expect(img.warped(by: both) == img.flippedHorizontally().flippedVertically())
    }

    @Test func byteSourceWarpsStraightIntoFloats() throws {
        let bytes = try Fixture.photo().cropped(y: 30, x: 40, height: 50, width: 60)
        let t = AffineTransform2D.keras(KerasTransformParameters(rotationDegrees: 30, rowShift: 4, shearDegrees: 10, rowZoom: 0.9), height: 50, width: 60)
        for border in [WarpBorder.constant(0.25), .edge, .symmetric, .reflect, .wrap, .constantOutside(0.4)] {
            for interpolation in [Interpolation.bilinear, .nearest] {
                let viaFloat = bytes.toFloat().warped(inverseMap: t, outputHeight: 40, outputWidth: 45, interpolation: interpolation, border: border)
                var direct = [Float](repeating: -1, count: 40 * 45 * 3)
                direct.withUnsafeMutableBufferPointer {
                    bytes.warp(inverseMap: t, into: $0, outputHeight: 40, outputWidth: 45, interpolation: interpolation, border: border)
                }
                let got = try Image<Float>(height: 40, width: 45, channels: 3, pixels: direct)
                #expect(maxAbsDifference(got, viaFloat) < 1e-6, "\(border) \(interpolation)")
            }
        }
    }
}

/// The warp's naive twin: every pixel through the exact border rule, coordinates in Double.
func naiveWarp(_ img: Image<Float>, inverse m: AffineTransform2D, height: Int, width: Int, bilinear: Bool, border: WarpBorder) -> Image<Float> {
    var out = Image<Float>(height: height, width: width, channels: img.channels)
    let rule = border.padRule
    func at(_ y: Int, _ x: Int, _ c: Int) -> Float {
        guard let sy = rule.sourceIndex(y, img.height), let sx = rule.sourceIndex(x, img.width) else {
            if case .constant(let v) = border { return v }
            fatalError()
        }
        return img[sy, sx, c]
    }
    for y in 0..<height {
        for x in 0..<width {
            let (sx, sy) = m.apply(x: Double(x), y: Double(y))
            if case .constantOutside(let v) = border,
               !(sx >= 0 && sy >= 0 && sx <= Double(img.width - 1) && sy <= Double(img.height - 1)) {
                for c in 0..<img.channels { out[y, x, c] = v }
                continue
            }
            for c in 0..<img.channels {
                if bilinear {
                    let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                    let dx = Float(sx - Double(x0)), dy = Float(sy - Double(y0))
                    let top = (1 - dx) * at(y0, x0, c) + dx * at(y0, x0 + 1, c)
                    let bottom = (1 - dx) * at(y0 + 1, x0, c) + dx * at(y0 + 1, x0 + 1, c)
                    out[y, x, c] = (1 - dy) * top + dy * bottom
                } else {
                    out[y, x, c] = at(Int((sy + 0.5).rounded(.down)), Int((sx + 0.5).rounded(.down)), c)
                }
            }
        }
    }
    return out
}

@Suite struct WarpAgainstNaiveTwinTests {
    @Test func randomTransformsEveryModeAndBothOrders() throws {
        let img = try Fixture.photo().cropped(y: 100, x: 150, height: 13, width: 17).toFloat()
        var g = SeededGenerator(seed: 99)
        for trial in 0..<40 {
            func u(_ a: Double, _ b: Double) -> Double { a + (b - a) * g.nextUnit() }
            // Scales from 0.3 to 3, any rotation and shear, shifts up to a few images: rows with interiors
            // that start and end anywhere, including exactly on pixel centres (trial 0 is a pure translation).
            let t = trial == 0 ? AffineTransform2D.translation(x: 2, y: -3)
                : AffineTransform2D(scaleX: u(0.3, 3), scaleY: u(0.3, 3), rotation: u(-3.2, 3.2), shearX: u(-0.6, 0.6),
                                    translationX: u(-20, 20), translationY: u(-20, 20))
            for border in [WarpBorder.constant(0.3), .edge, .symmetric, .reflect, .wrap, .constantOutside(0.6)] {
                for bilinear in [true, false] {
                    let fast = img.warped(inverseMap: t, outputHeight: 11, outputWidth: 19, interpolation: bilinear ? .bilinear : .nearest, border: border)
                    let naive = naiveWarp(img, inverse: t, height: 11, width: 19, bilinear: bilinear, border: border)
                    let err = maxAbsDifference(fast, naive)
                    #expect(err < 1e-5, "trial \(trial) \(border) bilinear=\(bilinear): \(err)")
                }
            }
        }
    }
}
