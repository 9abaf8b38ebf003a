// Package hygiene: every module a target imports is one of its declared dependencies in Package.swift (or the
// toolchain's own), so the build graph is the one the manifest shows and a target never compiles only because a
// sibling happened to be built first.
import Foundation
import Testing

@Suite struct ManifestTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// Modules every target may import: the toolchain's.
    static let toolchain: Set = ["Foundation", "FoundationEssentials", "FoundationNetworking", "FoundationXML", "Dispatch", "Glibc", "Musl",
                                 "Darwin", "Synchronization", "Testing", "XCTest", "_Concurrency"]

    /// Each target of the manifest with its declared dependencies (target names and product names) and its folder.
    static func targets(of manifest: String) -> [(name: String, dependencies: Set<String>, path: String)] {
        let declaration = /\.(target|executableTarget|testTarget|systemLibrary)\(name: "(\w+)"/
        let starts = manifest.matches(of: declaration)
        return starts.enumerated().map { i, start in
            let end = i + 1 < starts.count ? starts[i + 1].range.lowerBound : manifest.endIndex
            let text = manifest[start.range.lowerBound..<end]
            var dependencies: Set<String> = []
            if let open = text.firstMatch(of: /dependencies: \[/) {
                var depth = 1, index = open.range.upperBound
                while depth > 0, index < text.endIndex {
                    if text[index] == "[" { depth += 1 } else if text[index] == "]" { depth -= 1 }
                    index = text.index(after: index)
                }
                let list = text[open.range.upperBound..<index]
                for product in list.matches(of: /\.product\(name: "(\w+)"/) { dependencies.insert(String(product.output.1)) }
                for name in list.replacing(/\.product\([^)]*\)/, with: "").matches(of: /"(\w+)"/) { dependencies.insert(String(name.output.1)) }
            }
            let folder = start.output.1 == "testTarget" ? "Tests" : "Sources"
            let path = text.firstMatch(of: /path: "([^"]+)"/).map { String($0.output.1) } ?? "\(folder)/\(start.output.2)"
            return (String(start.output.2), dependencies, path)
        }
    }

    /// The modules the Swift files under `folder` import.
    static func imports(under folder: URL) throws -> Set<String> {
        let statement = /^\s*(?:@\w+(?:\(\w+\))? )*import (?:struct |class |enum |func |protocol )?(\w+)/
        var found: Set<String> = []
        guard let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return found }
        for case let file as URL in files where file.pathExtension == "swift" {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                if let match = line.firstMatch(of: statement) { found.insert(String(match.output.1)) }
            }
        }
        return found
    }

    @Test func everyImportIsADeclaredDependency() throws {
        let manifest = try String(contentsOf: Self.repository.appendingPathComponent("Package.swift"), encoding: .utf8)
        let targets = Self.targets(of: manifest)
        #expect(targets.count > 30, "the manifest's targets were not found (\(targets.count))")
        #expect(targets.contains { $0.name == "PetalServe" && $0.dependencies.isSuperset(of: ["Hummingbird", "PetalRun", "Logging"]) })
        for target in targets {
            let undeclared = try Self.imports(under: Self.repository.appendingPathComponent(target.path))
                .subtracting(target.dependencies).subtracting(Self.toolchain).subtracting([target.name])
            #expect(undeclared.isEmpty, "\(target.name) imports \(undeclared.sorted().joined(separator: ", ")) without declaring it in Package.swift")
        }
    }

    @Test func theCheckFindsAnUndeclaredImport() throws {
        let manifest = """
            .target(name: "A", dependencies: ["B", .product(name: "Logging", package: "swift-log")]),
            .testTarget(name: "ATests", dependencies: ["A"], path: "Custom/ATests"),
            """
        let targets = Self.targets(of: manifest)
        #expect(targets.map(\.name) == ["A", "ATests"])
        #expect(targets[0].dependencies == ["B", "Logging"] && targets[0].path == "Sources/A")
        #expect(targets[1].dependencies == ["A"] && targets[1].path == "Custom/ATests")
    }
}
