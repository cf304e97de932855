/// A position in a configuration file.
///
/// Lines and columns are 1-based; a mark that refers to the file as a whole
/// (for example when it cannot be read) uses line and column 0.
public struct SourceMark: Sendable, Equatable {
    /// The file the position refers to, as given by the caller that parsed it.
    public var file: String
    /// The 1-based line number, or 0 when the mark refers to the whole file.
    public var line: Int
    /// The 1-based column number, counted in Unicode scalars.
    public var column: Int

    /// Creates a mark at `line` and `column` of `file`.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }
}

/// One node of a parsed configuration document, with the place it came from.
///
/// Scalars keep the text exactly as written; the typed accessors of
/// ``ConfigSection`` decide how to interpret them.
public struct ConfigNode: Sendable {
    /// The content of a node.
    public enum Value: Sendable {
        /// A scalar, as the raw text that appeared in the document.
        case scalar(String)
        /// A list of nodes, in document order.
        case sequence([ConfigNode])
        /// Key-value pairs in document order, each with the position of its key.
        case mapping([(key: String, keyMark: SourceMark, node: ConfigNode)])
        /// An explicit null (`null`, `~`) or an empty value.
        case null
    }

    /// The content of the node.
    public var value: Value
    /// Where the node starts in its file.
    public var mark: SourceMark
    /// The dotted key path from the root, `""` for the root itself.
    ///
    /// List items append a 0-based index, as in `workload.model.hidden[1]`.
    public var path: String

    /// Creates a node with the given content, position and key path.
    public init(value: Value, mark: SourceMark, path: String) {
        self.value = value
        self.mark = mark
        self.path = path
    }

    /// The key path of the value stored under `key` in a mapping at `parent`.
    public static func path(_ parent: String, key: String) -> String {
        parent.isEmpty ? key : parent + "." + key
    }

    /// The key path of the list item at `index` in a sequence at `parent`.
    public static func path(_ parent: String, index: Int) -> String {
        parent + "[\(index)]"
    }

    /// Whether the node is an explicit or implicit null.
    public var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// The raw text of a scalar node, or `nil` for any other kind of node.
    public var scalarText: String? {
        if case .scalar(let text) = value { return text }
        return nil
    }

    /// A short description of what the node holds, for use after "got" in messages:
    /// the quoted text of a scalar, or "a mapping", "a list", "null".
    public var kindDescription: String {
        switch value {
        case .scalar(let text): "'\(text)'"
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .null: "null"
        }
    }
}

/// A problem in a configuration file, located by position and key path.
///
/// Its ``description`` reads like a compiler diagnostic:
/// `topologies/x.yaml:7:5: algorithm.lr: expected a number, got 'abc'`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where in the file the problem is.
    public var mark: SourceMark
    /// The dotted key path of the offending value; empty when no single key is at fault.
    public var path: String
    /// What is wrong, phrased for the person editing the file.
    public var message: String

    /// Creates an error at `mark` for the value at `path`.
    public init(mark: SourceMark, path: String, message: String) {
        self.mark = mark
        self.path = path
        self.message = message
    }

    /// `file:line:column: path: message`, leaving out the path when it is empty.
    public var description: String {
        let location = "\(mark.file):\(mark.line):\(mark.column)"
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }
}
