import Foundation
import PetalTestSupport
import Testing
@testable import PetalTrain
@testable import PetalTensor

@Suite struct OptimizerTests {
    static let configs = ["sgd", "sgd_momentum", "sgd_nesterov_wd", "sgd_momentum_dampening", "sgd_clip_global_norm", "sgd_clip_value",
                          "sgd_clip_norm_per_tensor", "adam", "adam_wd", "adamw", "adam_amsgrad"]

    func makeOptimizer(_ kind: String, _ s: [String: Any], _ params: [Tensor]) throws -> Optimizer {
        let clip = s["clip"] as? [String: Any]
        let value = Float((clip?["value"] as? Double) ?? 0)
        let clipping: GradientClipping = switch clip?["kind"] as? String {
        case "global_norm": .globalNorm(value)
        case "value": .value(value)
        case "norm_per_tensor": .normPerTensor(value)
        default: .none
        }
        let f = { (k: String) in Float((s[k] as? Double) ?? 0) }
        if kind == "sgd" {
            return try SGD(parameters: params, learningRate: f("lr"), momentum: f("momentum"), dampening: f("dampening"),
                           nesterov: (s["nesterov"] as? Bool) ?? false, weightDecay: f("weight_decay"), clipping: clipping)
        }
        let betas = numbers(s["betas"]).map(Float.init)
        return try Adam(parameters: params, learningRate: f("lr"), beta1: betas[0], beta2: betas[1], epsilon: f("eps"),
                        weightDecay: f("weight_decay"), decoupledWeightDecay: kind == "adamw", amsgrad: (s["amsgrad"] as? Bool) ?? false,
                        clipping: clipping)
    }

    @Test(arguments: configs)
    func matchesPyTorchOverSixSteps(name: String) throws {
        let f = try loadFixture("optimizers")
        let initial = try #require(f["initial"] as? [String: Any])
        let gradients = try #require(f["gradients"] as? [[Any]])
        let config = try #require((f["configs"] as? [String: Any])?[name] as? [String: Any])
        let params = [try tensor(initial["p0"]).requiringGradient(), try tensor(initial["p1"]).requiringGradient()]
        let opt = try makeOptimizer(config["optimizer"] as! String, config["settings"] as! [String: Any], params)
        let lrs = numbers(config["lrs"]), after = try #require(config["after_step"] as? [[Any]])
        for (t, pair) in gradients.enumerated() {
            for (p, g) in zip(params, pair) { try setGradient(p, tensor(g)) }
            opt.learningRate = Float(lrs[t])
            try opt.step()
            for (k, p) in params.enumerated() {
                expectClose(p.scalars, numbers(after[t][k]), rtol: 2e-5, atol: 2e-6, "\(name) step \(t + 1) p\(k)")
            }
        }
    }

    @Test func stateRoundTripContinuesIdentically() throws {
        for kind in ["sgd", "adam"] {
            func run(split: Bool) throws -> [Float] {
                let p = try Tensor(shape: [4], scalars: [1, -2, 3, 0.5]).requiringGradient()
                var opt: Optimizer = kind == "sgd" ? try SGD(parameters: [p], learningRate: 0.1, momentum: 0.9) : try Adam(parameters: [p], learningRate: 0.1)
                for step in 0..<6 {
                    if split && step == 3 {
                        let state = try opt.stateDict()
                        opt = kind == "sgd" ? try SGD(parameters: [p], learningRate: 0.1, momentum: 0.9) : try Adam(parameters: [p], learningRate: 0.1)
                        try opt.loadStateDict(state)
                    }
                    try setGradient(p, Tensor(shape: [4], scalars: p.scalars.map { $0 * 2 + Float(step) }))
                    try opt.step()
                }
                return p.scalars
            }
            #expect(try run(split: false) == run(split: true), "\(kind): restoring the state must not change the trajectory")
        }
    }

    @Test func badSettingsAreRejected() throws {
        let p = [try Tensor.ones([2]).requiringGradient()]
        #expect(throws: TrainingError.self) { try SGD(parameters: p, learningRate: -1) }
        #expect(throws: TrainingError.self) { try SGD(parameters: p, learningRate: 0.1, momentum: 1.5) }
        #expect(throws: TrainingError.self) { try SGD(parameters: p, learningRate: 0.1, nesterov: true) }
        #expect(throws: TrainingError.self) { try SGD(parameters: p, learningRate: 0.1, clipping: .globalNorm(0)) }
        #expect(throws: TrainingError.self) { try Adam(parameters: p, beta1: 1) }
    }
}

@Suite struct BlockedLayoutUpdateTests {
    /// Convolution weight gradients arrive in oneDNN's blocked layout and SGD/Adam update in that layout; the
    /// result must equal the same rule applied to plain copies.
    @Test(arguments: ["sgd", "adam"])
    func updatesInTheGradientsLayoutEqualPlainArithmetic(kind: String) throws {
        var g = SeededGenerator(seed: 4)
        let x = try Tensor.randomNormal([2, 16, 6, 6], generator: &g)
        let w = try Tensor.randomNormal([32, 16, 3, 3], standardDeviation: 0.1, generator: &g).requiringGradient()
        var plain = w.scalars
        var moment1 = [Float](repeating: 0, count: plain.count), moment2 = moment1
        let opt: Optimizer = kind == "sgd" ? try SGD(parameters: [w], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, clipping: .normPerTensor(1))
                                           : try Adam(parameters: [w], learningRate: 0.01)
        for step in 1...3 {
            w.zeroGradient()
            try x.conv2d(weight: w, padding: 1).squared().sum().backward()
            let grad = try #require(w.grad)
            #expect(!grad.storage.isPlain, "the gradient should arrive in oneDNN's layout")
            var gv = grad.scalars
            if kind == "sgd" {
                let norm = gv.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
                if norm > 1 { gv = gv.map { $0 / norm } }
                for i in plain.indices {
                    let gi = gv[i] + 0.01 * plain[i]
                    moment1[i] = step == 1 ? gi : 0.9 * moment1[i] + gi
                    plain[i] -= 0.1 * moment1[i]
                }
            } else {
                let c1 = 1 - Float(pow(0.9, Double(step))), c2 = 1 - Float(pow(0.999, Double(step)))
                for i in plain.indices {
                    moment1[i] = 0.9 * moment1[i] + 0.1 * gv[i]
                    moment2[i] = 0.999 * moment2[i] + 0.001 * gv[i] * gv[i]
                    plain[i] -= 0.01 / c1 * moment1[i] / (moment2[i].squareRoot() / c2.squareRoot() + 1e-8)
                }
            }
            try opt.step()
            #expect(!w.storage.isPlain, "the weights stay in the blocked layout after the update")
            let got = w.scalars
            let worst = zip(got, plain).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5, "\(kind) step \(step): largest difference \(worst)")
        }
    }
}

@Suite struct LearningRateScaleTests {
    /// Per-parameter rate factors (parameter groups): a factor of 0 leaves a parameter alone, ½ halves its step, for SGD
    /// and Adam alike.
    @Test func eachParameterStepsAtItsScaledRate() throws {
        for makeOptimizer in [{ try SGD(parameters: $0, learningRate: 0.1) as Optimizer }, { try Adam(parameters: $0, learningRate: 0.1) as Optimizer }] {
            let params = try (0..<3).map { _ in try Tensor(shape: [2], scalars: [1, -1]).requiringGradient() }
            let optimizer = try makeOptimizer(params)
            optimizer.learningRateScales = [0, 0.5, 1]
            try (params[0] + params[1] + params[2]).sum().backward()
            try optimizer.step()
            let moved = params.map { abs($0.scalars[0] - 1) }
            #expect(moved[0] == 0 && abs(moved[1] - moved[2] / 2) < 1e-6 && moved[2] > 0, "\(moved)")
        }
    }
}

