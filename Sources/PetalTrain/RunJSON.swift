import Foundation

/// JSON as every run file and `--json` output writes it: pretty, sorted keys, and non-finite numbers as strings
/// ("nan", "inf", "-inf") instead of an encoding failure.
public enum RunJSON {
    /// `value` as JSON.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try e.encode(value)
    }

    /// A value from JSON written by ``encode(_:)``.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try d.decode(type, from: data)
    }
}
