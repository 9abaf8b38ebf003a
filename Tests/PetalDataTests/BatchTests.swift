import Testing
@testable import PetalData

@Suite struct BatchTests {
    @Test func oneHotTargetsFollowTheLabels() throws {
        let b = try Batch(images: Tensor.zeros([3, 1, 2, 2]), labels: [2, 0, 1], classCount: 3)
        #expect(b.oneHot.scalars == [0, 0, 1, 1, 0, 0, 0, 1, 0])
        #expect(throws: TensorError.self) { try Batch(images: Tensor.zeros([3, 1, 2, 2]), labels: [0, 3, 1], classCount: 3) }
        #expect(throws: TensorError.self) { try Batch(images: Tensor.zeros([2, 1, 2, 2]), labels: [0, 1, 1], classCount: 3) }
    }
}
