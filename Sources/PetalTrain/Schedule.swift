// Learning-rate schedules as plain functions of the epoch (and, for per-step schedules, of the step within
// the run). The trainer asks the schedule before every epoch and, when `isPerStep`, before every batch.
import Foundation

/// A learning rate for each point in training.
public enum Schedule: Sendable, Equatable, Codable {
    /// The same rate throughout.
    case constant(Float)
    /// base · factor^⌊epoch / every⌋ — the tutorial's `DecayLR` (base 0.1, factor 0.5, every 1: 0.1, 0.05, 0.025, …).
    case stepDecay(base: Float, factor: Float, every: Int)
    /// base · gamma^epoch.
    case exponential(base: Float, gamma: Float)
    /// Linear warm-up from 0 over `warmupSteps`, then cosine annealing from `base` to `minimum` at `totalSteps`.
    case cosine(base: Float, minimum: Float, warmupSteps: Int, totalSteps: Int)
    /// fastai's one-cycle: cosine up from max/divFactor to `maximum` over `pctStart` of the steps, then cosine
    /// down to max/(divFactor·finalDivFactor).
    case oneCycle(maximum: Float, totalSteps: Int, pctStart: Float = 0.25, divFactor: Float = 25, finalDivFactor: Float = 1e4)

    /// Whether the rate changes every batch (true) or once per epoch.
    public var isPerStep: Bool {
        switch self {
        case .cosine, .oneCycle: true
        default: false
        }
    }

    /// The rate at `epoch` (0-based) and global `step` (0-based batch count since the start of training).
    public func learningRate(epoch: Int, step: Int) -> Float {
        switch self {
        case .constant(let lr):
            return lr
        case .stepDecay(let base, let factor, let every):
            return base * Float(Foundation.pow(Double(factor), Double(epoch / max(every, 1))))
        case .exponential(let base, let gamma):
            return base * Float(Foundation.pow(Double(gamma), Double(epoch)))
        case .cosine(let base, let minimum, let warmup, let total):
            if step < warmup { return base * Float(step + 1) / Float(max(warmup, 1)) }
            let t = min(Double(step - warmup) / Double(max(total - warmup, 1)), 1)
            return minimum + (base - minimum) * Float(0.5 * (1 + Foundation.cos(Double.pi * t)))
        case .oneCycle(let maximum, let total, let pctStart, let div, let finalDiv):
            let start = maximum / div, end = start / finalDiv
            let up = max(Int(Float(total) * pctStart), 1)
            func cosineFrom(_ a: Float, _ b: Float, _ t: Double) -> Float { b + (a - b) * Float(0.5 * (1 + Foundation.cos(Double.pi * min(max(t, 0), 1)))) }
            return step < up ? cosineFrom(start, maximum, Double(step) / Double(up))
                             : cosineFrom(maximum, end, Double(step - up) / Double(max(total - up, 1)))
        }
    }

    /// Checks the parameters, naming the bad one.
    public func validate() throws {
        switch self {
        case .constant(let lr) where lr < 0 || !lr.isFinite: throw TrainingError.invalidSetting("learning rate must be ≥ 0, got \(lr)")
        case .stepDecay(let base, let factor, let every) where base < 0 || factor <= 0 || every < 1:
            throw TrainingError.invalidSetting("step decay needs base ≥ 0, factor > 0 and every ≥ 1 epoch (got \(base), \(factor), \(every))")
        case .exponential(let base, let gamma) where base < 0 || gamma <= 0:
            throw TrainingError.invalidSetting("exponential decay needs base ≥ 0 and gamma > 0")
        case .cosine(let base, let minimum, let warmup, let total) where base < minimum || minimum < 0 || warmup < 0 || total <= warmup:
            throw TrainingError.invalidSetting("cosine schedule needs base ≥ minimum ≥ 0 and total steps > warm-up steps")
        case .oneCycle(let maximum, let total, let pct, let div, let finalDiv) where maximum <= 0 || total < 2 || !(0 < pct && pct < 1) || div <= 0 || finalDiv <= 0:
            throw TrainingError.invalidSetting("one-cycle needs maximum > 0, at least 2 steps and 0 < pctStart < 1")
        default: return
        }
    }
}
