#if Serve
// What a bad request gets: an HTTP status and one line saying what was wrong, sent as JSON.
import Foundation
import PetalData
import PetalImage

/// A request the server refuses, with the status and message it answers.
public struct ServeError: Error, Equatable, CustomStringConvertible {
    /// The HTTP status code (4xx for the client's mistakes).
    public let status: Int
    public let message: String
    /// Whether the connection is closed after the answer (a body too large to read to its end was left unread).
    public let closesConnection: Bool

    public init(_ status: Int, _ message: String, closesConnection: Bool = false) {
        (self.status, self.message, self.closesConnection) = (status, message, closesConnection)
    }

    public var description: String { "\(status): \(message)" }

    /// The JSON body `{"error": message}`.
    var body: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let escaped = String(decoding: (try? encoder.encode(message)) ?? Data("\"error\"".utf8), as: UTF8.self)
        return "{\"error\":\(escaped)}"
    }

    /// The answer to an error met while decoding or preparing an uploaded image.
    static func image(_ error: Error) -> ServeError {
        switch error {
        case let e as ServeError: e
        case ImageError.tooManyPixels(_, let w, let h, let limit): ServeError(413, "the image is \(w)×\(h) pixels, more than the \(limit) allowed")
        case let e as DataError: ServeError(422, e.localizedDescription)
        case let e as LocalizedError: ServeError(400, "not a readable JPEG or PNG image: \(e.errorDescription ?? "\(e)")")
        default: ServeError(400, "not a readable JPEG or PNG image: \(error)")
        }
    }
}
#endif
