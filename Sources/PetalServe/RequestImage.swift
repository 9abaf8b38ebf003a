#if Serve
// The image bytes of a prediction request: the body itself (image/jpeg, image/png, application/octet-stream), or the
// first file part of a multipart/form-data upload (the form field `image`, else the first part). The body is read to its
// end before any answer, also a refused one: a client that sends its whole body before reading (most do) would otherwise
// block on a server that stopped reading until the idle timeout. Past `drainLimit` the connection is closed instead.
import Foundation
import Hummingbird
import MultipartKit

enum RequestImage {
    static let rawTypes = ["image/jpeg", "image/png", "application/octet-stream"]

    /// The uploaded image's bytes.
    /// - Throws: ``ServeError``: 411/413 for a missing or too large body, 415 for another content type, 400 for an
    ///   empty body or a malformed form.
    static func bytes(of request: Request, limit: Int) async throws -> [UInt8] {
        var body = try await collect(request, limit: limit)
        let type = request.headers[.contentType]?.lowercased() ?? ""
        let mediaType = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard rawTypes.contains(mediaType) || mediaType == "multipart/form-data" else {
            throw ServeError(415, mediaType.isEmpty ? "send the image with a Content-Type: image/jpeg, image/png, application/octet-stream or multipart/form-data"
                                                    : "content type \(mediaType) is not accepted; send image/jpeg, image/png, application/octet-stream or multipart/form-data")
        }
        guard body.readableBytes > 0 else { throw ServeError(400, "the body is empty; send an image") }
        guard mediaType == "multipart/form-data" else { return body.readBytes(length: body.readableBytes) ?? [] }
        guard let boundary = parameter("boundary", of: type) else { throw ServeError(400, "the multipart/form-data content type has no boundary") }
        return try firstFile(in: body, boundary: boundary)
    }

    /// The most a refused body is read (and dropped) to its end before the connection is closed instead.
    static func drainLimit(_ limit: Int) -> Int { limit + max(limit, 64 << 20) }

    /// The whole body when it is at most `limit` bytes.
    /// - Throws: ``ServeError`` 413 once a larger body has been read to its end, or with ``ServeError/closesConnection``
    ///   when it is larger than ``drainLimit(_:)`` (declared or found so).
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        let drain = drainLimit(limit)
        if let length = request.headers[.contentLength].flatMap(Int.init), length > drain {
            throw ServeError(413, "the body is \(length) bytes, more than the \(limit) allowed", closesConnection: true)
        }
        var body = ByteBuffer(), total = 0
        for try await var chunk in request.body {
            total += chunk.readableBytes
            if total <= limit {
                body.writeBuffer(&chunk)
            } else if total > drain {
                throw ServeError(413, "the body is more than the \(limit) bytes allowed", closesConnection: true)
            }
        }
        guard total <= limit else { throw ServeError(413, "the body is \(total) bytes, more than the \(limit) allowed") }
        return body
    }

    /// `name=value` of a header's parameters (quotes removed).
    static func parameter(_ name: String, of header: String) -> String? {
        for part in header.split(separator: ";").dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2 && pair[0].lowercased() == name { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }

    /// The part named `image`, else the first part, of a multipart body.
    static func firstFile(in body: ByteBuffer, boundary: String) throws -> [UInt8] {
        let parser = MultipartParser(boundary: boundary)
        var parts: [(name: String?, bytes: [UInt8])] = []
        var name: String?, bytes: [UInt8] = []
        parser.onHeader = { field, value in
            if field.lowercased() == "content-disposition" { name = parameter("name", of: value) }
        }
        parser.onBody = { buffer in bytes += buffer.readBytes(length: buffer.readableBytes) ?? [] }
        parser.onPartComplete = {
            parts.append((name, bytes))
            (name, bytes) = (nil, [])
        }
        do { try parser.execute(body) } catch { throw ServeError(400, "the multipart/form-data body is malformed (\(error))") }
        guard let part = parts.first(where: { $0.name == "image" }) ?? parts.first else {
            throw ServeError(400, "the multipart/form-data body holds no part; send the image in a field named image")
        }
        guard !part.bytes.isEmpty else { throw ServeError(400, "the form's image part is empty") }
        return part.bytes
    }
}
#endif
