import Foundation

/// A primitive made on first use (backward passes of a plan), safely when several threads ask at once.
final class LazyPrimitive: @unchecked Sendable {
    private var value: Primitive?
    private let lock = NSLock()

    func get(_ make: () throws -> Primitive) throws -> Primitive {
        try lock.withLock {
            if let value { return value }
            let made = try make()
            value = made
            return made
        }
    }
}
