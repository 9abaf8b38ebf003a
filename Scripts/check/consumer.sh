#!/usr/bin/env bash
# A throwaway package that depends on the Petal product alone (with `traits: []`) must resolve without the HTTP and
# server stack (SwiftNIO, Hummingbird, swift-crypto …) and, with BUILD=1, build and run. CI runs the resolve part.
# The build also compiles the Swift examples of README.md and docs/TUTORIAL.md (each document's blocks in order, as the
# body of one function that is never called), so an example that no longer matches the API fails here. A block after a
# `<!-- check-docs: fragment -->` line is part of a call, not a statement, and is left out.
set -euo pipefail
repository="$(cd "$(dirname "$0")/../.." && pwd)"
consumer="$(mktemp -d)"
trap 'rm -rf "$consumer"' EXIT
mkdir -p "$consumer/Sources/Consumer"
cat > "$consumer/Package.swift" <<MANIFEST
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "Consumer",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Petal", path: "$repository", traits: [])],
    targets: [.executableTarget(name: "Consumer", dependencies: [.product(name: "Petal", package: "Petal")])]
)
MANIFEST
cat > "$consumer/Sources/Consumer/main.swift" <<'SOURCE'
import Petal
let model = try ResNet(depth: .r18, variant: .preActivation, classes: 2, baseWidth: 4)
let logits = try model.inferring { try model(Tensor.zeros([1, 3, 32, 32])) }
print("Petal \(PetalVersion.current): a ResNet with \(model.parameterCount) parameters, logits of shape \(logits.shape)")
SOURCE
# A document's ```swift blocks, in order, as one function's body (its imports go to the top of the file).
examples() {
  local name="$1" file="$2"
  {
    echo "import Foundation"
    echo "import Petal"
    echo "func $name() throws {"
    awk '/<!-- check-docs: fragment/ { skip = 1; next }
         /^```swift/ { inside = 1; next }
         /^```/ && inside { inside = 0; skip = 0; next }
         inside && !skip && !/^import / { print "    " $0 }' "$file"
    echo "}"
  } > "$consumer/Sources/Consumer/$name.swift"
}
examples readmeExample "$repository/README.md"
examples tutorialExample "$repository/docs/TUTORIAL.md"
cd "$consumer"
swift package resolve > resolve.log 2>&1 || { cat resolve.log; exit 1; }
resolved=$(grep -o '"identity" : "[^"]*"' Package.resolved | cut -d'"' -f4 | sort | tr '\n' ' ')
echo "a package depending on the Petal product resolves: $resolved"
for unwanted in swift-nio hummingbird swift-crypto async-http-client multipart-kit swift-prometheus; do
  if grep -q "\"identity\" : \"$unwanted\"" Package.resolved; then
    echo "error: depending on the Petal product alone resolved $unwanted" >&2
    exit 1
  fi
done
if [ "${BUILD:-0}" = 1 ]; then
  swift build > build.log 2>&1 || { tail -30 build.log; exit 1; }
  swift run --skip-build Consumer
fi
