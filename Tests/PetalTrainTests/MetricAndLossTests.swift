import Foundation
import PetalTestSupport
import Testing
@testable import PetalTrain

@Suite struct MetricTests {
    @Test func nanScoresRankLastAsOneThresholdInsteadOfHangingTheCurve() {
        // A model with non-finite weights scores NaN; the curve used to loop for ever (and grow until memory ran out).
        let curve = ROC.curve(scores: [0.9, .nan, 0.2, .nan], positives: [true, false, false, true])
        #expect(curve.map(\.fpr) == [0, 0, 0.5, 1] && curve.map(\.tpr) == [0, 0.5, 0.5, 1])
        #expect(curve.last!.threshold.isNaN)
    }

    @Test func binaryAUCCurveAndReportMatchScikitLearn() throws {
        let b = try #require(try loadFixture("metrics")["binary"] as? [String: Any])
        let labels = numbers(b["labels"]).map { Int($0) }, scores = numbers(b["scores"]).map(Float.init)
        let auc = try #require(ROC.auc(scores: scores, positives: labels.map { $0 == 1 }))
        #expect(abs(auc - (b["roc_auc"] as! Double)) < 1e-12)
        let curve = ROC.curve(scores: scores, positives: labels.map { $0 == 1 })
        let expected = try #require(b["roc_curve"] as? [String: Any])
        expectClose(curve.map { Float($0.fpr) }, numbers(expected["fpr"]), rtol: 1e-7, atol: 0, "fpr")
        expectClose(curve.map { Float($0.tpr) }, numbers(expected["tpr"]), rtol: 1e-7, atol: 0, "tpr")
        #expect(curve.first!.threshold == .infinity)
        expectClose(curve.dropFirst().map(\.threshold), Array(numbers(expected["thresholds"])), rtol: 0, atol: 1e-7, "thresholds")
        let report = ClassificationReport(labels: labels, predictions: scores.map { $0 >= 0.5 ? 1 : 0 }, classCount: 2)
        #expect(report.matrix == ((b["confusion_matrix"] as? [String: Any])?["matrix"] as? [[Int]]))
        #expect(abs(report.accuracy - (b["accuracy"] as! Double)) < 1e-12)
        #expect(abs(report.precision[1] - (b["precision"] as! Double)) < 1e-12)
        #expect(abs(report.recall[1] - (b["recall"] as! Double)) < 1e-12)
        #expect(abs(report.f1[1] - (b["f1"] as! Double)) < 1e-12)
        let noTies = try #require(try loadFixture("metrics")["binary_no_ties"] as? [String: Any])
        let auc2 = ROC.auc(scores: numbers(noTies["scores"]).map(Float.init), positives: numbers(noTies["labels"]).map { $0 == 1 })
        #expect(abs(try #require(auc2) - (noTies["roc_auc"] as! Double)) < 1e-12)
    }

    @Test func multiClassAUCAndReportMatchScikitLearn() throws {
        let m = try #require(try loadFixture("metrics")["multiclass"] as? [String: Any])
        // Double scores: the fixture's renormalised rows hold values closer together than Float can tell apart.
        let labels = numbers(m["labels"]).map { Int($0) }, pd = numbers(m["scores"]), p = pd.map(Float.init)
        let c = m["num_classes"] as! Int
        let macro = try #require(ROC.auc(probabilities: pd, classCount: c, labels: labels))
        #expect(abs(macro - (m["roc_auc_ovr_macro"] as! Double)) < 1e-12)
        let each = ROC.perClassAUC(probabilities: pd, classCount: c, labels: labels).map { $0! }
        #expect(zip(each, numbers(m["roc_auc_per_class"])).allSatisfy { abs($0 - $1) < 1e-12 })
        let e = Evaluation(loss: 0, probabilities: p, labels: labels, classCount: c)
        #expect(e.predictions == numbers(m["predictions"]).map { Int($0) }, "argmax ties go to the lowest class, as numpy")
        let r = e.report
        #expect(r.matrix == ((m["confusion_matrix"] as? [String: Any])?["matrix"] as? [[Int]]))
        #expect(r.support == numbers(m["support"]).map { Int($0) })
        for (mine, theirs) in [(r.precision, "precision"), (r.recall, "recall"), (r.f1, "f1")] {
            #expect(zip(mine, numbers(m[theirs])).allSatisfy { abs($0 - $1) < 1e-12 }, "\(theirs)")
        }
        let macroScores = try #require(m["macro"] as? [String: Any])
        #expect(abs(ClassificationReport.macro(r.f1) - (macroScores["f1"] as! Double)) < 1e-12)
    }

    @Test func aucIsUndefinedWithOneClass() throws {
        let d = try #require(try loadFixture("metrics")["degenerate"] as? [String: Any])
        #expect(ROC.auc(scores: numbers(d["scores"]).map(Float.init), positives: numbers(d["labels"]).map { $0 == 1 }) == nil)
        #expect(ROC.auc(probabilities: [0.2, 0.8, 0.6, 0.4], classCount: 2, labels: [1, 1]) == nil)
    }
}

@Suite struct LossTests {
    @Test func crossEntropyVariantsMatchPyTorch() throws {
        let ce = try #require(try loadFixture("losses")["cross_entropy"] as? [String: Any])
        let labels = numbers(ce["labels"]).map { Int($0) }, weights = numbers(ce["class_weights"]).map(Float.init)
        let cases = try #require(ce["cases"] as? [String: Any])
        let losses: [String: Loss] = ["plain": .crossEntropy, "weighted": .categoricalCrossEntropy(classWeights: weights),
                                      "label_smoothing": .categoricalCrossEntropy(labelSmoothing: 0.1),
                                      "weighted_label_smoothing": .categoricalCrossEntropy(classWeights: weights, labelSmoothing: 0.1)]
        for (name, loss) in losses {
            let c = try #require(cases[name] as? [String: Any])
            let logits = try tensor(ce["logits"]).requiringGradient()
            let value = try loss(logits, labels: labels)
            try value.backward()
            #expect(abs(Double(try value.item()) - (c["loss"] as! Double)) < 1e-5 * (c["loss"] as! Double), "\(name) loss")
            expectClose(try #require(logits.grad).scalars, numbers(c["grad_logits"]), rtol: 1e-4, atol: 1e-6, "\(name) gradient")
        }
    }

    @Test func binaryCrossEntropyMatchesPyTorch() throws {
        let b = try #require(try loadFixture("losses")["binary_cross_entropy_with_logits"] as? [String: Any])
        let logits = try tensor(b["logits"]).requiringGradient(), targets = try tensor(b["targets"])
        let value = try logits.sigmoidCrossEntropy(targets: targets)
        try value.backward()
        #expect(abs(Double(try value.item()) - (b["loss"] as! Double)) < 1e-5 * (b["loss"] as! Double))
        expectClose(try #require(logits.grad).scalars, numbers(b["grad_logits"]), rtol: 1e-4, atol: 1e-7, "BCE gradient")
    }

    @Test func badLossInputsThrow() throws {
        let logits = try Tensor.zeros([2, 3])
        #expect(throws: TensorError.self) { try Loss.crossEntropy(logits, labels: [0]) }
        #expect(throws: TensorError.self) { try Loss.categoricalCrossEntropy(classWeights: [1, 2])(logits, labels: [0, 1]) }
        #expect(throws: TensorError.self) { try Loss.categoricalCrossEntropy(labelSmoothing: 1)(logits, labels: [0, 1]) }
    }
}

@Suite struct ScheduleTests {
    @Test func stepDecayGivesTheTutorialsRates() {
        let s = Schedule.stepDecay(base: 0.1, factor: 0.5, every: 1)
        let rates = (0..<4).map { s.learningRate(epoch: $0, step: 0) }
        #expect(zip(rates, [0.1, 0.05, 0.025, 0.0125] as [Float]).allSatisfy { abs($0 - $1) < 1e-8 })
        let every2 = Schedule.stepDecay(base: 1, factor: 0.1, every: 2)
        #expect((0..<5).map { every2.learningRate(epoch: $0, step: 0) }.map { ($0 * 1000).rounded() / 1000 } == [1, 1, 0.1, 0.1, 0.01])
    }

    @Test func perStepSchedulesHitTheirEndpoints() throws {
        let cosine = Schedule.cosine(base: 0.1, minimum: 0.001, warmupSteps: 10, totalSteps: 110)
        #expect(abs(cosine.learningRate(epoch: 0, step: 0) - 0.01) < 1e-7)
        #expect(abs(cosine.learningRate(epoch: 0, step: 9) - 0.1) < 1e-7)
        #expect(abs(cosine.learningRate(epoch: 0, step: 60) - 0.0505) < 1e-6)
        #expect(abs(cosine.learningRate(epoch: 0, step: 110) - 0.001) < 1e-7)
        let cycle = Schedule.oneCycle(maximum: 1, totalSteps: 100)
        #expect(abs(cycle.learningRate(epoch: 0, step: 0) - 0.04) < 1e-6)
        #expect(abs(cycle.learningRate(epoch: 0, step: 25) - 1) < 1e-6)
        #expect(abs(cycle.learningRate(epoch: 0, step: 100) - 4e-6) < 1e-9)
        #expect(cycle.isPerStep && !Schedule.constant(0.1).isPerStep)
        #expect(throws: TrainingError.self) { try Schedule.stepDecay(base: 0.1, factor: 0.5, every: 0).validate() }
        #expect(throws: TrainingError.self) { try LearningRateScheduler(.cosine(base: 0.1, minimum: 0.2, warmupSteps: 0, totalSteps: 10)) }
    }
}

@Suite struct ConfusionMatrixTests {
    @Test func theReportOfProbabilitiesTakesEachRowsMostProbableClass() {
        let p: [Float] = [0.7, 0.2, 0.1,  0.1, 0.1, 0.8,  0.3, 0.3, 0.4,  0.5, 0.5, 0.0]
        let r = ClassificationReport(probabilities: p, classCount: 3, labels: [0, 2, 1, 1])
        #expect(r.matrix == [[1, 0, 0], [1, 0, 1], [0, 0, 1]], "ties go to the first class, as numpy's argmax")
        #expect(r.accuracy == 0.5)
    }
}
