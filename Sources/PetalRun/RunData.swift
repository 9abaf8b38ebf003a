// The batches a run trains and validates on. By default a run prepares them from the class folders of its
// configuration (split, scan and photos then also go into the run folder and the report); a library user can pass
// any pair of batch sources instead, e.g. tensors already in memory.
import PetalData
import PetalTrain

/// A run's training and validation batches with their class names.
public struct RunData {
    /// The class names, in label order.
    public let classNames: [String]
    /// Training batches (shuffled and augmented as the source does it).
    public let train: any ShardableBatchSource
    /// Validation batches: every sample, every epoch, in a fixed order.
    public let validation: any ShardableBatchSource
    /// How the run's configuration and report name the data (e.g. "in memory: 64 training and 32 validation images").
    public let description: String
    /// The class-folder pipeline behind the batches, when they come from one: its split and scan go into the run folder,
    /// its photos into the report.
    public let classFolders: PreparedData?

    /// Batches of your own.
    /// - Throws: ``RunError/data(_:)`` when the sources disagree with the class names or with each other, or hold
    ///   fewer than two classes.
    public init(classNames: [String], train: any ShardableBatchSource, validation: any ShardableBatchSource, description: String? = nil) throws {
        guard classNames.count >= 2 else { throw RunError.data("a classifier needs at least two classes, got \(classNames.count)") }
        guard train.classCount == classNames.count, validation.classCount == classNames.count else {
            throw RunError.data("the batch sources have \(train.classCount) (training) and \(validation.classCount) (validation) classes for \(classNames.count) class names")
        }
        guard train.sampleCount > 0, validation.sampleCount > 0 else {
            throw RunError.data("the batch sources hold \(train.sampleCount) training and \(validation.sampleCount) validation samples; a run needs both")
        }
        self.init(classNames: classNames, train: train, validation: validation,
                  description: description ?? "\(train.sampleCount) training and \(validation.sampleCount) validation samples in \(classNames.count) classes",
                  classFolders: nil)
    }

    /// The class-folder pipeline's batches.
    init(_ prepared: PreparedData) throws {
        let classes = prepared.train.classNames
        guard classes.count >= 2 else {
            throw RunError.data("\(prepared.folder.root.path) has one class (\(classes.joined())): a classifier needs at least two class folders")
        }
        self.init(classNames: classes, train: prepared.train, validation: prepared.validation,
                  description: prepared.folder.root.path, classFolders: prepared)
    }

    private init(classNames: [String], train: any ShardableBatchSource, validation: any ShardableBatchSource, description: String,
                 classFolders: PreparedData?) {
        (self.classNames, self.train, self.validation, self.description, self.classFolders) = (classNames, train, validation, description, classFolders)
    }
}
