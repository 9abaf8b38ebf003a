// What the network saw, as a picture: a prepared input tensor turned back into an 8-bit image for thumbnails.
import PetalImage
import PetalTensor

/// Pictures of network inputs.
public enum InputPicture {
    /// A [1, 3, h, w] input tensor back to an 8-bit image (a mean/std-normalised input is rescaled to its range).
    /// - Throws: ``RunError`` for a tensor that is not one RGB input.
    public static func image(of x: Tensor) throws -> Image<UInt8> {
        guard x.rank == 4, x.shape[0] == 1, x.shape[1] == 3 else {
            throw RunError.invalidSetting("image", reason: "a picture needs one RGB input [1, 3, H, W], got \(x.shape)")
        }
        let (h, w) = (x.shape[2], x.shape[3])
        let v = x.scalars
        let lo = v.min() ?? 0, hi = v.max() ?? 1
        let inUnitRange = lo >= 0 && hi <= 1
        var pixels = [UInt8](repeating: 0, count: h * w * 3)
        for c in 0..<3 {
            for i in 0..<(h * w) {
                let f = inUnitRange ? v[c * h * w + i] : (v[c * h * w + i] - lo) / max(hi - lo, 1e-6)
                pixels[i * 3 + c] = UInt8(max(0, min(255, (f * 255).rounded())))
            }
        }
        return try Image(height: h, width: w, channels: 3, pixels: pixels)
    }
}
