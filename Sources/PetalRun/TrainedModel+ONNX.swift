// A checkpoint as an ONNX file, with the preparation its images need written into the model's metadata, so a user of
// ONNX Runtime (or any runtime) can feed it exactly what Petal feeds it.
import Foundation
import PetalData
import PetalONNX

extension TrainedModel {
    /// How an image becomes this model's input, in words, one line per step (what `petal export` prints and the ONNX
    /// file's `petal.preprocessing` holds).
    public var preprocessing: [String] {
        let (h, w) = (data.cropHeight, data.cropWidth)
        let small = switch data.smallImages {
        case .skip: "images smaller than the crop are not supported"
        case .pad: "images smaller than the crop are centred on black"
        case .resizeShortSide: "images smaller than the crop are first enlarged (bilinear) so their short side fits"
        }
        let scaling = switch data.normalisation {
        case .divideBy255: "each value divided by 255, giving [0, 1]"
        case .meanStd(let mean, let std): "each value divided by 255, then (x − mean) / std per channel with mean \(mean) and std \(std)"
        }
        let crop = data.resize.map { n in
            ["resize so that the short side is \(n) pixels (the long side scaled alike and rounded; area-averaged when shrinking, bilinear when enlarging)",
             "take the central \(h)×\(w) pixels"]
        } ?? ["take the central \(h)×\(w) pixels (\(small))"]
        return ["decode as 8-bit RGB (grey images repeated to 3 channels)"] + crop + [scaling,
                "lay out as float32 NCHW [batch, 3, \(h), \(w)], channels in R, G, B order"]
    }

    /// The ONNX file of this model; its metadata holds the classes, the input contract and the preprocessing. An int8
    /// model is written as a QDQ model (QuantizeLinear/DequantizeLinear around what it computes on codes), which ONNX
    /// Runtime and OpenVINO run as int8.
    public func onnx(options: ONNXExportOptions = ONNXExportOptions()) throws -> Data {
        var meta = ["petal.classes": (try? String(decoding: JSONEncoder().encode(classNames), as: UTF8.self)) ?? "[]",
                    "petal.input": "\(ONNXExport.inputName): float32 [batch, 3, \(data.cropHeight), \(data.cropWidth)]",
                    "petal.output": "\(options.output.rawValue): float32 [batch, \(classNames.count)], classes in petal.classes order",
                    "petal.preprocessing": preprocessing.joined(separator: "; "),
                    "petal.architecture": inference.layerDescription]
        if case .meanStd(let mean, let std) = data.normalisation {
            meta["petal.mean"] = mean.map { "\($0)" }.joined(separator: ",")
            meta["petal.std"] = std.map { "\($0)" }.joined(separator: ",")
        }
        if let quantized {
            meta["petal.calibration"] = "\(quantized.record.method.rawValue) on \(quantized.record.calibrationImages) images"
        }
        return try ONNXExport.encode(model, inputShape: [3, data.cropHeight, data.cropWidth], classes: classNames.count, options: options,
                                     quantization: quantized?.plan, metadata: meta,
                                     docString: "\(inference.layerDescription) trained with Petal on \(classNames.joined(separator: ", "))")
    }
}
