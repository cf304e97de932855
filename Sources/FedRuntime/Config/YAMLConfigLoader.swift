import FedCore
import Foundation
import Yams

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns YAML text into a ``ConfigNode`` tree whose every node knows its file, line, column and key path.
public enum YAMLConfigLoader {
    /// Parses `text`, naming `file` in every mark and error.
    ///
    /// An empty document yields a null root. Anchors and aliases are resolved by the
    /// YAML parser: an alias reads as a copy of the node it refers to.
    ///
    /// - Throws: ``ConfigError`` for YAML syntax errors, with the position the parser
    ///   reported, and for a key repeated within one mapping, at the repeated occurrence.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigNode {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw YAMLErrorTranslator.translate(error, text: text, file: file)
        } catch {
            throw ConfigError(
                mark: SourceMark(file: file, line: 1, column: 1), path: "",
                message: "cannot parse YAML: \(error)")
        }
        guard let root else {
            return ConfigNode(value: .null, mark: SourceMark(file: file, line: 1, column: 1), path: "")
        }
        return try convert(root, path: "", file: file)
    }

    /// Reads and parses the file at `path`, which is also the file named in marks.
    ///
    /// - Throws: ``ConfigError`` at line 0 with the operating system's reason if the
    ///   file cannot be read, or any error ``parse(_:file:)`` throws.
    public static func load(contentsOf path: String) throws(ConfigError) -> ConfigNode {
        let bytes: [UInt8]
        switch readFile(atPath: path) {
        case .success(let contents):
            bytes = contents
        case .failure(let reason):
            throw ConfigError(
                mark: SourceMark(file: path, line: 0, column: 0), path: "",
                message: "cannot read file: \(reason)")
        }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw ConfigError(
                mark: SourceMark(file: path, line: 0, column: 0), path: "",
                message: "cannot read file: it is not valid UTF-8 text")
        }
        return try parse(text, file: path)
    }

    // MARK: - Conversion

    private static func convert(_ node: Yams.Node, path: String, file: String) throws(ConfigError) -> ConfigNode {
        let mark = sourceMark(node.mark, file: file)
        switch node {
        case .scalar(let scalar):
            // Only plain `null`, `~` and empty values are null; a quoted "~" stays text.
            let value: ConfigNode.Value = node.null != nil ? .null : .scalar(scalar.string)
            return ConfigNode(value: value, mark: mark, path: path)
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            items.reserveCapacity(sequence.count)
            for (index, item) in sequence.enumerated() {
                items.append(try convert(item, path: ConfigNode.path(path, index: index), file: file))
            }
            return ConfigNode(value: .sequence(items), mark: mark, path: path)
        case .mapping(let mapping):
            var pairs: [(key: String, keyMark: SourceMark, node: ConfigNode)] = []
            pairs.reserveCapacity(mapping.count)
            for (keyNode, valueNode) in mapping {
                let keyMark = sourceMark(keyNode.mark, file: file)
                guard case .scalar(let keyScalar) = keyNode else {
                    throw ConfigError(
                        mark: keyMark, path: path,
                        message: "mapping keys must be plain text, got a \(keyNode.isMapping ? "mapping" : "list")")
                }
                let child = try convert(valueNode, path: ConfigNode.path(path, key: keyScalar.string), file: file)
                pairs.append((key: keyScalar.string, keyMark: keyMark, node: child))
            }
            return ConfigNode(value: .mapping(pairs), mark: mark, path: path)
        case .alias:
            // Composition replaces aliases with the nodes they name, so none should remain.
            throw ConfigError(mark: mark, path: path, message: "unresolved YAML alias")
        }
    }

    /// Yams' marks are already 1-based, like ``SourceMark``.
    static func sourceMark(_ mark: Yams.Mark?, file: String) -> SourceMark {
        guard let mark else { return SourceMark(file: file, line: 1, column: 1) }
        return SourceMark(file: file, line: mark.line, column: mark.column)
    }

    // MARK: - Reading files

    private enum ReadResult {
        case success([UInt8])
        case failure(String)
    }

    /// Reads a whole file with POSIX calls, which report why a read failed in the
    /// operating system's own words ("No such file or directory").
    private static func readFile(atPath path: String) -> ReadResult {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return .failure(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return .success(contents) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(String(cString: strerror(errno)))
            }
            contents.append(contentsOf: buffer[0..<count])
        }
    }
}

extension Yams.Node {
    fileprivate var isMapping: Bool {
        if case .mapping = self { return true }
        return false
    }
}
