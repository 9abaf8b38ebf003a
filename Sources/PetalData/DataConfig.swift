// The data layer's settings as one plain Codable value, so that a run folder can save it as JSON and a later
// run (or `petal evaluate`) can rebuild exactly the same loaders. Defaults are the tutorial's: all classes,
// 100 × 100 centre crops, small images skipped, /255, a 20 % validation split, batches of 32 with the last
// partial batch dropped, no augmentation. Missing keys in a saved file take these defaults, so files written
// by older versions still load.
import Foundation

/// What to do with an image smaller than the crop.
public enum SmallImagePolicy: String, Codable, Sendable, CaseIterable {
    /// Leave it out at scan time and report it (the tutorial deletes such images).
    case skip
    /// Centre it on a black canvas of the crop size.
    case pad
    /// Enlarge it (bilinear) so that its short side fits the crop, then centre-crop.
    case resizeShortSide
}

/// How 8-bit pixels become the Floats of a batch.
public enum NormalisationPolicy: Codable, Sendable, Equatable {
    /// value / 255, giving [0, 1] (the tutorial).
    case divideBy255
    /// (value / 255 − mean[c]) / std[c] per channel, with mean and std in [0, 1] units (ImageNet style).
    case meanStd(mean: [Float], std: [Float])
}

/// How each class is divided between training and validation.
public enum SplitOrder: String, Codable, Sendable, CaseIterable {
    /// A seeded shuffle of each class, then the first part trains (the default).
    case shuffled
    /// The tutorial's order: the first (1 − fraction) of the sorted files train, the rest validate.
    case sequential
}

/// Every setting of the data layer, with the tutorial's defaults.
public struct DataConfig: Codable, Sendable, Equatable {
    /// Classes to use, in label order; `nil` takes every sub-folder in sorted order.
    public var classes: [String]?
    /// Crop height in pixels (100).
    public var cropHeight: Int
    /// Crop width in pixels (100).
    public var cropWidth: Int
    /// Images smaller than the crop: skipped (default), padded or enlarged.
    public var smallImages: SmallImagePolicy
    /// Short side, in pixels, every image is resized to before the centre crop (torchvision's `Resize(n)` then
    /// `CenterCrop`; area-averaged when shrinking, bilinear when enlarging); `nil` crops the photo's own pixels, as the
    /// tutorial does. At least the crop's larger side, so no image is then smaller than the crop.
    public var resize: Int?
    /// Pixel normalisation (/255 by default).
    public var normalisation: NormalisationPolicy
    /// Fraction of each class held out for validation (0.2).
    public var validationFraction: Double
    /// Seeded shuffle (default) or the tutorial's first/last order.
    public var splitOrder: SplitOrder
    /// The run's seed: the split, each epoch's order and every augmentation draw derive from it.
    public var seed: UInt64
    /// Keep only the first N training images of each class after the split (the tutorial's `ablation`).
    public var perClassLimit: Int?
    /// Keep only the first N validation images of each class after the split.
    public var validationPerClassLimit: Int?
    /// Images per batch (32); with `appendAugmentedCopy` a batch holds twice as many.
    public var batchSize: Int
    /// Random augmentation of training images; `nil` for none. Never applied to validation.
    public var augmentation: AugmentationPolicy?
    /// Append an augmented copy of every training batch to it (the tutorial's doubling) instead of
    /// augmenting the images in place.
    public var appendAugmentedCopy: Bool
    /// Drop the last partial training batch (the tutorial does); validation always keeps every image.
    public var dropLast: Bool
    /// Shuffle the training images each epoch (from the seed and the epoch number).
    public var shuffle: Bool
    /// Refuse to train when the scan finds unreadable or unusable files, instead of skipping them.
    public var strict: Bool
    /// Memory for decoded, cropped 8-bit images, in MiB; images beyond it are decoded again each epoch.
    public var cacheBudgetMB: Int
    /// Batches prepared ahead on the loader's background thread; 0 prepares each batch when asked.
    public var prefetchBatches: Int

    /// - Parameters: see the properties; every one has the tutorial's default.
    public init(classes: [String]? = nil, cropHeight: Int = 100, cropWidth: Int = 100, smallImages: SmallImagePolicy = .skip,
                resize: Int? = nil, normalisation: NormalisationPolicy = .divideBy255, validationFraction: Double = 0.2,
                splitOrder: SplitOrder = .shuffled, seed: UInt64 = 42, perClassLimit: Int? = nil,
                validationPerClassLimit: Int? = nil, batchSize: Int = 32, augmentation: AugmentationPolicy? = nil,
                appendAugmentedCopy: Bool = false, dropLast: Bool = true, shuffle: Bool = true, strict: Bool = false,
                cacheBudgetMB: Int = 2048, prefetchBatches: Int = 2) {
        self.classes = classes
        self.cropHeight = cropHeight
        self.cropWidth = cropWidth
        self.smallImages = smallImages
        self.resize = resize
        self.normalisation = normalisation
        self.validationFraction = validationFraction
        self.splitOrder = splitOrder
        self.seed = seed
        self.perClassLimit = perClassLimit
        self.validationPerClassLimit = validationPerClassLimit
        self.batchSize = batchSize
        self.augmentation = augmentation
        self.appendAugmentedCopy = appendAugmentedCopy
        self.dropLast = dropLast
        self.shuffle = shuffle
        self.strict = strict
        self.cacheBudgetMB = cacheBudgetMB
        self.prefetchBatches = prefetchBatches
    }

    private enum CodingKeys: String, CodingKey {
        case classes, cropHeight, cropWidth, smallImages, resize, normalisation, validationFraction, splitOrder, seed, perClassLimit,
             validationPerClassLimit, batchSize, augmentation, appendAugmentedCopy, dropLast, shuffle, strict, cacheBudgetMB,
             prefetchBatches
    }

    /// Decodes a saved configuration; absent keys take their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DataConfig()
        classes = try c.decodeIfPresent([String].self, forKey: .classes)
        cropHeight = try c.decodeIfPresent(Int.self, forKey: .cropHeight) ?? d.cropHeight
        cropWidth = try c.decodeIfPresent(Int.self, forKey: .cropWidth) ?? d.cropWidth
        smallImages = try c.decodeIfPresent(SmallImagePolicy.self, forKey: .smallImages) ?? d.smallImages
        resize = try c.decodeIfPresent(Int.self, forKey: .resize)
        normalisation = try c.decodeIfPresent(NormalisationPolicy.self, forKey: .normalisation) ?? d.normalisation
        validationFraction = try c.decodeIfPresent(Double.self, forKey: .validationFraction) ?? d.validationFraction
        splitOrder = try c.decodeIfPresent(SplitOrder.self, forKey: .splitOrder) ?? d.splitOrder
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        perClassLimit = try c.decodeIfPresent(Int.self, forKey: .perClassLimit)
        validationPerClassLimit = try c.decodeIfPresent(Int.self, forKey: .validationPerClassLimit)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? d.batchSize
        augmentation = try c.decodeIfPresent(AugmentationPolicy.self, forKey: .augmentation)
        appendAugmentedCopy = try c.decodeIfPresent(Bool.self, forKey: .appendAugmentedCopy) ?? d.appendAugmentedCopy
        dropLast = try c.decodeIfPresent(Bool.self, forKey: .dropLast) ?? d.dropLast
        shuffle = try c.decodeIfPresent(Bool.self, forKey: .shuffle) ?? d.shuffle
        strict = try c.decodeIfPresent(Bool.self, forKey: .strict) ?? d.strict
        cacheBudgetMB = try c.decodeIfPresent(Int.self, forKey: .cacheBudgetMB) ?? d.cacheBudgetMB
        prefetchBatches = try c.decodeIfPresent(Int.self, forKey: .prefetchBatches) ?? d.prefetchBatches
    }

    /// Checks every value's range.
    /// - Throws: ``DataError/invalidConfig(parameter:reason:)`` naming the first bad setting.
    public func validate() throws {
        func bad(_ name: String, _ reason: String) -> DataError { .invalidConfig(parameter: name, reason: reason) }
        if let classes {
            if classes.isEmpty { throw bad("classes", "the list is empty; leave it out to use every class folder") }
            if let dup = Dictionary(grouping: classes, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
                throw bad("classes", "'\(dup)' is listed twice")
            }
        }
        guard cropHeight > 0, cropWidth > 0 else { throw bad("cropHeight/cropWidth", "must be positive, got \(cropHeight)×\(cropWidth)") }
        if let n = resize, !(max(cropHeight, cropWidth)...4096).contains(n) {
            throw bad("resize", "must be from the crop's larger side (\(max(cropHeight, cropWidth))) to 4096 pixels, got \(n)")
        }
        guard validationFraction >= 0, validationFraction < 1 else {
            throw bad("validationFraction", "must be in [0, 1), got \(validationFraction)")
        }
        if let n = perClassLimit, n < 1 { throw bad("perClassLimit", "must be at least 1, got \(n)") }
        if let n = validationPerClassLimit, n < 1 { throw bad("validationPerClassLimit", "must be at least 1, got \(n)") }
        guard batchSize >= 1 else { throw bad("batchSize", "must be at least 1, got \(batchSize)") }
        guard cacheBudgetMB >= 0 else { throw bad("cacheBudgetMB", "must not be negative, got \(cacheBudgetMB)") }
        guard prefetchBatches >= 0 else { throw bad("prefetchBatches", "must not be negative, got \(prefetchBatches)") }
        if appendAugmentedCopy && augmentation == nil {
            throw bad("appendAugmentedCopy", "needs an augmentation policy to make the copies with")
        }
        try augmentation?.validate()
        if case .meanStd(let mean, let std) = normalisation {
            guard mean.count == 3, std.count == 3 else {
                throw bad("normalisation", "mean and std need 3 values (R, G, B), got \(mean.count) and \(std.count)")
            }
            guard std.allSatisfy({ $0 > 0 }) else { throw bad("normalisation", "std values must be positive, got \(std)") }
        }
    }
}

extension DataConfig {
    /// How each photo becomes the network's input, in words (the report's and the run log's "Crop").
    public var cropDescription: String {
        let crop = "\(cropHeight)×\(cropWidth)"
        if let n = resize { return "\(crop) centre of each photo resized to a \(n)-pixel short side" }
        return "\(crop) centre of each photo's own pixels, small images: \(smallImages.rawValue)"
    }
}
